"""Memberships, invitations, sign-in, sessions, codes and errors through the Python SDK."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from workos import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitExceededError,
    UnprocessableEntityError,
    WorkOSClient,
)
from workos.organization_membership._resource import RoleSingle
from workos.session import seal_session_from_auth_response
from workos.user_management import PasswordPlaintext

from conftest import MISSING_ORG, MISSING_USER, email, latest_message_to, make_client, unique

PASSWORD = PasswordPlaintext(password="correct horse battery")


def test_membership_lifecycle(workos: WorkOSClient) -> None:
    om = workos.organization_membership
    org = workos.organizations.create_organization(name=f"Py members {unique('m')}")
    owner = workos.user_management.create_user(email=email("owner"))
    om.create_organization_membership(user_id=owner.id, organization_id=org.id, role=RoleSingle(role_slug="owner"))
    user = workos.user_management.create_user(email=email("mia"))
    membership = om.create_organization_membership(user_id=user.id, organization_id=org.id)
    assert membership.status == "active"
    assert membership.role.slug == "member"
    assert om.get_organization_membership(membership.id).user_id == user.id

    promoted = om.update_organization_membership(membership.id, role=RoleSingle(role_slug="admin"))
    assert promoted.role.slug == "admin"
    assert om.deactivate_organization_membership(membership.id).status == "inactive"
    inactive = om.list_organization_memberships(organization_id=org.id, statuses=["inactive"])
    assert [m.id for m in inactive.data] == [membership.id]
    both = om.list_organization_memberships(organization_id=org.id, statuses=["active", "inactive"])
    assert len(both.data) == 2
    reactivated = om.reactivate_organization_membership(membership.id)
    assert reactivated.status == "active"
    assert reactivated.role.slug == "admin"
    om.delete_organization_membership(membership.id)
    with pytest.raises(NotFoundError):
        om.get_organization_membership(membership.id)


def test_invitation_lifecycle(workos: WorkOSClient) -> None:
    um = workos.user_management
    org = workos.organizations.create_organization(name=f"Py invites {unique('i')}")
    sent = um.send_invitation(email=email("invitee"), organization_id=org.id, expires_in_days=2, role_slug="admin")
    assert sent.state == "pending"
    assert um.get_invitation(sent.id).id == sent.id
    assert um.find_invitation_by_token(sent.token).id == sent.id
    assert [i.id for i in um.list_invitations(organization_id=org.id).data] == [sent.id]
    resent = um.resend_invitation(sent.id)
    assert resent.token != sent.token
    with pytest.raises(NotFoundError):
        um.find_invitation_by_token(sent.token)
    assert um.revoke_invitation(sent.id).state == "revoked"

    other = um.send_invitation(email=email("joiner"), organization_id=org.id)
    accepted = um.accept_invitation(other.id)
    assert accepted.state == "accepted"
    memberships = workos.organization_membership.list_organization_memberships(
        organization_id=org.id, user_id=accepted.accepted_user_id
    )
    assert [m.status for m in memberships.data] == ["active"]


def test_password_sign_in_sealed_session_refresh_revoke(workos: WorkOSClient) -> None:
    um = workos.user_management
    org = workos.organizations.create_organization(name=f"Py sessions {unique('s')}")
    user = um.create_user(email=email("sam"), password=PASSWORD)
    workos.organization_membership.create_organization_membership(
        user_id=user.id, organization_id=org.id, role=RoleSingle(role_slug="admin")
    )
    auth = um.authenticate_with_password(email=user.email, password="correct horse battery")
    assert auth.user.id == user.id
    assert auth.organization_id == org.id

    # The Python SDK seals with Fernet; its cookie password is a Fernet key.
    cookie_password = Fernet.generate_key().decode()
    sealed = seal_session_from_auth_response(
        access_token=auth.access_token,
        refresh_token=auth.refresh_token,
        user=auth.user.to_dict(),
        cookie_password=cookie_password,
    )
    session = um.load_sealed_session(session_data=sealed, cookie_password=cookie_password)
    refreshed = session.refresh()
    assert refreshed.authenticated is True, refreshed
    assert refreshed.organization_id == org.id
    assert refreshed.role == "admin"
    session_id = refreshed.session_id

    sessions = um.list_sessions(user.id)
    assert [s.id for s in sessions.data] == [session_id]
    um.revoke_session(session_id=session_id)
    after = um.load_sealed_session(session_data=refreshed.sealed_session, cookie_password=cookie_password).refresh()
    assert after.authenticated is False
    assert "invalid_grant" in str(after.reason)
    with pytest.raises(BadRequestError) as failure:
        um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)
    assert failure.value.error == "invalid_grant"


def test_sealed_session_cookie_authenticates(workos: WorkOSClient) -> None:
    """Session.authenticate() checks the access token like WorkOS issues it (v10.8 needs `auth_time`)."""
    um = workos.user_management
    org = workos.organizations.create_organization(name=f"Py cookie {unique('c')}")
    user = um.create_user(email=email("cookie"), password=PASSWORD)
    workos.organization_membership.create_organization_membership(user_id=user.id, organization_id=org.id)
    auth = um.authenticate_with_password(email=user.email, password="correct horse battery")
    cookie_password = Fernet.generate_key().decode()
    sealed = seal_session_from_auth_response(
        access_token=auth.access_token,
        refresh_token=auth.refresh_token,
        user=auth.user.to_dict(),
        cookie_password=cookie_password,
    )
    checked = um.authenticate_with_session_cookie(session_data=sealed, cookie_password=cookie_password)
    assert checked.authenticated is True, checked
    assert checked.organization_id == org.id
    assert checked.role == "member"


def test_email_verification_with_the_code_from_the_outbox(workos: WorkOSClient) -> None:
    um = workos.user_management
    user = um.create_user(email=email("verify"))
    assert um.send_verification_email(user.id).user.id == user.id
    code = re.search(r"\b(\d{6})\b", latest_message_to(user.email)).group(1)  # type: ignore[union-attr]
    with pytest.raises(UnprocessableEntityError):
        um.verify_email(user.id, code="000000" if code != "000000" else "111111")
    assert um.verify_email(user.id, code=code).user.email_verified is True


def test_password_reset_and_magic_auth(workos: WorkOSClient) -> None:
    um = workos.user_management
    user = um.create_user(email=email("reset"), password=PASSWORD)
    reset = um.reset_password(email=user.email)
    assert um.get_password_reset(reset.id).id == reset.id
    assert um.confirm_password_reset(token=reset.password_reset_token, new_password="a new secret phrase").user.id == user.id
    assert um.authenticate_with_password(email=user.email, password="a new secret phrase").user.id == user.id
    magic = um.create_magic_auth(email=user.email)
    assert re.fullmatch(r"\d{6}", magic.code)
    assert um.get_magic_auth(magic.id).code == magic.code
    signed_in = um.authenticate_with_magic_auth(code=magic.code, email=user.email)
    assert signed_in.user.id == user.id
    assert signed_in.authentication_method == "MagicAuth"


def test_errors(workos: WorkOSClient) -> None:
    with pytest.raises(AuthenticationError):
        make_client("sk_test_not_a_real_key_but_long_enough_0000").user_management.list_users()
    with pytest.raises(NotFoundError):
        workos.user_management.get_user(MISSING_USER)
    with pytest.raises(NotFoundError):
        workos.organizations.get_organization(MISSING_ORG)
    with pytest.raises(UnprocessableEntityError) as invalid:
        workos.user_management.create_user(email="not-an-email")
    assert invalid.value.code == "invalid_request_parameters"
    assert [e["code"] for e in invalid.value.errors] == ["email_invalid"]
    workos.user_management.create_user(email=email("dup"))
    with pytest.raises(ConflictError):
        workos.user_management.create_user(email=email("dup"))
    with pytest.raises(BadRequestError) as wrong:
        workos.user_management.authenticate_with_password(email=email("dup"), password="no password set")
    assert wrong.value.code == "invalid_credentials"


def test_rate_limit(workos: WorkOSClient) -> None:
    um = workos.user_management
    user = um.create_user(email=email("limited"), password=PASSWORD)
    for i in range(10):
        with pytest.raises(BadRequestError):
            um.authenticate_with_password(email=user.email, password=f"wrong password {i}")
    with pytest.raises(RateLimitExceededError) as limited:
        um.authenticate_with_password(email=user.email, password="wrong password 11")
    assert limited.value.status_code == 429
    assert limited.value.retry_after and 0 < limited.value.retry_after <= 60

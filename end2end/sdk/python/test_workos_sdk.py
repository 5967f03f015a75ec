"""The official WorkOS Python SDK, unmodified, against a running Roster.

Started by .ci/sdk-tests.sh, which passes ROSTER_PORT, ROSTER_API_KEY, ROSTER_CLIENT_ID and
ROSTER_DB_URL (the server's database, read only to fetch a code from the outbox).
"""

import os
import re
import sqlite3
import subprocess
import time

import pytest
from workos import ConflictError, NotFoundError, UnprocessableEntityError, WorkOSClient
from workos.organization_membership._resource import RoleSingle
from workos.user_management._resource import PasswordPlaintext

RUN = format(int(time.time() * 1000), "x")
PORT = os.environ["ROSTER_PORT"]


def latest_message_to(recipient: str) -> str:
    """The newest outbox message to a recipient, read from the server's database."""
    url = os.environ["ROSTER_DB_URL"]
    query = "SELECT body FROM outbox WHERE recipient = '%s' ORDER BY id DESC LIMIT 1" % recipient.replace("'", "''")
    if url.startswith("postgres"):
        return subprocess.run(["psql", url, "-tAc", query], check=True, capture_output=True, text=True).stdout.strip()
    with sqlite3.connect(url.removeprefix("sqlite:")) as db:
        return db.execute(query).fetchone()[0]


def email(name: str) -> str:
    return f"{name}.{RUN}@py.test"


@pytest.fixture(scope="module")
def workos() -> WorkOSClient:
    return WorkOSClient(
        api_key=os.environ["ROSTER_API_KEY"],
        client_id=os.environ["ROSTER_CLIENT_ID"],
        base_url=f"http://127.0.0.1:{PORT}/",
        max_retries=0,
    )


def test_users_and_organizations(workos: WorkOSClient) -> None:
    org = workos.organizations.create_organization(name=f"Py {RUN}", external_id=f"py-{RUN}", metadata={"plan": "pro"})
    assert workos.organizations.get_organization_by_external_id(f"py-{RUN}").id == org.id
    user = workos.user_management.create_user(email=email("ada"), first_name="Ada", password=PasswordPlaintext(password="correct horse battery"))
    assert user.email == email("ada")
    assert workos.user_management.get_user(user.id).first_name == "Ada"
    listed = workos.user_management.list_users(email=email("ada"))
    assert [u.id for u in listed.data] == [user.id]
    workos.user_management.delete_user(user.id)
    with pytest.raises(NotFoundError):
        workos.user_management.get_user(user.id)


def test_pagination_sees_everyone_once(workos: WorkOSClient) -> None:
    org = workos.organizations.create_organization(name=f"Py paging {RUN}")
    ids = set()
    for i in range(25):
        user = workos.user_management.create_user(email=email(f"p{i}"))
        workos.organization_membership.create_organization_membership(user_id=user.id, organization_id=org.id)
        ids.add(user.id)
    page = workos.user_management.list_users(organization_id=org.id, limit=10)
    seen = [u.id for u in page.auto_paging_iter()]
    assert len(seen) == 25
    assert set(seen) == ids


def test_membership_lifecycle(workos: WorkOSClient) -> None:
    org = workos.organizations.create_organization(name=f"Py members {RUN}")
    owner = workos.user_management.create_user(email=email("owner"))
    workos.organization_membership.create_organization_membership(user_id=owner.id, organization_id=org.id, role=RoleSingle(role_slug="owner"))
    user = workos.user_management.create_user(email=email("mia"))
    membership = workos.organization_membership.create_organization_membership(user_id=user.id, organization_id=org.id)
    promoted = workos.organization_membership.update_organization_membership(membership.id, role=RoleSingle(role_slug="admin"))
    assert promoted.role.slug == "admin"
    assert workos.organization_membership.deactivate_organization_membership(membership.id).status == "inactive"
    inactive = workos.organization_membership.list_organization_memberships(organization_id=org.id, statuses=["inactive"])
    assert [m.id for m in inactive.data] == [membership.id]
    assert workos.organization_membership.reactivate_organization_membership(membership.id).role.slug == "admin"
    workos.organization_membership.delete_organization_membership(membership.id)
    with pytest.raises(NotFoundError):
        workos.organization_membership.get_organization_membership(membership.id)


def test_invitation_lifecycle(workos: WorkOSClient) -> None:
    org = workos.organizations.create_organization(name=f"Py invites {RUN}")
    sent = workos.user_management.send_invitation(email=email("invitee"), organization_id=org.id, expires_in_days=2)
    assert sent.state == "pending"
    assert workos.user_management.find_invitation_by_token(sent.token).id == sent.id
    assert workos.user_management.resend_invitation(sent.id).token != sent.token
    assert workos.user_management.revoke_invitation(sent.id).state == "revoked"
    other = workos.user_management.send_invitation(email=email("joiner"), organization_id=org.id)
    assert workos.user_management.accept_invitation(other.id).state == "accepted"


def test_password_sign_in_refresh_and_revoke(workos: WorkOSClient) -> None:
    org = workos.organizations.create_organization(name=f"Py sessions {RUN}")
    user = workos.user_management.create_user(email=email("sam"), password=PasswordPlaintext(password="correct horse battery"))
    workos.organization_membership.create_organization_membership(user_id=user.id, organization_id=org.id)
    auth = workos.user_management.authenticate_with_password(email=user.email, password="correct horse battery")
    assert auth.user.id == user.id
    assert auth.organization_id == org.id
    refreshed = workos.user_management.authenticate_with_refresh_token(refresh_token=auth.refresh_token, organization_id=org.id)
    assert refreshed.access_token != auth.access_token
    sessions = workos.user_management.list_sessions(user.id)
    workos.user_management.revoke_session(session_id=sessions.data[0].id)
    with pytest.raises(Exception) as failure:
        workos.user_management.authenticate_with_refresh_token(refresh_token=refreshed.refresh_token)
    assert "invalid_grant" in str(failure.value) or getattr(failure.value, "status_code", 400) == 400


def test_email_verification_with_the_code_from_the_outbox(workos: WorkOSClient) -> None:
    user = workos.user_management.create_user(email=email("verify"))
    workos.user_management.send_verification_email(user.id)
    body = latest_message_to(user.email)
    code = re.search(r"\b(\d{6})\b", body).group(1)
    with pytest.raises(UnprocessableEntityError):
        workos.user_management.verify_email(user.id, code="000000" if code != "000000" else "111111")
    verified = workos.user_management.verify_email(user.id, code=code)
    assert verified.user.email_verified is True


def test_errors(workos: WorkOSClient) -> None:
    with pytest.raises(UnprocessableEntityError):
        workos.user_management.create_user(email="not-an-email")
    workos.user_management.create_user(email=email("dup"))
    with pytest.raises(ConflictError):
        workos.user_management.create_user(email=email("dup"))
    with pytest.raises(NotFoundError):
        workos.organizations.get_organization("org_01H5JQDV7R7ATEYZDEG0W5PRYS")

"""Users and organizations through the Python SDK."""

from __future__ import annotations

import pytest
from workos import ConflictError, NotFoundError, UnprocessableEntityError, WorkOSClient
from workos.organizations import OrganizationDomainData
from workos.user_management import PasswordHashed, PasswordPlaintext

from conftest import (
    ARGON2ID_HASH,
    ARGON2ID_PASSWORD,
    BCRYPT_HASH,
    BCRYPT_PASSWORD,
    MISSING_ORG,
    domain,
    email,
    unique,
)


def test_user_create_get_list_update_delete(workos: WorkOSClient) -> None:
    um = workos.user_management
    external_id = unique("ada")
    user = um.create_user(
        email=email("Ada"),
        first_name="Ada",
        last_name="Lovelace",
        external_id=external_id,
        metadata={"team": "core", "tier": "gold"},
        password=PasswordPlaintext(password="correct horse battery"),
    )
    assert user.id.startswith("user_")
    assert user.email == email("ada")
    assert user.email_verified is False
    assert user.metadata == {"team": "core", "tier": "gold"}

    assert um.get_user(user.id).first_name == "Ada"
    assert um.get_user_by_external_id(external_id).id == user.id
    assert [u.id for u in um.list_users(email=email("ada")).data] == [user.id]
    assert um.authenticate_with_password(email=user.email, password="correct horse battery").user.id == user.id

    updated = um.update_user(user.id, first_name="Augusta", metadata={"team": None, "tier": "gold", "plan": "pro"})  # type: ignore[dict-item]
    assert updated.first_name == "Augusta"
    assert updated.last_name == "Lovelace"
    assert updated.metadata == {"tier": "gold", "plan": "pro"}

    um.delete_user(user.id)
    with pytest.raises(NotFoundError):
        um.get_user(user.id)


def test_imported_password_hashes_sign_in(workos: WorkOSClient) -> None:
    um = workos.user_management
    for name, hash_, hash_type, password in [
        ("py-bcrypt", BCRYPT_HASH, "bcrypt", BCRYPT_PASSWORD),
        ("py-argon2", ARGON2ID_HASH, "argon2", ARGON2ID_PASSWORD),
    ]:
        user = um.create_user(email=email(name), password=PasswordHashed(password_hash=hash_, password_hash_type=hash_type))
        assert um.authenticate_with_password(email=user.email, password=password).user.id == user.id


def test_organization_idempotent_create_list_get_update_delete(workos: WorkOSClient) -> None:
    orgs = workos.organizations
    external_id = unique("py-acme")
    request = dict(
        name=f"Py Acme {external_id}",
        domain_data=[OrganizationDomainData(domain=domain("acme"), state="verified")],  # type: ignore[arg-type]
        external_id=external_id,
        metadata={"plan": "pro"},
    )
    key = unique("py-idem")
    first = orgs.create_organization(**request, request_options={"idempotency_key": key})  # type: ignore[arg-type]
    again = orgs.create_organization(**request, request_options={"idempotency_key": key})  # type: ignore[arg-type]
    assert again.id == first.id
    assert [d.domain for d in first.domains] == [domain("acme")]
    assert [o.id for o in orgs.list_organizations(domains=[domain("acme")]).data] == [first.id]

    assert orgs.get_organization(first.id).id == first.id
    assert orgs.get_organization_by_external_id(external_id).id == first.id
    with pytest.raises(ConflictError):
        orgs.create_organization(name="Clash", external_id=external_id)

    renamed = orgs.update_organization(first.id, name=f"Py Acme Two {external_id}", metadata={"plan": "team"})
    assert renamed.name == f"Py Acme Two {external_id}"
    assert renamed.metadata == {"plan": "team"}

    roles = workos.authorization.list_organization_roles(first.id)
    assert [r.slug for r in roles.data] == ["owner", "admin", "member"]

    orgs.delete_organization(first.id)
    with pytest.raises(NotFoundError):
        orgs.get_organization(first.id)
    with pytest.raises(NotFoundError):
        orgs.get_organization(MISSING_ORG)


def test_pagination_sees_everyone_once(workos: WorkOSClient) -> None:
    um = workos.user_management
    org = workos.organizations.create_organization(name=f"Py paging {unique('p')}")
    ids = []
    for i in range(25):
        user = um.create_user(email=email(f"p{i:02d}"))
        workos.organization_membership.create_organization_membership(user_id=user.id, organization_id=org.id)
        ids.append(user.id)

    page = um.list_users(organization_id=org.id, limit=10)
    assert len(page.data) == 10
    seen = [u.id for u in page.auto_paging_iter()]
    assert len(seen) == 25
    assert set(seen) == set(ids)
    assert seen == sorted(seen, reverse=True), "newest first"

    everyone = [u.id for u in um.list_users(limit=100).auto_paging_iter()]
    assert len(everyone) == len(set(everyone)), "no user twice"
    assert set(ids) <= set(everyone)

    memberships = workos.organization_membership.list_organization_memberships(organization_id=org.id, limit=7)
    assert len({m.id for m in memberships.auto_paging_iter()}) == 25


def test_field_errors_are_422(workos: WorkOSClient) -> None:
    with pytest.raises(UnprocessableEntityError) as failure:
        workos.user_management.create_user(email="not-an-email", first_name="x" * 101)
    codes = {e["code"] for e in failure.value.errors}
    assert {"email_invalid", "first_name_too_long"} <= codes
    assert {e["field"] for e in failure.value.errors} >= {"email", "first_name"}

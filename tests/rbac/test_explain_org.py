"""Org-level explanations for the CSP and ctrl-hub dialects (core only, no HTTP yet)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.explain import org as explain_org
from rolegate.rbac.explain import project as ex
from rolegate.rbac.models import Role, RoleAssignment
from tests.conftest import seed_into

ORG = "00000000-0000-4000-8000-00000000f001"
OTHER_ORG = "00000000-0000-4000-8000-00000000f002"
DANA = "00000000-0000-4000-8000-00000000f101"
SAM = "00000000-0000-4000-8000-00000000f102"
THEM = "00000000-0000-4000-8000-00000000f199"
ENGINEERING = "00000000-0000-4000-8000-00000000f301"
CONSOLE = "00000000-0000-4000-8000-00000000f501"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)

WORLD = {
    "organizations": [
        {
            "id": ORG,
            "name": "Acme",
            "slug": "acme-org-explain",
            "users": [
                {
                    "id": DANA,
                    "email": "dana@acme.test",
                    "org_roles": ["developer"],
                    "attributes": {"department": "payments", "skills": ["go", "sql"]},
                },
                {"id": SAM, "email": "sam@acme.test", "attributes": {"department": "finance"}},
            ],
            "custom_roles": [
                {"name": "auditor", "permissions": [{"subject": "audit-logs", "action": ["read"]}]}
            ],
            "service_definitions": [
                {"id": CONSOLE, "name": "Cloud Console", "roles": ["service:admin"]}
            ],
            "groups": [
                {
                    "id": ENGINEERING,
                    "name": "Engineering",
                    "slug": "engineering",
                    "members": ["dana@acme.test", "sam@acme.test"],
                    "org_roles": ["org_member"],
                    "custom_roles": ["auditor"],
                }
            ],
        },
        {
            "id": OTHER_ORG,
            "name": "Other",
            "slug": "other-org-explain",
            "users": [{"id": THEM, "email": "them@other.test"}],
        },
    ]
}


def binding(role: str, department: str) -> dict[str, Any]:
    return {
        "surface": "ctrlhub",
        "kind": "binding",
        "role_key": role,
        "condition": {
            "gate": "AND",
            "rules": [
                {
                    "type": "attribute",
                    "operator": "has_value",
                    "key": "department",
                    "value": department,
                }
            ],
        },
    }


@pytest.fixture
async def seeded(session: AsyncSession) -> None:
    await seed_into(session, WORLD)
    service_role = (
        await session.execute(select(Role).where(Role.name == "service:admin"))
    ).scalar_one()
    group, dana = uuid.UUID(ENGINEERING), uuid.UUID(DANA)
    rows: list[dict[str, Any]] = [
        # A CSP service role of the group that expires in an hour.
        {
            "surface": "csp",
            "kind": "service",
            "group_id": group,
            "role_key": "custom",
            "role_id": service_role.id,
            "service_definition_id": uuid.UUID(CONSOLE),
            "ends_at": NOW + HOUR,
        },
        # ctrl-hub bindings: one for the payments department, one for finance.
        {**binding("org_admin", "payments"), "group_id": group},
        {**binding("billing_read_only", "finance"), "group_id": group},
        # An org role of Dana's that expired an hour ago.
        {
            "surface": "csp",
            "kind": "organization",
            "user_id": dana,
            "role_key": "support_user",
            "ends_at": NOW - HOUR,
        },
    ]
    for row in rows:
        session.add(RoleAssignment(id=uuid.uuid4(), org_id=uuid.UUID(ORG), **row))
    await session.commit()


def grant(explanation: explain_org.OrgRolesExplanation, role: str) -> explain_org.OrgRoleGrant:
    return next(g for g in explanation.grants if g.role == role)


@pytest.mark.usefixtures("seeded")
async def test_user_roles_name_direct_group_and_binding_sources_with_expiry(
    session: AsyncSession,
) -> None:
    explanation = await explain_org.explain_org_roles(
        session, ex.Principal("user", uuid.UUID(DANA)), uuid.UUID(ORG), NOW
    )
    assert explanation.principal_name == "dana@acme.test"
    assert sorted(explanation.effective_roles) == [
        "auditor",
        "developer",
        "org_admin",
        "org_member",
        "service:admin",
    ]
    developer = grant(explanation, "developer")
    assert (developer.source_label, developer.display_name, developer.ends_at) == (
        "direct",
        "Developer",
        None,
    )
    member = grant(explanation, "org_member")
    assert member.source_label == "via group Engineering" and member.surface == "csp"
    assert grant(explanation, "auditor").kind == "custom"
    service = grant(explanation, "service:admin")
    assert service.ends_at == NOW + HOUR and service.service_name == "Cloud Console"
    assert service.source_label == "via group Engineering"
    admin = grant(explanation, "org_admin")
    assert admin.kind == "binding" and admin.condition_matches is True and admin.effective
    assert admin.source_label == f"binding {admin.id} (via group Engineering)"
    billing = grant(explanation, "billing_read_only")
    assert billing.condition_matches is False and not billing.effective
    expired = grant(explanation, "support_user")
    assert expired.active is False and expired.ends_at == NOW - HOUR


@pytest.mark.usefixtures("seeded")
async def test_two_hours_later_the_service_role_has_expired(session: AsyncSession) -> None:
    explanation = await explain_org.explain_org_roles(
        session, ex.Principal("user", uuid.UUID(DANA)), uuid.UUID(ORG), NOW + 2 * HOUR
    )
    assert "service:admin" not in explanation.effective_roles
    assert grant(explanation, "service:admin").active is False


@pytest.mark.usefixtures("seeded")
async def test_bindings_follow_each_users_attributes(session: AsyncSession) -> None:
    explanation = await explain_org.explain_org_roles(
        session, ex.Principal("user", uuid.UUID(SAM)), uuid.UUID(ORG), NOW
    )
    assert "billing_read_only" in explanation.effective_roles
    assert "org_admin" not in explanation.effective_roles


@pytest.mark.usefixtures("seeded")
async def test_group_lists_its_own_grants_and_leaves_conditions_undecided(
    session: AsyncSession,
) -> None:
    explanation = await explain_org.explain_org_roles(
        session, ex.Principal("group", uuid.UUID(ENGINEERING)), uuid.UUID(ORG), NOW
    )
    assert explanation.principal_name == "Engineering"
    assert {g.role for g in explanation.grants} == {
        "org_member",
        "auditor",
        "service:admin",
        "org_admin",
        "billing_read_only",
    }
    assert all(g.via_group is None for g in explanation.grants)
    bindings = [g for g in explanation.grants if g.kind == "binding"]
    assert all(g.condition_matches is None and g.effective for g in bindings)


@pytest.mark.usefixtures("seeded")
async def test_principal_of_another_org_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(ex.PrincipalNotFoundError):
        await explain_org.explain_org_roles(
            session, ex.Principal("user", uuid.UUID(THEM)), uuid.UUID(ORG), NOW
        )
    with pytest.raises(ex.PrincipalNotFoundError):
        await explain_org.explain_org_roles(
            session, ex.Principal("group", uuid.UUID(ENGINEERING)), uuid.UUID(OTHER_ORG), NOW
        )

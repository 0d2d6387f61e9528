"""One answer to "which org roles does this user hold now", shared by every surface."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import RoleAssignment
from rolegate.rbac.org_grants import held_catalogue_roles
from tests.conftest import seed_into

ORG = uuid.UUID("00000000-0000-4000-8000-00000000a001")
PAYMENTS_USER = uuid.UUID("00000000-0000-4000-8000-00000000a101")
FINANCE_USER = uuid.UUID("00000000-0000-4000-8000-00000000a102")
GROUP = uuid.UUID("00000000-0000-4000-8000-00000000a301")
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


async def _world(session: AsyncSession) -> None:
    await seed_into(
        session,
        {
            "organizations": [
                {
                    "id": str(ORG),
                    "name": "Acme",
                    "slug": "acme",
                    "users": [
                        {
                            "id": str(PAYMENTS_USER),
                            "email": "p@acme.test",
                            "attributes": {"department": "payments"},
                            "org_roles": ["org_member"],
                        },
                        {
                            "id": str(FINANCE_USER),
                            "email": "f@acme.test",
                            "attributes": {"department": "finance"},
                        },
                    ],
                    "groups": [
                        {
                            "id": str(GROUP),
                            "name": "Ops",
                            "slug": "ops",
                            "members": ["p@acme.test", "f@acme.test"],
                        }
                    ],
                }
            ]
        },
    )


def _binding(role: str, ends_at: dt.datetime | None = None) -> RoleAssignment:
    return RoleAssignment(
        id=uuid.uuid4(),
        org_id=ORG,
        surface="ctrlhub",
        kind="binding",
        group_id=GROUP,
        role_key=role,
        ends_at=ends_at,
        condition={
            "gate": "AND",
            "rules": [
                {
                    "type": "attribute",
                    "operator": "has_value",
                    "key": "department",
                    "value": "payments",
                }
            ],
        },
    )


async def test_a_ctrlhub_binding_counts_only_for_members_its_condition_matches(
    session: AsyncSession,
) -> None:
    await _world(session)
    session.add(_binding("org_owner"))
    await session.flush()

    assert await held_catalogue_roles(session, PAYMENTS_USER, ORG, NOW) == {
        "org_member",
        "org_owner",
    }
    assert await held_catalogue_roles(session, FINANCE_USER, ORG, NOW) == set()


async def test_an_expired_binding_and_another_org_grant_nothing(session: AsyncSession) -> None:
    await _world(session)
    session.add(_binding("org_owner", ends_at=NOW - dt.timedelta(seconds=1)))
    await session.flush()

    assert await held_catalogue_roles(session, PAYMENTS_USER, ORG, NOW) == {"org_member"}
    assert await held_catalogue_roles(session, PAYMENTS_USER, uuid.uuid4(), NOW) == set()

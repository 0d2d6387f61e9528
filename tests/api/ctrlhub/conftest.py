"""A small world for the ctrl-hub surface: two orgs, admins direct and through a group,
a plain member with condition attributes, and a group holding a CSP role."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import RoleAssignment, SessionToken
from rolegate.rbac.secrets import token_digest
from tests.conftest import seed_into

ORG = "00000000-0000-4000-8000-00000000c001"
OTHER_ORG = "00000000-0000-4000-8000-00000000c002"
MISSING_ORG = "00000000-0000-4000-8000-00000000c0ff"
OWNER = "00000000-0000-4000-8000-00000000c101"
GROUP_ADMIN = "00000000-0000-4000-8000-00000000c102"
MEMBER = "00000000-0000-4000-8000-00000000c103"
DEV = "00000000-0000-4000-8000-00000000c104"
LONER = "00000000-0000-4000-8000-00000000c105"
OUTSIDER = "00000000-0000-4000-8000-00000000c199"
ENGINEERING = "00000000-0000-4000-8000-00000000c301"
ADMINS = "00000000-0000-4000-8000-00000000c302"
EMPTY = "00000000-0000-4000-8000-00000000c303"
THEIRS = "00000000-0000-4000-8000-00000000c399"
MISSING_GROUP = "00000000-0000-4000-8000-00000000c3ff"

OWNER_TOKEN = "ses-owner"
GROUP_ADMIN_TOKEN = "ses-group-admin"
MEMBER_TOKEN = "ses-member"
OUTSIDER_TOKEN = "ses-outsider"
EXPIRED_TOKEN = "ses-expired"

WORLD: dict[str, Any] = {
    "organizations": [
        {
            "id": ORG,
            "name": "Acme",
            "slug": "acme",
            "custom_roles": [{"name": "auditor", "description": "Reads audit logs"}],
            "users": [
                {
                    "id": OWNER,
                    "email": "owner@acme.test",
                    "org_roles": ["org_owner"],
                    "session_tokens": [OWNER_TOKEN],
                    "profile": {"personal": {"first_name": "Olive", "last_name": "Owner"}},
                },
                {
                    "id": GROUP_ADMIN,
                    "email": "groupadmin@acme.test",
                    "session_tokens": [GROUP_ADMIN_TOKEN],
                },
                {
                    "id": MEMBER,
                    "email": "member@acme.test",
                    "org_roles": ["org_member"],
                    "session_tokens": [MEMBER_TOKEN],
                    "attributes": {"department": "field", "skills": ["welding", "first-aid"]},
                    "profile": {"work": {"occupation": "Engineer"}},
                },
                {"id": DEV, "email": "dev@acme.test", "attributes": {"department": "office"}},
                {"id": LONER, "email": "loner@acme.test"},
            ],
            "groups": [
                {
                    "id": ENGINEERING,
                    "name": "Engineering",
                    "slug": "engineering",
                    "description": "Builds things",
                    "members": ["member@acme.test", "dev@acme.test"],
                    "org_roles": ["developer"],  # a CSP-surface row of the group
                    "custom_roles": ["auditor"],
                },
                {
                    "id": ADMINS,
                    "name": "Admins",
                    "slug": "admins",
                    "members": ["groupadmin@acme.test"],
                    "org_roles": ["org_admin"],
                },
                {"id": EMPTY, "name": "Empty", "slug": "empty"},
            ],
        },
        {
            "id": OTHER_ORG,
            "name": "Other",
            "slug": "other",
            "users": [
                {
                    "id": OUTSIDER,
                    "email": "owner@other.test",
                    "org_roles": ["org_owner"],
                    "session_tokens": [OUTSIDER_TOKEN],
                }
            ],
            "groups": [{"id": THEIRS, "name": "Theirs", "slug": "theirs"}],
        },
    ]
}

JSONAPI = "application/vnd.api+json"


def headers(token: str = OWNER_TOKEN, content_type: str = JSONAPI) -> dict[str, str]:
    return {"X-Session-Token": token, "Content-Type": content_type, "Accept": JSONAPI}


def group_url(group: str = ENGINEERING, org: str = ORG) -> str:
    return f"/v3/orgs/{org}/iam/groups/{group}"


def patch_body(group: str = ENGINEERING, **attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "groups", "id": group, "attributes": attributes}}


def rule(value: str, key: str = "department", type_: str = "attribute") -> dict[str, str]:
    return {"type": type_, "operator": "has_value", "key": key, "value": value}


def binding(role: str, *rules: dict[str, str], gate: str = "AND") -> dict[str, Any]:
    return {"role": role, "condition": {"gate": gate, "rules": list(rules)}}


async def read_group(
    client: httpx.AsyncClient, group: str = ENGINEERING, org: str = ORG
) -> dict[str, Any]:
    response = await client.get(group_url(group, org), headers=headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error(
    response: httpx.Response, status: int, pointer: str | None = None
) -> dict[str, Any]:
    """A JSON:API error document with a string status, a trace id and (maybe) a pointer."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(JSONAPI)
    body: dict[str, Any] = response.json()
    assert body["jsonapi"] == {"version": "1.0"}
    assert body["errors"], body
    trace = response.headers["x-trace-id"]
    for error in body["errors"]:
        assert error["status"] == str(status)
        assert error["title"]
        assert error["id"] == trace
    if pointer is not None:
        assert [e["source"]["pointer"] for e in body["errors"]] == [pointer], body
    return body


@pytest.fixture
async def world(session: AsyncSession) -> None:
    await seed_into(session, WORLD)
    owner_id = uuid.UUID(OWNER)
    session.add(
        SessionToken(
            id=uuid.uuid4(),
            user_id=owner_id,
            token_hash=token_digest(EXPIRED_TOKEN),
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
        )
    )
    await session.commit()


async def csp_rows_of(session: AsyncSession, group: str) -> list[tuple[str, str, str | None]]:
    stmt = (
        select(RoleAssignment.surface, RoleAssignment.kind, RoleAssignment.role_key)
        .where(RoleAssignment.group_id == uuid.UUID(group), RoleAssignment.surface == "csp")
        .order_by(RoleAssignment.kind, RoleAssignment.role_key)
    )
    return [tuple(row) for row in (await session.execute(stmt)).all()]  # type: ignore[misc]

"""Endpoint E answers with, and audits, exactly the state a GET shows.

The PATCH computes its response and its audit event from what it read under the group
lock and what its write returned, without reading the group again: these tests hold it
to what a GET returns before and after, where members' grants depend on the bindings.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AuditEvent, RoleAssignment
from tests.api.ctrlhub.conftest import (
    DEV,
    MEMBER,
    binding,
    group_url,
    headers,
    patch_body,
    read_group,
    rule,
)

pytestmark = pytest.mark.usefixtures("world")


def grants_of(document: dict[str, Any]) -> dict[str, list[str]]:
    return {user["id"]: user["meta"]["grants"] for user in document["included"]}


def audit_form(document: dict[str, Any]) -> dict[str, Any]:
    """A GET's document in the shape of an audit event's before/after."""
    data = document["data"]
    return {
        "name": data["attributes"]["name"],
        "description": data["attributes"]["description"],
        "bindings": data["attributes"]["bindings"],
        "members": [ref["id"] for ref in data["relationships"]["users"]["data"]],
    }


async def patch(client: httpx.AsyncClient, **attributes: Any) -> httpx.Response:
    response = await client.patch(group_url(), json=patch_body(**attributes), headers=headers())
    assert response.status_code == 200, response.text
    return response


async def test_replacing_bindings_answers_with_the_members_grants_a_get_shows(
    client: httpx.AsyncClient,
) -> None:
    first = await patch(
        client,
        bindings=[
            binding("org_admin", rule("field")),
            binding("billing_read_only", rule("office")),
            binding("support_user"),
        ],
    )
    after_first = await read_group(client)
    assert first.json() == after_first
    grants = grants_of(after_first)
    # The conditions picked different roles for the two members: the test can tell.
    assert "org_admin" in grants[MEMBER] and "org_admin" not in grants[DEV]
    assert "billing_read_only" in grants[DEV] and "billing_read_only" not in grants[MEMBER]

    second = await patch(client, bindings=[binding("auditor", rule("office"))])
    after_second = await read_group(client)
    assert second.json() == after_second
    assert "org_admin" not in grants_of(after_second)[MEMBER]
    assert "support_user" not in grants_of(after_second)[DEV]
    assert (
        second.headers["etag"] == (await client.get(group_url(), headers=headers())).headers["etag"]
    )


async def test_changing_only_the_name_answers_with_what_a_get_shows_for_a_closed_window(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await patch(client, bindings=[binding("support_user"), binding("org_admin", rule("field"))])
    await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.surface == "ctrlhub", RoleAssignment.role_key == "org_admin")
        .values(ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    await session.commit()
    before = await client.get(group_url(), headers=headers())
    # Listed, but granting nothing any more.
    assert [b["role"] for b in before.json()["data"]["attributes"]["bindings"]] == [
        "support_user",
        "org_admin",
    ]
    assert "org_admin" not in grants_of(before.json())[MEMBER]

    response = await client.patch(
        group_url(),
        json=patch_body(name="Renamed"),
        headers={**headers(), "If-Match": before.headers["etag"]},
    )

    assert response.status_code == 200, response.text
    assert response.json() == await read_group(client)
    assert "org_admin" not in grants_of(response.json())[MEMBER]


async def test_audit_event_records_the_states_a_get_showed_before_and_after(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await patch(client, bindings=[binding("developer"), binding("auditor", rule("field"))])
    before = await read_group(client)
    kept = before["data"]["attributes"]["bindings"][1]

    await patch(
        client,
        name="Audited",
        bindings=[
            {**binding("support_user", rule("office")), "id": kept["id"]},
            binding("auditor"),
        ],
    )

    after = await read_group(client)
    assert after["data"]["attributes"]["bindings"][0]["id"] == kept["id"]
    events = (
        (
            await session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "ctrlhub.group.update")
                .order_by(AuditEvent.created_at)
            )
        )
        .scalars()
        .all()
    )
    assert events[-1].before == audit_form(before)
    assert events[-1].after == audit_form(after)


async def test_kept_binding_keeps_its_creation_and_gets_the_new_role(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await patch(client, bindings=[binding("developer")])
    [created] = first.json()["data"]["attributes"]["bindings"]
    stored = await session.get(RoleAssignment, uuid.UUID(created["id"]))
    assert stored is not None
    created_at, created_by = stored.created_at, stored.created_by

    await patch(client, bindings=[{**binding("auditor"), "id": created["id"]}])

    session.expire_all()
    again = await session.get(RoleAssignment, uuid.UUID(created["id"]))
    assert again is not None
    assert (again.created_at, again.created_by) == (created_at, created_by)
    assert again.role_key == "custom" and again.role_id is not None
    assert (await read_group(client))["data"]["attributes"]["bindings"][0]["role"] == "auditor"

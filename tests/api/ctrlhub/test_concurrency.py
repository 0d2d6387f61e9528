"""Concurrent writers of one group serialize on its row lock: a PATCH reads what the
writer it waited for committed, and 32 concurrent PATCHes leave one submitted list."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select

from rolegate.rbac.models import AuditEvent, Group, GroupMember, RoleAssignment
from tests.api.ctrlhub.conftest import (
    DEV,
    ENGINEERING,
    MEMBER,
    ORG,
    WORLD,
    binding,
    group_url,
    headers,
    patch_body,
    read_group,
    rule,
)
from tests.conftest import seed_into, until_waiting_on_a_lock

pytestmark = pytest.mark.committed


def binding_lists() -> list[list[dict[str, Any]]]:
    lists = []
    roles = ["developer", "org_member", "support_user", "auditor"]
    tails = [[], ["billing_read_only"], ["auditor"], ["billing_read_only", "auditor"]]
    for first, gate, tail in itertools.product(roles, ["AND", "OR"], tails):
        items = [binding(first, rule("field"), gate=gate)]
        items += [binding(role, rule("office"), gate=gate) for role in tail]
        lists.append(items)
    return lists


def signature(bindings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (b["role"], b["condition"]["gate"], b["condition"]["rules"][0]["value"]) for b in bindings
    ]


async def test_32_concurrent_binding_patches_leave_exactly_one_submitted_list(
    committed: dict[str, Any],
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    client = committed["client"]
    lists = binding_lists()
    assert len(lists) == 32
    submitted = [signature(items) for items in lists]
    assert len({tuple(s) for s in submitted}) == 32

    responses = await asyncio.gather(
        *(
            client.patch(group_url(), json=patch_body(bindings=items), headers=headers())
            for items in lists
        )
    )

    assert [r.status_code for r in responses] == [200] * 32, [
        r.text for r in responses if r.status_code != 200
    ]
    for response in responses:  # each response shows the list that request wrote, unmixed
        assert signature(response.json()["data"]["attributes"]["bindings"]) in submitted
    final = (await client.get(group_url(), headers=headers())).json()["data"]["attributes"]
    assert signature(final["bindings"]) in submitted
    async with committed["sessionmaker"]() as session:
        rows = (
            (
                await session.execute(
                    select(RoleAssignment).where(
                        RoleAssignment.surface == "ctrlhub", RoleAssignment.kind == "binding"
                    )
                )
            )
            .scalars()
            .all()
        )
        assert sorted(str(r.id) for r in rows) == sorted(b["id"] for b in final["bindings"])
        assert all(str(r.group_id) == ENGINEERING for r in rows)
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "ctrlhub.group.update")
                )
            )
            .scalars()
            .all()
        )
        assert len(events) == 32
        # Serial order: each request's "before" is some other request's "after" (or the seed).
        afters = [signature(e.after["bindings"]) for e in events]
        for event in events:
            before = signature(event.before["bindings"])
            assert before == [] or before in afters


async def test_patch_that_waited_for_the_group_lock_reads_what_the_holder_committed(
    committed: dict[str, Any],
) -> None:
    maker = committed["sessionmaker"]
    async with maker() as session:
        await seed_into(session, WORLD)
    client = committed["client"]
    binding_id = uuid.uuid4()
    async with maker() as holder:
        # Another writer of the group (as replace_members is): lock, change, commit later.
        await holder.execute(
            select(Group).where(Group.id == uuid.UUID(ENGINEERING)).with_for_update()
        )
        await holder.execute(
            delete(GroupMember).where(
                GroupMember.group_id == uuid.UUID(ENGINEERING),
                GroupMember.user_id == uuid.UUID(DEV),
            )
        )
        holder.add(
            RoleAssignment(
                id=binding_id,
                org_id=uuid.UUID(ORG),
                surface="ctrlhub",
                kind="binding",
                group_id=uuid.UUID(ENGINEERING),
                role_key="org_admin",
                condition={"gate": "AND", "rules": []},
                created_at=dt.datetime.now(dt.UTC),
                updated_at=dt.datetime.now(dt.UTC),
            )
        )
        await holder.flush()
        patching = asyncio.create_task(
            client.patch(group_url(), json=patch_body(name="After the lock"), headers=headers())
        )
        await until_waiting_on_a_lock(maker, patching)
        await holder.commit()
    response = await patching

    assert response.status_code == 200, response.text
    assert response.json() == await read_group(client)
    attributes = response.json()["data"]["attributes"]
    assert [b["id"] for b in attributes["bindings"]] == [str(binding_id)]
    [member] = response.json()["included"]
    assert member["id"] == MEMBER and "org_admin" in member["meta"]["grants"]
    async with maker() as session:
        event = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "ctrlhub.group.update")
            )
        ).scalar_one()
    assert event.before["members"] == [MEMBER]
    assert [b["id"] for b in event.before["bindings"]] == [str(binding_id)]

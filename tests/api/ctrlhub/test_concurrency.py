"""32 concurrent PATCHes of one group's bindings serialize: the result is one submitted list."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlalchemy import select

from rolegate.rbac.models import AuditEvent, RoleAssignment
from tests.api.ctrlhub.conftest import (
    ENGINEERING,
    WORLD,
    binding,
    group_url,
    headers,
    patch_body,
    rule,
)
from tests.conftest import seed_into

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

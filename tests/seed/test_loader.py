"""The seed loader: the example loads, a second load is a no-op, bad files write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db import Base
from rolegate.rbac.models import Group, Identity, RoleAssignment, UniversalAuthCredential
from rolegate.seed.loader import SeedError, load_seed, parse_seed, read_seed_file

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "rolegate" / "demo" / "seed.yaml"


async def row_counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = (
            await session.execute(select(func.count()).select_from(table))
        ).scalar_one()
    return counts


async def test_demo_seed_loads_and_second_load_changes_no_counts(session: AsyncSession) -> None:
    seed = read_seed_file(EXAMPLE)
    await load_seed(session, seed)
    first = await row_counts(session)
    assert first["organizations"] == 1 and first["projects"] == 1
    await load_seed(session, seed)
    assert await row_counts(session) == first


async def test_client_secret_is_stored_hashed(session: AsyncSession) -> None:
    await load_seed(session, read_seed_file(EXAMPLE))
    stored = (
        (await session.execute(select(UniversalAuthCredential.client_secret_hash))).scalars().all()
    )
    assert stored and all(h.startswith("$argon2id$") and "ci-admin-secret" not in h for h in stored)


def _with_bad_reference() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["organizations"][0]["projects"][0]["groups"].append(
        {"group": "ghosts", "roles": [{"role": "member"}]}
    )
    return data


async def test_bad_reference_names_the_entry_and_writes_nothing(session: AsyncSession) -> None:
    before = await row_counts(session)
    with pytest.raises(
        SeedError,
        match=r"organizations\[0\]\.projects\[0\]\.groups\[1\]\.group: unknown group 'ghosts'",
    ):
        async with session.begin_nested():
            await load_seed(session, parse_seed(_with_bad_reference()))
    assert await row_counts(session) == before


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["organizations"][0]["users"][0].update(colour="red"), r"users\[0\]\.colour"),
        (
            lambda d: d["organizations"][0]["groups"][0].update(slug="Not A Slug"),
            r"groups\[0\]\.slug",
        ),
        (
            lambda d: d["organizations"][0]["custom_roles"][0]["permissions"][0].update(
                subject="spaceships"
            ),
            r"custom_roles\[0\]\.permissions\[0\]",
        ),
        (
            lambda d: d["organizations"][0]["users"][0].update(org_roles=["org_emperor"]),
            r"org_emperor",
        ),
    ],
)
async def test_invalid_entries_are_refused_with_their_path(
    session: AsyncSession, mutate: Any, message: str
) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    mutate(data)
    before = await row_counts(session)
    with pytest.raises(SeedError, match=message):
        async with session.begin_nested():
            await load_seed(session, parse_seed(data))
    assert await row_counts(session) == before


async def test_seeded_roles_land_on_every_surface(session: AsyncSession) -> None:
    await load_seed(session, read_seed_file(EXAMPLE))
    group = (await session.execute(select(Group).where(Group.slug == "engineering"))).scalar_one()
    kinds = (
        await session.execute(
            select(RoleAssignment.surface, RoleAssignment.kind).where(
                RoleAssignment.group_id == group.id
            )
        )
    ).all()
    assert sorted(kinds) == [("csp", "custom"), ("csp", "organization")]
    assert (await session.execute(select(func.count()).select_from(Identity))).scalar_one() == 2

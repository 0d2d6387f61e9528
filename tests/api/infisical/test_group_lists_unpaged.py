"""Infisical's project-group lists are not paged upstream, so a client gets every row
(docs/infisical.md, "Lists: what pages and what does not")."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.infisical.conftest import OTHER_PROJECT, PROJECT, Tokens
from tests.conftest import bearer

EXTRA = 150  # above any page size a client could guess (10, 20, 100)

LISTS = [
    f"/api/v2/workspace/{PROJECT}/groups",
    f"/api/v1/projects/{PROJECT}/memberships/groups",
]


async def add_project_groups(session: AsyncSession, project: str, count: int) -> None:
    """``count`` more groups in the project's org, each a member with the viewer role."""
    await session.execute(
        text(
            """
            WITH p AS (SELECT id, org_id FROM projects WHERE id = CAST(:project AS uuid)),
            g AS (
                INSERT INTO groups (id, org_id, name, slug, description)
                SELECT gen_random_uuid(), p.org_id, 'Bulk ' || i, 'bulk-' || i, ''
                FROM p, generate_series(1, :count) AS i
                RETURNING id, org_id
            ),
            m AS (
                INSERT INTO project_memberships (id, project_id, group_id)
                SELECT gen_random_uuid(), CAST(:project AS uuid), g.id FROM g
                RETURNING id
            )
            INSERT INTO role_assignments (id, org_id, surface, kind, project_membership_id,
                                          role_key, is_temporary, position)
            SELECT gen_random_uuid(), p.org_id, 'infisical', 'project', m.id, 'viewer',
                   false, 0
            FROM m, p
            """
        ),
        {"project": project, "count": count},
    )
    await session.commit()


async def memberships(client: httpx.AsyncClient, url: str, token: str) -> list[dict[str, object]]:
    response = await client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"groupMemberships"}  # no paging metadata upstream
    rows: list[dict[str, object]] = response.json()["groupMemberships"]
    return rows


@pytest.mark.parametrize("url", LISTS)
async def test_every_group_of_the_project_is_listed_without_paging(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, url: str
) -> None:
    before = await memberships(client, url, tokens.viewer)
    await add_project_groups(session, PROJECT, EXTRA)
    after = await memberships(client, url, tokens.viewer)
    assert len(after) == len(before) + EXTRA
    assert len({m["groupId"] for m in after}) == len(after)


@pytest.mark.parametrize("url", LISTS)
async def test_paging_parameters_upstream_does_not_take_change_nothing(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, url: str
) -> None:
    await add_project_groups(session, PROJECT, EXTRA)
    everything = await memberships(client, url, tokens.viewer)
    asked = await memberships(client, url + "?limit=5&offset=10", tokens.viewer)
    assert asked == everything


async def test_another_projects_groups_are_not_listed(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    before = await memberships(client, LISTS[0], tokens.viewer)
    await add_project_groups(session, OTHER_PROJECT, 20)
    assert await memberships(client, LISTS[0], tokens.viewer) == before

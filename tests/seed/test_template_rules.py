"""Templates in a seed file obey the same body rules as endpoint C."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import ProjectTemplate
from rolegate.seed.loader import SeedError, load_seed, parse_seed


def _seed(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "organizations": [
            {"name": "Seeded", "slug": "seeded-templates", "project_templates": [template]}
        ]
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({"name": "default"}, r"project_templates\[0\]\.name: The requested project template"),
        (
            {"name": "t", "roles": [{"name": "Ops", "slug": "admin"}]},
            r"project_templates\[0\]\.roles\[0\]\.slug: Role slug \"admin\" is reserved",
        ),
        (
            {"name": "t", "roles": [{"name": "No Access", "slug": "ops"}]},
            r"roles\[0\]\.name: Role name \"No Access\" is reserved",
        ),
        (
            {"name": "t", "environments": [{"name": "Dev", "slug": "dev", "position": 2}]},
            r"environments\[0\]\.position: One or more of the positions",
        ),
    ],
)
async def test_seeded_template_breaking_a_body_rule_is_refused_and_writes_nothing(
    session: AsyncSession, template: dict[str, Any], message: str
) -> None:
    with pytest.raises(SeedError, match=message):
        async with session.begin_nested():
            await load_seed(session, parse_seed(_seed(template)))
    count = (await session.execute(select(func.count()).select_from(ProjectTemplate))).scalar_one()
    assert count == 0

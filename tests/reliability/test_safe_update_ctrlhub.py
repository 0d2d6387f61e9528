"""Safe updates on ctrl-hub endpoint E (JSON:API documents, errors included)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.ctrlhub.conftest import JSONAPI, OWNER_TOKEN, WORLD, assert_error, group_url
from tests.conftest import seed_into
from tests.reliability.safe_update_contract import Headers, SafeUpdateContract, Surface


async def owner(session: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Headers:
    await seed_into(session, WORLD)
    return {"X-Session-Token": OWNER_TOKEN, "Accept": JSONAPI}


def name(index: int) -> str:
    return f"Engineering <v{index}> & 'co'"


def shows(document: dict[str, Any], index: int) -> bool:
    return bool(document["data"]["attributes"]["name"] == name(index))


class TestRoleGroup(SafeUpdateContract):
    surface = Surface(
        get_url=group_url(),
        patch_url=group_url(),
        bodies=[
            {"data": {"type": "groups", "id": group_url().rsplit("/", 1)[1], "attributes": a}}
            for a in ({"name": name(i)} for i in range(4))
        ],
        login=owner,
        envelope=assert_error,
        shows=shows,
        content_type=JSONAPI,
    )

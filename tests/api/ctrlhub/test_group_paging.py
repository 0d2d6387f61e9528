"""``GET /v3/orgs/{org_id}/iam/groups`` pages as ctrl-hub does: ``limit``/``offset``,
``meta.pagination`` and ``links`` (docs/ctrlhub.md, "Paging")."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.ctrlhub.conftest import (
    ADMINS,
    DEV,
    EMPTY,
    ENGINEERING,
    MEMBER,
    ORG,
    OTHER_ORG,
    OWNER_TOKEN,
    THEIRS,
    assert_error,
    headers,
)
from tests.api.ctrlhub.sdk_client import SdkClient

pytestmark = pytest.mark.usefixtures("world")

GROUPS = f"/v3/orgs/{ORG}/iam/groups"


def sdk(client: httpx.AsyncClient) -> SdkClient:
    return SdkClient(http=client, organisation_id=ORG, bearer_token=OWNER_TOKEN)


async def add_groups(session: AsyncSession, org: str, names: list[str]) -> None:
    await session.execute(
        text(
            "INSERT INTO groups (id, org_id, name, slug, description)"
            " SELECT gen_random_uuid(), :org, n, 'paging-' || i, ''"
            " FROM unnest(CAST(:names AS text[])) WITH ORDINALITY AS t(n, i)"
        ),
        {"org": uuid.UUID(org), "names": names},
    )
    await session.commit()


async def page(client: httpx.AsyncClient, query: str = "") -> dict[str, Any]:
    response = await client.get(GROUPS + query, headers=headers())
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


async def test_without_paging_parameters_the_first_hundred_groups_by_name(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # 3 groups of the world plus 120: a client sending no limit gets ctrl-hub's default page.
    await add_groups(session, ORG, [f"g{i:03}" for i in range(120)])
    doc = await page(client)
    names = [g["attributes"]["name"] for g in doc["data"]]
    assert names == ["Admins", "Empty", "Engineering", *[f"g{i:03}" for i in range(97)]]
    assert doc["meta"]["pagination"] == {
        "current_page": 1,
        "counts": {"resources": 123, "pages": 2},
        "requested": {"offset": 0, "limit": 100},
        "offsets": {"previous": None, "next": 100},
        "offset": 0,
        "limit": 100,
        "total": 123,
    }
    assert doc["links"] == {
        "self": f"{GROUPS}?limit=100&offset=0",
        "next": f"{GROUPS}?limit=100&offset=100",
        "prev": None,
    }
    rest = await page(client, "?limit=100&offset=100")
    assert [g["attributes"]["name"] for g in rest["data"]] == [f"g{i:03}" for i in range(97, 120)]
    assert rest["links"]["next"] is None
    assert rest["meta"]["pagination"]["offsets"] == {"previous": 0, "next": None}


async def test_a_small_org_is_one_page_with_no_next_or_previous(
    client: httpx.AsyncClient,
) -> None:
    doc = await page(client)
    assert [g["id"] for g in doc["data"]] == [ADMINS, EMPTY, ENGINEERING]
    pagination = doc["meta"]["pagination"]
    assert pagination["counts"] == {"resources": 3, "pages": 1}
    assert pagination["offsets"] == {"previous": None, "next": None}
    assert doc["links"]["next"] is None and doc["links"]["prev"] is None


async def test_following_next_visits_every_group_once_in_a_stable_order(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Equal names: the id breaks the tie, so no group is on two pages or on none.
    await add_groups(session, ORG, ["Same"] * 7 + ["Zed", "Alpha"])
    everything = (await page(client, "?limit=100"))["data"]
    seen: list[str] = []
    url: str | None = f"{GROUPS}?limit=2&offset=0"
    pages = 0
    while url is not None:
        doc = await page(client, url.removeprefix(GROUPS))
        seen += [g["id"] for g in doc["data"]]
        url = doc["links"]["next"]
        pages += 1
    assert seen == [g["id"] for g in everything]
    assert len(set(seen)) == len(seen) == 12
    assert pages == 6
    names = [g["attributes"]["name"] for g in everything]
    assert names == sorted(names)
    same = [g["id"] for g in everything if g["attributes"]["name"] == "Same"]
    assert same == sorted(same)


async def test_sdk_request_options_page_the_groups(client: httpx.AsyncClient) -> None:
    # GroupsService.get(options): limit, offset and the sort/include it may add (ignored).
    options = {"limit": 1, "offset": 2, "sort": [{"key": "name"}], "include": ["members"]}
    response = await sdk(client).groups(options)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [g["id"] for g in doc["data"]] == [ENGINEERING]
    pagination = doc["meta"]["pagination"]
    assert pagination["current_page"] == 3
    assert pagination["requested"] == {"offset": 2, "limit": 1}
    assert pagination["offsets"] == {"previous": 1, "next": None}
    assert doc["links"]["prev"] == f"{GROUPS}?limit=1&offset=1"


async def test_included_holds_only_the_users_of_the_page(client: httpx.AsyncClient) -> None:
    engineering = await page(client, "?limit=1&offset=2")
    linked = {u["id"] for u in engineering["data"][0]["relationships"]["users"]["data"]}
    assert linked == {u["id"] for u in engineering["included"]} == {MEMBER, DEV}
    empty = await page(client, "?limit=1&offset=1")
    assert [g["id"] for g in empty["data"]] == [EMPTY] and empty["included"] == []


async def test_an_offset_past_the_end_is_an_empty_page(client: httpx.AsyncClient) -> None:
    doc = await page(client, "?offset=50")
    assert doc["data"] == [] and doc["included"] == []
    assert doc["meta"]["pagination"]["counts"]["resources"] == 3
    assert doc["links"]["next"] is None
    assert doc["links"]["prev"] == f"{GROUPS}?limit=100&offset=0"


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=101",
        "?limit=-1",
        "?limit=ten",
        "?offset=-1",
        "?offset=x",
        "?offset=2147483648",
    ],
)
async def test_bad_paging_parameters_are_a_jsonapi_400(
    client: httpx.AsyncClient, query: str
) -> None:
    body = assert_error(await client.get(GROUPS + query, headers=headers()), 400)
    parameter = query[1:].split("=")[0]
    assert [e["source"].get("parameter") for e in body["errors"]] == [parameter], body


async def test_another_orgs_groups_are_neither_listed_nor_counted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_groups(session, OTHER_ORG, [f"theirs{i}" for i in range(5)])
    doc = await page(client, "?limit=2")
    ids = {g["id"] for g in doc["data"]}
    assert THEIRS not in ids
    assert doc["meta"]["pagination"]["counts"]["resources"] == 3
    everything = await page(client)
    assert all(g["id"] != THEIRS for g in everything["data"])
    assert not any(g["attributes"]["name"].startswith("theirs") for g in everything["data"])

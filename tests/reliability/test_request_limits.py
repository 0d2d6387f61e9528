"""Hostile bodies: too large (declared or streamed), too many items, too deep, odd strings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.api.jsonlimits import json_depth_exceeds
from tests.api.infisical.conftest import ORG, PROJECT
from tests.conftest import bearer, seed_into
from tests.reliability.conftest import URL, Tokens

MIB = 1024 * 1024


def nested(depth: int) -> str:
    """A roles body whose first role carries ``depth`` levels of nesting in total."""
    inner = "[" * (depth - 3) + "]" * (depth - 3)
    return '{"roles":[{"role":"viewer","extra":' + inner + "}]}"


async def test_body_over_1_mib_is_413_in_the_envelope_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    body = '{"roles":[{"role":"viewer","pad":"' + "x" * MIB + '"}]}'
    response = await client.patch(
        URL, content=body, headers={**bearer(tokens.admin), "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["statusCode"] == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert await read_roles() == ["member"]


async def test_chunked_body_without_content_length_over_1_mib_is_413(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"roles":[{"role":"viewer","pad":"'
        for _ in range(20):
            yield b"x" * 64 * 1024
        yield b'"}]}'

    response = await client.patch(
        URL,
        content=chunks(),
        headers={**bearer(tokens.admin), "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "PayloadTooLarge"
    assert await read_roles() == ["member"]


async def test_chunked_body_under_the_limit_is_accepted(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"roles":'
        yield b'[{"role":"viewer"}]}'

    response = await client.patch(
        URL, content=chunks(), headers={**bearer(tokens.admin), "content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert await read_roles() == ["viewer"]


async def test_a_thousand_roles_is_422_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    roles = [{"role": "viewer"} for _ in range(1000)]
    response = await client.patch(URL, json={"roles": roles}, headers=bearer(tokens.admin))
    assert response.status_code == 422
    assert response.json()["message"][0]["path"] == ["roles"]
    assert await read_roles() == ["member"]


async def test_json_nested_deeper_than_64_is_400_in_the_envelope(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    response = await client.patch(
        URL,
        content=nested(65),
        headers={**bearer(tokens.admin), "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "BadRequest"
    assert "nested deeper than 64" in response.json()["message"]
    assert await read_roles() == ["member"]


async def test_json_nested_far_past_any_parser_limit_is_still_400(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL,
        content="[" * 100_000 + "]" * 100_000,
        headers={**bearer(tokens.admin), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "nested deeper than 64" in response.json()["message"]


async def test_json_nested_64_levels_passes_the_depth_check(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    # Unknown keys are ignored, so the deep value is harmless once it may pass.
    response = await client.patch(
        URL,
        content=nested(64),
        headers={**bearer(tokens.admin), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert await read_roles() == ["viewer"]


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (b"[]", False),
        (b'{"a":"[[[[[[[[[["}', False),  # brackets inside strings do not nest
        (b"[" * 5 + b"]" * 5, True),
        (b"[[1],[2],[3],[4],[5]]", False),
        (b"not json [[[[[[", False),  # invalid JSON is the surface's 422, not ours
        (b"[" * 100_000 + b"]" * 100_000, True),  # past orjson's own limit
        (b'{"a":' * 2000 + b"1" + b"}" * 2000, True),
    ],
)
def test_depth_check(body: bytes, too_deep: bool) -> None:
    assert json_depth_exceeds(body, 4) is too_deep


async def test_missing_token_is_401_before_the_depth_check(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        URL, content=nested(100), headers={"content-type": "application/json"}
    )
    assert response.status_code == 401 and response.json()["message"] == "Token missing"


HOSTILE = 'Robert\'); DROP TABLE groups;-- <script>alert("x")</script> & %s \\ \u00e9'
HOSTILE_SLUG = "robert-drop-table"  # slugs are [a-z0-9-] by rule; the name carries the payload
HOSTILE_GROUP = "00000000-0000-4000-8000-0000000003aa"


async def test_names_with_sql_and_html_metacharacters_come_back_verbatim(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    await seed_into(
        session,
        {
            "organizations": [
                {
                    "id": ORG,
                    "name": "Acme",
                    "slug": "acme",
                    "groups": [{"id": HOSTILE_GROUP, "name": HOSTILE, "slug": HOSTILE_SLUG}],
                }
            ]
        },
    )
    added = await client.post(
        f"/api/v2/workspace/{PROJECT}/groups/{HOSTILE_GROUP}",
        json={"role": "viewer"},
        headers=bearer(tokens.admin),
    )
    assert added.status_code == 200, added.text

    got = await client.get(
        f"/api/v2/workspace/{PROJECT}/groups/{HOSTILE_GROUP}", headers=bearer(tokens.admin)
    )

    group = got.json()["groupMembership"]["group"]
    assert group["name"] == HOSTILE and group["slug"] == HOSTILE_SLUG
    assert got.headers["content-type"].startswith("application/json")


async def test_a_role_slug_with_metacharacters_is_echoed_verbatim_in_the_404(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any
) -> None:
    slug = "admin'; DELETE FROM role_assignments;--<i>"
    response = await client.patch(
        URL, json={"roles": [{"role": slug}]}, headers=bearer(tokens.admin)
    )
    assert response.status_code == 404
    assert response.json()["message"] == f"Specified role was not found: {slug}"
    assert await read_roles() == ["member"]


@pytest.mark.parametrize("escape", [b"\\uda21", b"\\udc00"])
async def test_an_unpaired_surrogate_escape_is_400_not_a_database_error(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any, escape: bytes
) -> None:
    body = b'{"roles": [{"role": "viewer' + escape + b'"}]}'
    response = await client.patch(
        URL, content=body, headers={**bearer(tokens.admin), "content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "surrogate" in response.json()["message"]
    assert await read_roles() == ["member"]


async def test_a_paired_surrogate_escape_is_an_ordinary_character(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = b'{"roles": [{"role": "viewer\\ud83d\\ude00"}]}'
    response = await client.patch(
        URL, content=body, headers={**bearer(tokens.admin), "content-type": "application/json"}
    )
    assert response.status_code == 404, response.text
    assert response.json()["message"] == "Specified role was not found: viewer\U0001f600"

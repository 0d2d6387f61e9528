"""The depth and surrogate limits apply to every JSON media type, however it is spelled.

Media types are case-insensitive (RFC 9110 §8.3.1) and the framework parses
``application/JSON`` bodies as JSON, so the limits must see them too, on every surface.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.api.jsonlimits import is_json_media_type
from tests.api.csp import conftest as csp_world
from tests.api.ctrlhub import conftest as ctrlhub_world
from tests.conftest import bearer, seed_into
from tests.reliability.conftest import URL, Tokens
from tests.reliability.test_request_limits import nested

SPELLINGS = ["application/JSON", "Application/Json; charset=utf-8", "APPLICATION/JSON ; q=1"]
FAR_TOO_DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("content_type", SPELLINGS)
async def test_infisical_body_nested_past_the_limit_is_400_in_any_spelling(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any, content_type: str
) -> None:
    response = await client.patch(
        URL, content=nested(65), headers={**bearer(tokens.admin), "content-type": content_type}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "BadRequest"
    assert "nested deeper than 64" in response.json()["message"]
    assert await read_roles() == ["member"]


@pytest.mark.parametrize("content_type", SPELLINGS)
async def test_infisical_body_nested_past_any_parser_is_400_in_any_spelling(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any, content_type: str
) -> None:
    response = await client.patch(
        URL, content=FAR_TOO_DEEP, headers={**bearer(tokens.admin), "content-type": content_type}
    )
    assert response.status_code == 400, response.text
    assert "nested deeper than 64" in response.json()["message"]
    assert await read_roles() == ["member"]


@pytest.mark.parametrize("content_type", SPELLINGS)
async def test_infisical_unpaired_surrogate_is_400_in_any_spelling(
    client: httpx.AsyncClient, tokens: Tokens, read_roles: Any, content_type: str
) -> None:
    body = b'{"roles": [{"role": "viewer\\udc00"}]}'
    response = await client.patch(
        URL, content=body, headers={**bearer(tokens.admin), "content-type": content_type}
    )
    assert response.status_code == 400, response.text
    assert "surrogate" in response.json()["message"]
    assert await read_roles() == ["member"]


@pytest.mark.parametrize("content_type", SPELLINGS)
async def test_csp_body_nested_past_the_limit_is_400_in_the_csp_envelope(
    client: httpx.AsyncClient, session: AsyncSession, content_type: str
) -> None:
    await seed_into(session, csp_world.WORLD)
    owner = csp_world.csp(await csp_world.exchange(client, csp_world.API_TOKENS["owner"]))
    before = await csp_world.read_roles(client, owner["csp-auth-token"])
    body = '{"organizationRoles":{"roleNamesToAdd":["developer"]},"x":' + FAR_TOO_DEEP + "}"

    response = await client.patch(
        csp_world.roles_url(), content=body, headers={**owner, "content-type": content_type}
    )

    error = csp_world.assert_csp_error(response, 400)
    assert "nested deeper than 64" in error["message"]
    assert await csp_world.read_roles(client, owner["csp-auth-token"]) == before


@pytest.mark.parametrize(
    "content_type", ["application/VND.API+JSON", "Application/Json; charset=utf-8"]
)
async def test_ctrlhub_body_nested_past_the_limit_is_400_as_a_jsonapi_error(
    client: httpx.AsyncClient, session: AsyncSession, content_type: str
) -> None:
    await seed_into(session, ctrlhub_world.WORLD)
    before = await ctrlhub_world.read_group(client)
    body = '{"data":{"type":"groups","id":"' + ctrlhub_world.ENGINEERING + '","attributes":'
    body += '{"name":"Deep","x":' + FAR_TOO_DEEP + "}}}"

    response = await client.patch(
        ctrlhub_world.group_url(),
        content=body,
        headers=ctrlhub_world.headers(content_type=content_type),
    )

    error = ctrlhub_world.assert_error(response, 400)
    assert "nested deeper than 64" in error["errors"][0]["detail"]
    assert await ctrlhub_world.read_group(client) == before


@pytest.mark.parametrize(
    ("value", "is_json"),
    [
        ("application/json", True),
        ("application/JSON", True),
        ("Application/Json; charset=utf-8", True),
        ("application/vnd.api+json", True),
        ("application/VND.API+JSON; profile=x", True),
        (" application/json ", True),
        ("text/json", False),  # the framework does not parse it as JSON either
        ("application/x-ndjson", False),
        ("text/plain", False),
        ("", False),
        (None, False),
    ],
)
def test_json_media_types_are_recognised_as_the_framework_recognises_them(
    value: str | None, is_json: bool
) -> None:
    assert is_json_media_type(value) is is_json

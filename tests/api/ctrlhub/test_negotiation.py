"""JSON:API content negotiation: 415 and 406, over HTTP and as pure rules."""

from __future__ import annotations

import httpx
import pytest

from rolegate.api.ctrlhub.negotiation import accept_problem, content_type_problem
from tests.api.ctrlhub.conftest import (
    JSONAPI,
    OWNER_TOKEN,
    assert_error,
    group_url,
    patch_body,
    read_group,
)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.api+json; charset=utf-8",
        'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
        "application/vnd.api+json;version=1",
        "text/plain",
        "application/x-www-form-urlencoded",
    ],
)
@pytest.mark.usefixtures("world")
async def test_unsupported_content_type_is_415_and_changes_nothing(
    client: httpx.AsyncClient, content_type: str
) -> None:
    before = await read_group(client)
    response = await client.patch(
        group_url(),
        json=patch_body(name="Nope"),
        headers={"X-Session-Token": OWNER_TOKEN, "Content-Type": content_type},
    )
    doc = assert_error(response, 415)
    assert doc["errors"][0]["source"] == {"header": "Content-Type"}
    assert await read_group(client) == before


@pytest.mark.parametrize(
    "content_type",
    [
        JSONAPI,
        'application/vnd.api+json; profile="https://example.com/profile"',
        "application/json",
        "application/json; charset=utf-8",
        "Application/VND.API+JSON",
    ],
)
@pytest.mark.usefixtures("world")
async def test_supported_content_types_are_accepted(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.patch(
        group_url(),
        json=patch_body(name="Fine"),
        headers={"X-Session-Token": OWNER_TOKEN, "Content-Type": content_type},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.api+json; charset=utf-8",
        "application/vnd.api+json; foo=bar, application/vnd.api+json; ext=x",
        "application/vnd.api+json; foo=bar, application/json",
    ],
)
@pytest.mark.usefixtures("world")
async def test_accept_with_only_parameterised_jsonapi_entries_is_406(
    client: httpx.AsyncClient, accept: str
) -> None:
    before = await read_group(client)
    response = await client.patch(
        group_url(),
        json=patch_body(name="Nope"),
        headers={"X-Session-Token": OWNER_TOKEN, "Content-Type": JSONAPI, "Accept": accept},
    )
    assert_error(response, 406)
    assert await read_group(client) == before


@pytest.mark.parametrize(
    "accept",
    [
        JSONAPI,
        "application/vnd.api+json; foo=bar, application/vnd.api+json",
        "application/vnd.api+json;q=0.9",
        "application/json",
        "*/*",
    ],
)
@pytest.mark.usefixtures("world")
async def test_acceptable_accept_headers_get_jsonapi(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await client.get(
        group_url(), headers={"X-Session-Token": OWNER_TOKEN, "Accept": accept}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI


def test_missing_content_type_is_a_problem_only_with_a_reason() -> None:
    assert content_type_problem(None) is not None
    assert "Content-Type" in (content_type_problem("") or "")


def test_quoted_parameters_with_separators_are_parsed_whole() -> None:
    assert content_type_problem('application/vnd.api+json; profile="a;b, c"') is None
    assert accept_problem('application/vnd.api+json; profile="x,y"') is None
    assert accept_problem('application/vnd.api+json; profile="x"; charset=utf-8') is not None


def test_accept_without_jsonapi_entry_is_not_refused() -> None:
    assert accept_problem("text/html") is None
    assert accept_problem(None) is None


@pytest.mark.usefixtures("world")
async def test_oversized_body_is_413_in_a_jsonapi_document_with_trace_id(
    client: httpx.AsyncClient,
) -> None:
    huge = patch_body(description="x" * (2 * 1024 * 1024))
    response = await client.patch(
        group_url(), json=huge, headers={"X-Session-Token": OWNER_TOKEN, "Content-Type": JSONAPI}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == JSONAPI
    assert response.headers["x-trace-id"]
    assert response.json()["errors"][0]["status"] == "413"

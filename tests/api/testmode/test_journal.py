"""The request journal: what clients sent, newest first, secrets redacted, bounded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.main import create_app


async def _journal(client: httpx.AsyncClient, query: str = "") -> list[dict[str, object]]:
    response = await client.get(f"/_rolegate/requests{query}")
    assert response.status_code == 200, response.text
    return list(response.json()["requests"])


async def test_a_request_is_journaled_with_its_secrets_redacted(
    tm_client: httpx.AsyncClient,
) -> None:
    sent = await tm_client.post(
        "/api/v1/auth/universal-auth/login?password=hunter2&keep=1",
        json={"clientId": "ci-client", "clientSecret": "s3cret", "nested": [{"password": "p"}]},
        headers={"Cookie": "session=abc", "X-Trace": "t-1"},
    )
    assert sent.status_code == 401

    [entry] = await _journal(tm_client)

    assert entry["method"] == "POST" and entry["surface"] == "infisical"
    assert entry["path"] == "/api/v1/auth/universal-auth/login"
    assert entry["status"] == 401
    assert entry["query"] == "password=%5Bredacted%5D&keep=1"
    assert entry["json"] == {
        "clientId": "ci-client",
        "clientSecret": "[redacted]",
        "nested": [{"password": "[redacted]"}],
    }
    headers = entry["headers"]
    assert isinstance(headers, dict)
    assert headers["cookie"] == "[redacted]" and headers["x-trace"] == "t-1"
    assert "s3cret" not in str(entry) and "hunter2" not in str(entry)


async def test_credential_headers_are_redacted_on_every_surface(
    tm_client: httpx.AsyncClient,
) -> None:
    await tm_client.get("/api/v2/workspace/x/groups", headers={"Authorization": "Bearer tok-1"})
    await tm_client.get("/csp/gateway/am/api/orgs/x/groups", headers={"csp-auth-token": "tok-2"})
    await tm_client.get("/v3/roles", headers={"X-Session-Token": "tok-3"})
    await tm_client.post(
        "/csp/gateway/am/api/auth/api-tokens/authorize",
        content="api_token=tok-4&refresh_token=tok-5",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    entries = await _journal(tm_client)

    assert [e["surface"] for e in entries] == ["csp", "ctrlhub", "csp", "infisical"]
    assert "tok-" not in str(entries)
    assert entries[3]["headers"]["authorization"] == "Bearer [redacted]"  # type: ignore[index]
    assert entries[0]["body"] == "api_token=%5Bredacted%5D&refresh_token=%5Bredacted%5D"


async def test_the_journal_filters_by_surface_and_path_prefix(
    tm_client: httpx.AsyncClient,
) -> None:
    await tm_client.get("/v3/roles")
    await tm_client.get("/v3/orgs/x/iam/groups/y")
    await tm_client.get("/api/v2/workspace/x/groups")

    assert len(await _journal(tm_client, "?surface=ctrlhub")) == 2
    only = await _journal(tm_client, "?surface=ctrlhub&path=/v3/orgs/")
    assert [e["path"] for e in only] == ["/v3/orgs/x/iam/groups/y"]
    assert await _journal(tm_client, "?path=/v3/orgs/%25") == []  # % is literal
    bad = await tm_client.get("/_rolegate/requests?surface=aws")
    assert bad.status_code == 422


async def test_the_journal_does_not_record_its_own_routes_or_probes(
    tm_client: httpx.AsyncClient,
) -> None:
    await tm_client.get("/healthz")
    await tm_client.get("/_rolegate/clock")
    assert await _journal(tm_client) == []


@pytest.fixture
async def small_journal(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    testing = settings.testing.model_copy(update={"journal_size": 3})
    bounded = settings.model_copy(update={"test_mode": True, "testing": testing})
    app = create_app(bounded, engine=engine)
    app.state.sessionmaker = sessionmaker
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
    ) as client:
        yield client


async def test_the_journal_keeps_only_the_newest_requests(
    small_journal: httpx.AsyncClient,
) -> None:
    for n in range(5):
        await small_journal.get(f"/v3/n{n}")
    assert [e["path"] for e in await _journal(small_journal)] == ["/v3/n4", "/v3/n3", "/v3/n2"]


async def test_delete_empties_the_journal(tm_client: httpx.AsyncClient) -> None:
    await tm_client.get("/v3/roles")
    assert (await tm_client.delete("/_rolegate/requests")).status_code == 204
    assert await _journal(tm_client) == []

"""``POST /api/v1/auth/token/renew``: what the Node SDK's ``universalAuth.renew()`` sends.

The SDK posts ``{"accessToken": <current token>}`` as JSON and replaces its token with the
``accessToken`` of the answer.
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.main import token_codec
from rolegate.rbac import repository
from tests.api.infisical.conftest import MEMBER, PROJECT, Tokens, audit_log_events
from tests.conftest import bearer

RENEW = "/api/v1/auth/token/renew"
LIST = f"/api/v2/workspace/{PROJECT}/groups"
NODE_HEADERS = {"Content-Type": "application/json", "User-Agent": "node"}


async def login(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/api/v1/auth/universal-auth/login",
        json={"clientId": "member-client", "clientSecret": "member-secret"},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


async def test_renew_answers_a_working_token_and_retires_the_old_one(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    old = await login(client)
    response = await client.post(RENEW, json={"accessToken": old}, headers=NODE_HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 3600
    new = body["accessToken"]
    assert new != old
    assert (await client.get(LIST, headers=bearer(new))).status_code == 200
    assert (await client.get(LIST, headers=bearer(old))).status_code == 401
    again = await client.post(RENEW, json={"accessToken": old}, headers=NODE_HEADERS)
    assert again.status_code == 401
    assert again.json()["error"] == "TokenError"


async def test_renew_is_audited(client: httpx.AsyncClient, tokens: Tokens) -> None:
    old = await login(client)
    renewed = await client.post(RENEW, json={"accessToken": old}, headers=NODE_HEADERS)
    assert renewed.status_code == 200, renewed.text
    events = await audit_log_events(client, tokens.admin, "identity-token.renew")
    assert len(events) == 1


async def test_renew_never_passes_the_max_ttl_of_the_login(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, settings: Settings
) -> None:
    codec = token_codec(settings)
    now = dt.datetime.now(dt.UTC)
    max_ttl = 2592000  # the seed's default access_token_max_ttl
    # A chain that started (max TTL - 60 s) ago may run for one more minute only.
    started = int(now.timestamp()) - max_ttl + 60
    issued = codec.mint(
        surface="infisical",
        subject=uuid.UUID(MEMBER),
        ttl_seconds=600,
        claims={"org": "x", "authTime": started},
        now=now,
    )
    await repository.record_access_token(
        session,
        jti=issued.jti,
        surface="infisical",
        principal_id=uuid.UUID(MEMBER),
        issued_at=issued.issued_at,
        expires_at=issued.expires_at,
    )
    await session.commit()
    response = await client.post(RENEW, json={"accessToken": issued.token}, headers=NODE_HEADERS)
    assert response.status_code == 200, response.text
    assert 0 < response.json()["expiresIn"] <= 60

    spent = codec.mint(
        surface="infisical",
        subject=uuid.UUID(MEMBER),
        ttl_seconds=600,
        claims={"org": "x", "authTime": started - 120},
        now=now,
    )
    await repository.record_access_token(
        session,
        jti=spent.jti,
        surface="infisical",
        principal_id=uuid.UUID(MEMBER),
        issued_at=spent.issued_at,
        expires_at=spent.expires_at,
    )
    await session.commit()
    refused = await client.post(RENEW, json={"accessToken": spent.token}, headers=NODE_HEADERS)
    assert refused.status_code == 401
    assert "max TTL" in refused.json()["message"]


async def test_renew_refuses_garbage_and_other_surfaces_tokens(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    garbage = await client.post(RENEW, json={"accessToken": "not-a-jwt"}, headers=NODE_HEADERS)
    assert garbage.status_code == 401
    foreign = token_codec(settings).mint(
        surface="ctrlhub", subject=uuid.UUID(MEMBER), ttl_seconds=600
    )
    wrong = await client.post(RENEW, json={"accessToken": foreign.token}, headers=NODE_HEADERS)
    assert wrong.status_code == 401
    empty = await client.post(RENEW, json={}, headers=NODE_HEADERS)
    assert empty.status_code == 422

"""CSP auth: API-token exchange, the access token, how it is presented and checked."""

from __future__ import annotations

import datetime as dt

import httpx
from jose import jwt
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.main import token_codec
from rolegate.rbac.models import AccessToken, CspApiToken, RoleAssignment
from rolegate.rbac.secrets import token_digest
from tests.api.csp.conftest import (
    API_TOKENS,
    AUTHORIZE,
    CONSOLE,
    ENGINEERING,
    ORG,
    OWNER,
    Tokens,
    assert_csp_error,
    csp,
    read_roles,
    roles_url,
)
from tests.conftest import bearer


async def test_api_token_exchange_returns_the_documented_token_response(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await client.post(AUTHORIZE, data={"api_token": API_TOKENS["owner"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "id_token",
        "refresh_token",
        "scope",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    assert body["refresh_token"] == API_TOKENS["owner"]
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == OWNER
    assert claims["context_name"] == ORG
    assert claims["username"] == "owner@acme.test"
    assert claims["acct"] == "owner@acme.test"
    assert "csp:org_owner" in claims["perms"]
    assert {"iss", "iat", "exp", "jti"} <= set(claims)
    assert response.headers["csp-request-id"]


async def test_perms_list_service_roles_held_through_a_group(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {"serviceRoles": [{"serviceDefinitionId": CONSOLE, "roleNamesToAdd": ["service:user"]}]}
    response = await client.patch(roles_url(), json=body, headers=csp(tokens.owner))
    assert response.status_code == 200, response.text

    minted = await client.post(AUTHORIZE, data={"api_token": API_TOKENS["member"]})
    perms = jwt.get_unverified_claims(minted.json()["access_token"])["perms"]
    assert f"external/{CONSOLE}/service:user" in perms
    assert "csp:org_member" in perms


async def test_deprecated_refresh_token_form_field_and_query_parameter_are_accepted(
    client: httpx.AsyncClient, world: None
) -> None:
    by_form = await client.post(AUTHORIZE, data={"refresh_token": API_TOKENS["owner"]})
    by_query = await client.post(AUTHORIZE, params={"refresh_token": API_TOKENS["owner"]})

    for response in (by_form, by_query):
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        assert (await client.get(roles_url(), headers=csp(token))).status_code == 200


async def test_unknown_api_token_is_400_invalid_grant_in_the_csp_envelope(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await client.post(AUTHORIZE, data={"api_token": "not-a-real-token"})

    body = assert_csp_error(response, 400)
    assert body["message"].startswith("invalid_grant: ")
    assert body["errorCode"] == "INVALID_GRANT"


async def test_expired_api_token_is_400_invalid_grant(
    client: httpx.AsyncClient, world: None, session: AsyncSession
) -> None:
    await session.execute(
        update(CspApiToken)
        .where(CspApiToken.token_hash == token_digest(API_TOKENS["owner"]))
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    await session.commit()

    response = await client.post(AUTHORIZE, data={"api_token": API_TOKENS["owner"]})

    assert assert_csp_error(response, 400)["message"].startswith("invalid_grant: ")


async def test_missing_api_token_is_400_naming_the_field(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await client.post(AUTHORIZE, data={})

    assert "api_token" in assert_csp_error(response, 400)["message"]


async def test_api_tokens_are_stored_hashed(session: AsyncSession, world: None) -> None:
    stored = (await session.execute(CspApiToken.__table__.select())).all()
    assert stored
    plain = {value.encode() for value in API_TOKENS.values()}
    assert all(row.token_hash not in plain and len(row.token_hash) == 32 for row in stored)


async def test_access_token_is_accepted_as_authorization_bearer(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(roles_url(), headers=bearer(tokens.owner))
    assert response.status_code == 200, response.text


async def test_request_without_a_token_is_401_before_the_body_is_read(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await client.patch(
        roles_url(), content=b"{not json", headers={"content-type": "application/json"}
    )

    body = assert_csp_error(response, 401)
    assert body["errorCode"] == "UNAUTHORIZED"


async def test_garbage_or_foreign_surface_token_is_401(
    client: httpx.AsyncClient, world: None, settings: Settings
) -> None:
    import uuid

    foreign = token_codec(settings).mint(
        surface="infisical", subject=uuid.UUID(OWNER), ttl_seconds=60
    )
    for token in ("garbage", foreign.token):
        response = await client.get(roles_url(), headers=csp(token))
        assert_csp_error(response, 401)


async def test_revoked_access_token_is_401(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    jti = jwt.get_unverified_claims(tokens.owner)["jti"]
    await session.execute(
        update(AccessToken).where(AccessToken.id == jti).values(revoked_at=dt.datetime.now(dt.UTC))
    )
    await session.commit()

    response = await client.get(roles_url(), headers=csp(tokens.owner))

    assert_csp_error(response, 401)


async def test_role_removed_after_minting_no_longer_counts(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    assert "csp:org_owner" in jwt.get_unverified_claims(tokens.owner)["perms"]
    await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.user_id == OWNER, RoleAssignment.role_key == "org_owner"
        )
    )
    await session.commit()

    response = await client.patch(
        roles_url(),
        json={"organizationRoles": {"roleNamesToAdd": ["developer"]}},
        headers=csp(tokens.owner),
    )

    assert_csp_error(response, 403)
    assert "developer" not in str(await read_roles(client, tokens.admin, ENGINEERING))

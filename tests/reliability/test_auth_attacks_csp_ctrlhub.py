"""Forged, foreign and lapsed credentials on the CSP and ctrl-hub surfaces.

Cases the surfaces' own tests already cover are not repeated here: a CSP token of org A
on org B (tests/api/csp/test_group_roles.py), a revoked CSP token and garbage
(tests/api/csp/test_auth.py), a ctrl-hub session of org A on org B and unknown or expired
sessions (tests/api/ctrlhub/test_auth.py). Each forgery below starts from a real token's
claims, so the one thing wrong with it is the thing under test.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.csp import conftest as csp_world
from tests.api.ctrlhub import conftest as ctrlhub_world
from tests.conftest import infisical_token, seed_into

BOT = "00000000-0000-4000-8000-00000000c601"  # a machine identity in the CSP org
CSP_CHANGE = {"organizationRoles": {"roleNamesToAdd": ["org_owner"]}}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def resigned(token: str, secret: str, algorithm: str = "HS256", **changes: Any) -> str:
    return str(jwt.encode({**jwt.get_unverified_claims(token), **changes}, secret, algorithm))


def unsigned(token: str) -> str:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{token.split('.')[1]}."


def relabelled_rs256(token: str) -> str:
    """The HS/RS confusion: the server's own HMAC under a header claiming RS256."""
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return ".".join([header, *token.split(".")[1:]])


def attacker_rs256(token: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return resigned(token, pem, "RS256")


def secret_of(settings: Settings) -> str:
    assert settings.auth.jwt_secret is not None
    return settings.auth.jwt_secret.get_secret_value()


# --- CSP -------------------------------------------------------------------------------


@pytest.fixture
async def csp_tokens(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> dict[str, str]:
    world = copy.deepcopy(csp_world.WORLD)
    world["organizations"][0]["identities"] = [{"id": BOT, "name": "bot", "org_role": "admin"}]
    await seed_into(session, world)
    return {
        "owner": await csp_world.exchange(client, csp_world.API_TOKENS["owner"]),
        "infisical": await infisical_token(session, settings, BOT),
    }


async def csp_roles(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    return await csp_world.read_roles(client, token, csp_world.OWNERS)


async def assert_csp_refused(
    client: httpx.AsyncClient, presented: str, owner: str, **headers: str
) -> None:
    before = await csp_roles(client, owner)
    response = await client.patch(
        csp_world.roles_url(group=csp_world.OWNERS),
        json=CSP_CHANGE,
        headers=headers or csp_world.csp(presented),
    )
    body = csp_world.assert_csp_error(response, 401)
    assert body["errorCode"] == "UNAUTHORIZED"
    assert await csp_roles(client, owner) == before


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(unsigned, id="alg-none"),
        pytest.param(lambda t, _: resigned(t, "another-key"), id="another-key"),
        pytest.param(lambda t, s: resigned(t, s, "HS512"), id="hs512-right-secret"),
        pytest.param(lambda t, _: relabelled_rs256(t), id="hs-rs-confusion"),
        pytest.param(lambda t, _: attacker_rs256(t), id="attacker-rs256"),
    ],
)
async def test_forged_csp_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, csp_tokens: dict[str, str], settings: Settings, forge: Any
) -> None:
    token = csp_tokens["owner"]
    forged = forge(token) if forge is unsigned else forge(token, secret_of(settings))
    await assert_csp_refused(client, forged, token)


async def test_expired_csp_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, csp_tokens: dict[str, str], settings: Settings
) -> None:
    # The token row is live; only exp (signed with the right key) has passed.
    past = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).timestamp())
    expired = resigned(csp_tokens["owner"], secret_of(settings), exp=past, iat=past - 60)
    await assert_csp_refused(client, expired, csp_tokens["owner"])


async def test_csp_token_with_another_subject_or_org_claim_is_401(
    client: httpx.AsyncClient, csp_tokens: dict[str, str], settings: Settings
) -> None:
    # Right key, recorded jti, but the org claim no longer matches the user's org: the
    # org a token acts in is the user's, checked on every request, not the claim's word.
    edited = resigned(csp_tokens["owner"], secret_of(settings), context_name=csp_world.OTHER_ORG)
    await assert_csp_refused(client, edited, csp_tokens["owner"])


async def test_infisical_token_presented_to_csp_is_401(
    client: httpx.AsyncClient, csp_tokens: dict[str, str]
) -> None:
    # A real, recorded Infisical token of the same org, in either CSP header.
    token = csp_tokens["infisical"]
    await assert_csp_refused(client, token, csp_tokens["owner"])
    await assert_csp_refused(client, token, csp_tokens["owner"], Authorization=f"Bearer {token}")


async def test_ctrlhub_session_token_presented_to_csp_is_401(
    client: httpx.AsyncClient, csp_tokens: dict[str, str]
) -> None:
    await assert_csp_refused(client, "ses-owner", csp_tokens["owner"])


# --- ctrl-hub -----------------------------------------------------------------------------


@pytest.fixture
async def ctrlhub_tokens(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> dict[str, str]:
    world = copy.deepcopy(ctrlhub_world.WORLD)
    owner = world["organizations"][0]["users"][0]
    owner["csp_api_tokens"] = ["ctrlhub-owner-csp-api-token"]
    world["organizations"][0]["identities"] = [{"id": BOT, "name": "bot", "org_role": "admin"}]
    await seed_into(session, world)
    return {
        "csp": await csp_world.exchange(client, "ctrlhub-owner-csp-api-token"),
        "infisical": await infisical_token(session, settings, BOT),
    }


@pytest.mark.parametrize("kind", ["csp", "infisical"])
@pytest.mark.parametrize("header", ["X-Session-Token", "Authorization"])
async def test_jwt_of_another_surface_presented_to_ctrlhub_is_401_and_changes_nothing(
    client: httpx.AsyncClient, ctrlhub_tokens: dict[str, str], kind: str, header: str
) -> None:
    token = ctrlhub_tokens[kind]
    value = token if header == "X-Session-Token" else f"Bearer {token}"
    before = await ctrlhub_world.read_group(client)

    response = await client.patch(
        ctrlhub_world.group_url(),
        json=ctrlhub_world.patch_body(name="Hijacked"),
        headers={header: value, "Accept": ctrlhub_world.JSONAPI},
    )

    ctrlhub_world.assert_error(response, 401)
    assert await ctrlhub_world.read_group(client) == before

"""Universal-auth login, token verification and revocation (Infisical surface)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from rolegate.config import Settings
from rolegate.main import token_codec
from tests.api.infisical.conftest import ENGINEERING, MEMBER, PROJECT, Tokens
from tests.conftest import bearer

LOGIN = "/api/v1/auth/universal-auth/login"
URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"


async def test_login_returns_a_working_bearer_token(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        LOGIN, json={"clientId": "member-client", "clientSecret": "member-secret"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 3600  # the identity's own access_token_ttl
    assert body["accessTokenMaxTTL"] > 0
    listed = await client.get(
        f"/api/v2/workspace/{PROJECT}/groups", headers=bearer(body["accessToken"])
    )
    assert listed.status_code == 200


async def test_wrong_secret_and_unknown_client_are_both_invalid_credentials(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for body in (
        {"clientId": "member-client", "clientSecret": "nope"},
        {"clientId": "nobody", "clientSecret": "member-secret"},
    ):
        response = await client.post(LOGIN, json=body)
        assert response.status_code == 401
        assert response.json()["message"] == "Invalid credentials"


async def test_login_body_is_validated(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"clientId": ""})
    assert response.status_code == 422
    paths = [issue["path"] for issue in response.json()["message"]]
    assert ["clientId"] in paths and ["clientSecret"] in paths


async def test_revoked_token_is_refused_afterwards(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.get(URL, headers=bearer(tokens.admin))).status_code == 200
    revoked = await client.post("/api/v1/auth/token/revoke", json={"accessToken": tokens.admin})
    assert revoked.status_code == 200
    after = await client.get(URL, headers=bearer(tokens.admin))
    assert after.status_code == 401 and after.json()["error"] == "TokenError"


async def test_expired_token_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    old = token_codec(settings).mint(
        surface="infisical",
        subject=uuid.UUID(MEMBER),
        ttl_seconds=60,
        now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
    )
    response = await client.get(URL, headers=bearer(old.token))
    assert response.status_code == 401 and response.json()["error"] == "TokenError"


async def test_token_for_another_surface_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    csp = token_codec(settings).mint(surface="csp", subject=uuid.UUID(MEMBER), ttl_seconds=600)
    response = await client.get(URL, headers=bearer(csp.token))
    assert response.status_code == 401 and response.json()["error"] == "TokenError"


async def test_alg_none_and_foreign_key_tokens_are_refused(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    claims = jwt.get_unverified_claims(tokens.member)
    forged = jwt.encode(claims, "another-key", algorithm="HS256")
    assert (await client.get(URL, headers=bearer(forged))).status_code == 401
    header = '{"alg":"none","typ":"JWT"}'

    def b64(data: str) -> str:
        return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()

    unsigned = f"{b64(header)}.{b64(json.dumps(claims))}."
    assert (await client.get(URL, headers=bearer(unsigned))).status_code == 401
    secret = settings.auth.jwt_secret
    assert secret is not None
    hs512 = jwt.encode(claims, secret.get_secret_value(), algorithm="HS512")
    assert (await client.get(URL, headers=bearer(hs512))).status_code == 401


async def test_hs_rs_algorithm_confusion_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    claims = jwt.get_unverified_claims(tokens.member)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    # An attacker's own RS256 key pair: the verifier must not take the header's word.
    rs256 = jwt.encode(claims, pem, algorithm="RS256")
    # The classic confusion: an RS256 header over an HMAC made with the server's secret.
    secret = settings.auth.jwt_secret.get_secret_value()
    hs_body = jwt.encode(claims, secret, algorithm="HS256")
    header_b64 = hs_body.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    header["alg"] = "RS256"
    forged_header = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    relabelled = ".".join([forged_header, *hs_body.split(".")[1:]])
    for token in (rs256, relabelled):
        response = await client.get(URL, headers=bearer(token))
        assert response.status_code == 401 and response.json()["error"] == "TokenError"


async def test_validly_signed_token_the_server_never_issued_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    # Signed with the right key but never recorded: e.g. minted by a leaked key holder
    # after the fact, or a token id that was purged. The token row is what makes it live.
    unrecorded = token_codec(settings).mint(
        surface="infisical", subject=uuid.UUID(MEMBER), ttl_seconds=600
    )
    response = await client.get(URL, headers=bearer(unrecorded.token))
    assert response.status_code == 401 and response.json()["error"] == "TokenError"


async def test_revoked_token_cannot_write_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await client.post("/api/v1/auth/token/revoke", json={"accessToken": tokens.member})
    refused = await client.patch(
        URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.member)
    )
    assert refused.status_code == 401
    after = await client.get(URL, headers=bearer(tokens.admin))
    assert [r["role"] for r in after.json()["groupMembership"]["roles"]] == ["member"]

"""ctrl-hub service accounts: the SDK's OAuth2 client-credentials login and its bearer token."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from jose import jwt
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AccessToken, AuditEvent, ServiceAccount
from rolegate.rbac.secrets import SecretHasher
from rolegate.seed.loader import SeedError
from tests.api.ctrlhub.conftest import (
    ENGINEERING,
    JSONAPI,
    MEMBER,
    ORG,
    OTHER_ORG,
    THEIRS,
    assert_error,
    group_url,
    patch_body,
)
from tests.api.ctrlhub.sdk_client import FETCH_DEFAULTS, SdkClient
from tests.conftest import TEST_SECRET_HASH_KEY, seed_into

ADMIN_SA = "00000000-0000-4000-8000-00000000c601"
READER_SA = "00000000-0000-4000-8000-00000000c602"
DISABLED_SA = "00000000-0000-4000-8000-00000000c603"
OTHER_SA = "00000000-0000-4000-8000-00000000c699"
SECRETS = {
    "pipeline-client": "pipeline secret/with+odd=chars",
    "reader-client": "reader-secret",
    "disabled-client": "disabled-secret",
    "theirs-client": "theirs-secret",
}
TOKEN = "/oauth2/token"


def account(uid: str, name: str, client_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "name": name,
        "client_credentials": {"client_id": client_id, "client_secret": SECRETS[client_id]},
        **extra,
    }


ACCOUNTS: dict[str, Any] = {
    "organizations": [
        {
            "id": ORG,
            "name": "Acme",
            "slug": "acme",
            "service_accounts": [
                account(ADMIN_SA, "pipeline", "pipeline-client", org_roles=["org_admin"]),
                account(READER_SA, "reader", "reader-client", org_roles=["org_member"]),
                account(DISABLED_SA, "retired", "disabled-client", enabled=False),
            ],
        },
        {
            "id": OTHER_ORG,
            "name": "Other",
            "slug": "other",
            "service_accounts": [
                account(OTHER_SA, "theirs", "theirs-client", org_roles=["org_owner"])
            ],
        },
    ]
}


@pytest.fixture
async def accounts(world: None, session: AsyncSession) -> None:
    await seed_into(session, ACCOUNTS)


async def logged_in(client: httpx.AsyncClient, client_id: str, org: str = ORG) -> SdkClient:
    sdk = SdkClient(
        http=client, organisation_id=org, client_id=client_id, client_secret=SECRETS[client_id]
    )
    response = await sdk.get_token()
    assert response.status_code == 200, response.text
    return sdk


def form(**fields: str) -> dict[str, str]:
    return fields


async def post_token(
    client: httpx.AsyncClient, data: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(TOKEN, data=data, headers=headers or {})


def basic(client_id: str, secret: str) -> dict[str, str]:
    """RFC 6749 §2.3.1: each part form-urlencoded, then ``id:secret`` in base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description"}
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic ")
    return body


async def tokens_issued(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(AccessToken).where(AccessToken.surface == "ctrlhub")
    )
    return int(count or 0)


# --- the SDK's login --------------------------------------------------------------------


async def test_sdk_get_token_returns_a_bearer_token_the_sdk_then_sends(
    client: httpx.AsyncClient, accounts: None
) -> None:
    sdk = await logged_in(client, "pipeline-client")

    assert sdk.token_response is not None
    body = sdk.token_response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert sdk.token_response.headers["cache-control"] == "no-store"
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == ADMIN_SA and claims["aud"] == "rolegate:ctrlhub"
    # The SDK's next calls carry it as Authorization: Bearer.
    roles = await sdk.roles()
    assert roles.status_code == 200, roles.text
    members = await sdk.organisation_members()
    assert members.status_code == 200, members.text
    assert members.json()["meta"]["pagination"]["total"] == 5


async def test_http_basic_client_authentication_is_accepted(
    client: httpx.AsyncClient, accounts: None
) -> None:
    secret = SECRETS["pipeline-client"]
    response = await post_token(
        client, form(grant_type="client_credentials"), basic("pipeline-client", secret)
    )

    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    groups = await client.get(f"/v3/orgs/{ORG}/iam/groups", headers=_bearer(token))
    assert groups.status_code == 200, groups.text


async def test_basic_and_form_secret_together_are_an_invalid_request(
    client: httpx.AsyncClient, accounts: None, session: AsyncSession
) -> None:
    secret = SECRETS["pipeline-client"]
    response = await post_token(
        client,
        form(grant_type="client_credentials", client_secret=secret),
        basic("pipeline-client", secret),
    )

    assert_oauth_error(response, 400, "invalid_request")
    assert await tokens_issued(session) == 0


@pytest.mark.parametrize(
    "grant_type", ["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"]
)
async def test_other_grant_types_are_unsupported_grant_type(
    client: httpx.AsyncClient, accounts: None, session: AsyncSession, grant_type: str
) -> None:
    data = form(
        grant_type=grant_type,
        client_id="pipeline-client",
        client_secret=SECRETS["pipeline-client"],
    )

    response = await post_token(client, data)

    assert_oauth_error(response, 400, "unsupported_grant_type")
    assert await tokens_issued(session) == 0


async def test_missing_grant_type_or_client_id_is_refused_in_oauth_form(
    client: httpx.AsyncClient, accounts: None
) -> None:
    no_grant = await post_token(
        client, form(client_id="pipeline-client", client_secret=SECRETS["pipeline-client"])
    )
    assert_oauth_error(no_grant, 400, "invalid_request")
    no_client = await post_token(client, form(grant_type="client_credentials"))
    assert_oauth_error(no_client, 401, "invalid_client")
    not_a_form = await client.post(TOKEN, json={"grant_type": "client_credentials"})
    assert_oauth_error(not_a_form, 400, "invalid_request")


async def test_a_body_over_the_limit_is_413_in_oauth_form(
    client: httpx.AsyncClient, accounts: None
) -> None:
    body = b"grant_type=client_credentials&client_id=" + b"x" * (1024 * 1024 + 1)

    response = await client.post(
        TOKEN, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [
        ("pipeline-client", "wrong"),
        ("no-such-client", "whatever"),
        ("disabled-client", SECRETS["disabled-client"]),
    ],
)
async def test_bad_client_credentials_are_401_invalid_client(
    client: httpx.AsyncClient,
    accounts: None,
    session: AsyncSession,
    client_id: str,
    secret: str,
) -> None:
    data = form(grant_type="client_credentials", client_id=client_id, client_secret=secret)

    for response in (
        await post_token(client, data),
        await post_token(client, form(grant_type="client_credentials"), basic(client_id, secret)),
    ):
        assert_oauth_error(response, 401, "invalid_client")
    assert await tokens_issued(session) == 0


async def test_a_token_issue_is_audited_without_the_token(
    client: httpx.AsyncClient, accounts: None, session: AsyncSession
) -> None:
    sdk = await logged_in(client, "pipeline-client")

    events = list(
        (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "ctrlhub.service_account.token")
            )
        ).scalars()
    )
    assert len(events) == 1
    event = events[0]
    assert (event.actor_type, event.actor_id, event.target_id) == (
        "service_account",
        ADMIN_SA,
        ADMIN_SA,
    )
    assert str(event.org_id) == ORG and event.after["client_id"] == "pipeline-client"
    assert sdk.bearer_token not in str(event.after)


HASHER = SecretHasher(key=TEST_SECRET_HASH_KEY.encode())


async def test_client_secrets_are_stored_hashed(session: AsyncSession, accounts: None) -> None:
    rows = list((await session.execute(select(ServiceAccount))).scalars())
    assert len(rows) == 4
    for row in rows:
        plain = SECRETS[row.client_id]
        assert plain not in row.client_secret_hash
        assert HASHER.verify(row.client_secret_hash, plain).ok


# --- what the token may do --------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {**FETCH_DEFAULTS, "Authorization": f"Bearer {token}", "Content-Type": JSONAPI}


async def test_an_admin_service_account_updates_a_group_and_it_reads_back_audited(
    client: httpx.AsyncClient, accounts: None, session: AsyncSession
) -> None:
    sdk = await logged_in(client, "pipeline-client")
    body = patch_body(description="set by the pipeline")

    response = await client.patch(group_url(), json=body, headers=_bearer(sdk.bearer_token))

    assert response.status_code == 200, response.text
    read = await client.get(group_url(), headers=_bearer(sdk.bearer_token))
    assert read.json()["data"]["attributes"]["description"] == "set by the pipeline"
    event = (
        await session.execute(select(AuditEvent).where(AuditEvent.action == "ctrlhub.group.update"))
    ).scalar_one()
    assert (event.actor_type, event.actor_id) == ("service_account", ADMIN_SA)


async def test_a_member_service_account_reads_the_catalogue_only(
    client: httpx.AsyncClient, accounts: None
) -> None:
    sdk = await logged_in(client, "reader-client")

    assert (await sdk.roles()).status_code == 200
    assert_error(await sdk.organisation_members(), 403)
    assert_error(await sdk.get(f"/v3/orgs/{ORG}/iam/groups"), 403)
    patch = await client.patch(
        group_url(), json=patch_body(description="no"), headers=_bearer(sdk.bearer_token)
    )
    assert_error(patch, 403)


async def test_a_service_account_has_no_authority_in_another_org(
    client: httpx.AsyncClient, accounts: None
) -> None:
    ours = await logged_in(client, "pipeline-client")
    theirs = await logged_in(client, "theirs-client", OTHER_ORG)

    assert_error(await ours.get(f"/v3/orgs/{OTHER_ORG}/iam/groups"), 403)
    assert_error(await ours.get(f"/v3/orgs/{OTHER_ORG}/iam/groups/{THEIRS}"), 403)
    assert_error(await theirs.get(f"/v3/orgs/{ORG}/iam/members"), 403)
    # Its own org's catalogue, not ours (no custom role 'auditor').
    names = [r["attributes"]["name"] for r in (await theirs.roles()).json()["data"]]
    assert "auditor" not in names
    assert (await theirs.organisation_members()).status_code == 200


async def test_binding_explanations_need_a_user_not_a_service_account(
    client: httpx.AsyncClient, accounts: None
) -> None:
    sdk = await logged_in(client, "pipeline-client")

    response = await sdk.get(f"/v3/orgs/{ORG}/iam/users/{MEMBER}/effective-bindings")

    assert_error(response, 403)


async def test_the_token_is_refused_on_the_csp_and_infisical_surfaces(
    client: httpx.AsyncClient, accounts: None
) -> None:
    sdk = await logged_in(client, "pipeline-client")
    token = sdk.bearer_token

    csp = await client.get(
        f"/csp/gateway/am/api/orgs/{ORG}/groups", headers={"csp-auth-token": token}
    )
    assert csp.status_code == 401 and csp.json()["errorCode"] == "UNAUTHORIZED"
    csp_bearer = await client.get(
        f"/csp/gateway/am/api/orgs/{ORG}/groups", headers={"Authorization": f"Bearer {token}"}
    )
    assert csp_bearer.status_code == 401
    infisical = await client.get("/api/v1/audit-logs", headers={"Authorization": f"Bearer {token}"})
    assert infisical.status_code == 401


async def test_a_revoked_or_expired_token_or_a_disabled_account_is_401(
    client: httpx.AsyncClient, accounts: None, session: AsyncSession
) -> None:
    revoked = await logged_in(client, "pipeline-client")
    expired = await logged_in(client, "pipeline-client")
    disabled = await logged_in(client, "reader-client")
    now = dt.datetime.now(dt.UTC)
    for sdk, values in (
        (revoked, {"revoked_at": now}),
        (expired, {"expires_at": now - dt.timedelta(seconds=1)}),
    ):
        jti = jwt.get_unverified_claims(sdk.bearer_token)["jti"]
        await session.execute(update(AccessToken).where(AccessToken.id == jti).values(**values))
    await session.execute(
        update(ServiceAccount).where(ServiceAccount.id == READER_SA).values(enabled=False)
    )
    await session.commit()

    for sdk in (revoked, expired, disabled):
        assert_error(await sdk.roles(), 401)
        assert_error(await sdk.get(f"/v3/orgs/{ORG}/iam/groups/{ENGINEERING}"), 401)


# --- the seed format ----------------------------------------------------------------------


async def test_seeding_again_is_idempotent_and_keeps_the_hash(
    session: AsyncSession, accounts: None
) -> None:
    before = await session.scalar(
        select(ServiceAccount.client_secret_hash).where(ServiceAccount.id == ADMIN_SA)
    )

    await seed_into(session, ACCOUNTS)

    assert await session.scalar(select(func.count()).select_from(ServiceAccount)) == 4
    after = await session.scalar(
        select(ServiceAccount.client_secret_hash).where(ServiceAccount.id == ADMIN_SA)
    )
    assert after == before


async def test_seed_refuses_unknown_roles_and_a_client_id_of_another_account(
    session: AsyncSession, accounts: None
) -> None:
    org = {"id": ORG, "name": "Acme", "slug": "acme"}
    bad_role = account(str(uuid.uuid4()), "x", "reader-client", org_roles=["superuser"])
    with pytest.raises(SeedError, match="org_roles: unknown organization role 'superuser'"):
        await seed_into(session, {"organizations": [{**org, "service_accounts": [bad_role]}]})
    await session.rollback()
    taken = account(str(uuid.uuid4()), "copycat", "pipeline-client")
    with pytest.raises(SeedError, match="belongs to another service account"):
        await seed_into(session, {"organizations": [{**org, "service_accounts": [taken]}]})

"""ETag and If-None-Match on the reads: single resources and lists, on every surface.

The ETag of a read is a strong hash of its body, so it changes exactly when the body
does; ``If-None-Match`` naming it answers 304 with no body (after the same
authentication and permission checks as the read).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.csp import conftest as csp_world
from tests.api.ctrlhub import conftest as ctrlhub_world
from tests.api.infisical import bc_world
from tests.conftest import bearer, infisical_token, seed_into

Headers = dict[str, str]
Login = Callable[[AsyncSession, Settings, httpx.AsyncClient], Awaitable[Headers]]
Change = Callable[[httpx.AsyncClient, Headers], Awaitable[httpx.Response]]


async def infisical_admin(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> Headers:
    await seed_into(session, bc_world.WORLD)
    return bearer(await infisical_token(session, settings, bc_world.ADMIN))


async def csp_owner(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> Headers:
    await seed_into(session, csp_world.WORLD)
    return csp_world.csp(await csp_world.exchange(client, csp_world.API_TOKENS["owner"]))


async def ctrlhub_owner(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> Headers:
    await seed_into(session, ctrlhub_world.WORLD)
    return {"X-Session-Token": ctrlhub_world.OWNER_TOKEN, "Accept": ctrlhub_world.JSONAPI}


def post(url: str, body: dict[str, Any], content_type: str = "application/json") -> Change:
    async def change(client: httpx.AsyncClient, auth: Headers) -> httpx.Response:
        return await client.post(
            url, content=orjson.dumps(body), headers={**auth, "Content-Type": content_type}
        )

    return change


def patch(url: str, body: dict[str, Any], content_type: str = "application/json") -> Change:
    async def change(client: httpx.AsyncClient, auth: Headers) -> httpx.Response:
        return await client.patch(
            url, content=orjson.dumps(body), headers={**auth, "Content-Type": content_type}
        )

    return change


@dataclass(frozen=True)
class Read:
    url: str
    login: Login
    # A write through the API that changes what the read shows (None: none at hand).
    change: Change | None


CSP_ORG = f"/csp/gateway/am/api/orgs/{csp_world.ORG}"
CTRLHUB_GROUPS = f"/v3/orgs/{ctrlhub_world.ORG}/iam/groups"
NEW_TEMPLATE = post("/api/v1/project-templates", {"name": "fresh"})

READS = {
    "infisical project groups": Read(
        f"/api/v2/workspace/{bc_world.PROJECT}/groups",
        infisical_admin,
        post(f"/api/v2/workspace/{bc_world.PROJECT}/groups/{bc_world.GROUP}", {"role": "viewer"}),
    ),
    "infisical identity privileges": Read(
        f"/api/v1/additional-privilege/identity?identityId={bc_world.DEPLOY}&projectSlug=backend",
        infisical_admin,
        post(
            "/api/v1/additional-privilege/identity/permanent",
            {
                "identityId": bc_world.DEPLOY,
                "projectSlug": "backend",
                "slug": "extra",
                "permissions": [bc_world.DEV_READ],
            },
        ),
    ),
    "infisical project templates": Read("/api/v1/project-templates", infisical_admin, NEW_TEMPLATE),
    "infisical audit logs": Read("/api/v1/audit-logs", infisical_admin, NEW_TEMPLATE),
    "csp groups": Read(
        f"{CSP_ORG}/groups", csp_owner, post(f"{CSP_ORG}/groups", {"displayName": "Fresh"})
    ),
    "csp group": Read(
        f"{CSP_ORG}/groups/{csp_world.ENGINEERING}",
        csp_owner,
        patch(
            csp_world.roles_url(),
            {"customRoles": {"rolesToAdd": [{"name": "release-manager"}]}},
        ),
    ),
    "ctrlhub groups": Read(
        CTRLHUB_GROUPS,
        ctrlhub_owner,
        patch(
            f"{CTRLHUB_GROUPS}/{ctrlhub_world.ENGINEERING}",
            ctrlhub_world.patch_body(description="Builds and ships"),
            ctrlhub_world.JSONAPI,
        ),
    ),
    "ctrlhub roles": Read("/v3/roles", ctrlhub_owner, None),
}


ALL = sorted(READS)
CHANGEABLE = [name for name in ALL if READS[name].change is not None]
CREDENTIAL_HEADERS = {"authorization", "csp-auth-token", "x-session-token"}


@pytest.fixture
def read(request: pytest.FixtureRequest) -> Read:
    return READS[request.param]


@pytest.fixture
async def auth(
    read: Read, session: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> Headers:
    return await read.login(session, settings, client)


def strong_hash(body: bytes) -> str:
    canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    return '"' + hashlib.sha256(canonical).hexdigest() + '"'


@pytest.mark.parametrize("read", ALL, indirect=True)
async def test_a_read_carries_a_strong_etag_of_its_body_that_repeats(
    client: httpx.AsyncClient, read: Read, auth: Headers
) -> None:
    first = await client.get(read.url, headers=auth)
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == strong_hash(first.content)
    again = await client.get(read.url, headers=auth)
    assert again.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize("read", ALL, indirect=True)
async def test_if_none_match_with_the_current_etag_is_304_without_a_body(
    client: httpx.AsyncClient, read: Read, auth: Headers
) -> None:
    etag = (await client.get(read.url, headers=auth)).headers["ETag"]
    for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await client.get(read.url, headers={**auth, "If-None-Match": condition})
        assert response.status_code == 304, (condition, response.text)
        assert response.content == b""
        assert response.headers["ETag"] == etag
        assert "content-type" not in response.headers


@pytest.mark.parametrize("read", ALL, indirect=True)
async def test_if_none_match_with_another_etag_is_a_full_200(
    client: httpx.AsyncClient, read: Read, auth: Headers
) -> None:
    plain = await client.get(read.url, headers=auth)
    response = await client.get(read.url, headers={**auth, "If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json() == plain.json()
    assert response.headers["ETag"] == plain.headers["ETag"]


@pytest.mark.parametrize("read", CHANGEABLE, indirect=True)
async def test_after_a_change_the_etag_changes_and_the_old_one_gets_the_new_body(
    client: httpx.AsyncClient, read: Read, auth: Headers
) -> None:
    assert read.change is not None
    before = await client.get(read.url, headers=auth)
    changed = await read.change(client, auth)
    assert changed.status_code in (200, 201), changed.text
    response = await client.get(read.url, headers={**auth, "If-None-Match": before.headers["ETag"]})
    assert response.status_code == 200, response.text
    assert response.json() != before.json()
    assert response.headers["ETag"] == strong_hash(response.content)
    assert response.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize("read", ALL, indirect=True)
async def test_if_none_match_does_not_skip_authentication(
    client: httpx.AsyncClient, read: Read, auth: Headers
) -> None:
    etag = (await client.get(read.url, headers=auth)).headers["ETag"]
    anonymous = {k: v for k, v in auth.items() if k.lower() not in CREDENTIAL_HEADERS}
    response = await client.get(read.url, headers={**anonymous, "If-None-Match": etag})
    assert response.status_code == 401
    assert "etag" not in response.headers

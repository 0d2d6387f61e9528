"""Infisical's own Python SDK (``infisicalsdk``) against a running ``rolegate serve``.

Login goes through the SDK's ``auth.universal_auth.login`` (which sets the bearer token on
its session); endpoints A, B and C go through its request layer ``client.api`` — the same
``requests`` session, headers (``Content-Type``/``Accept: application/json``), JSON
encoding (``None`` values dropped) and error handling (``APIError`` with the status) that
every SDK resource uses. Nothing here touches httpx or the ASGI app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from infisical_sdk import InfisicalSDKClient
from infisical_sdk.infisical_requests import APIError

from bench.harness import Server
from tests.api.infisical.conftest import ENGINEERING, MEMBER, PROJECT, WORLD
from tests.conftest import seed_into

pytestmark = pytest.mark.committed

A_PATH = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"
B_PATH = "/api/v1/additional-privilege/identity"


@pytest.fixture
async def server(committed: dict[str, Any], database_url: str) -> AsyncIterator[Server]:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    running = await asyncio.to_thread(Server, database_url, migrate=False)
    try:
        yield running
    finally:
        await asyncio.to_thread(running.close)


@pytest.fixture
def sdk(server: Server) -> Iterator[InfisicalSDKClient]:
    client = InfisicalSDKClient(host=server.base_url, cache_ttl=None)
    try:
        yield client
    finally:
        client.close()


def _login(sdk: InfisicalSDKClient, client_id: str, secret: str) -> Any:
    return sdk.auth.universal_auth.login(client_id=client_id, client_secret=secret)


async def test_sdk_login_then_endpoint_a_and_its_read_back(sdk: InfisicalSDKClient) -> None:
    def run() -> tuple[Any, Any, Any]:
        login = _login(sdk, "admin-client", "admin-secret")
        patched = sdk.api.patch(
            path=A_PATH,
            model=dict,
            json={"roles": [{"role": "viewer", "isTemporary": False}, {"role": "secret-reader"}]},
        )
        read = sdk.api.get(path=A_PATH, model=dict)
        return login, patched, read

    login, patched, read = await asyncio.to_thread(run)
    assert login.tokenType == "Bearer" and login.accessToken
    assert patched.status_code == 200
    assert [r["role"] for r in patched.data["roles"]] == ["viewer", "custom"]
    roles = read.data["groupMembership"]["roles"]
    assert [r["customRoleSlug"] or r["role"] for r in roles] == ["viewer", "secret-reader"]
    # The SDK hands headers back as a plain dict of what the server sent.
    etags = [{k.lower(): v for k, v in r.headers.items()}["etag"] for r in (read, patched)]
    assert etags[0] == etags[1]


async def test_sdk_sees_a_refused_grant_as_an_api_error(sdk: InfisicalSDKClient) -> None:
    def run() -> APIError:
        _login(sdk, "member-client", "member-secret")
        with pytest.raises(APIError) as caught:
            sdk.api.patch(path=A_PATH, model=dict, json={"roles": [{"role": "admin"}]})
        return caught.value

    error = await asyncio.to_thread(run)
    assert error.status_code == 403
    assert error.response["error"] in {"PermissionDenied", "PermissionBoundaryError"}


async def test_sdk_drives_endpoint_b_create_update_read(sdk: InfisicalSDKClient) -> None:
    def run() -> tuple[Any, Any, Any]:
        _login(sdk, "admin-client", "admin-secret")
        created = sdk.api.post(
            path=f"{B_PATH}/permanent",
            model=dict,
            json={
                "identityId": MEMBER,
                "projectSlug": "backend",
                "slug": "sdk-priv",
                "permissions": [["read", "secrets", {"environment": "dev"}]],
            },
        )
        patched = sdk.api.patch(
            path=B_PATH,
            model=dict,
            json={
                "privilegeSlug": "sdk-priv",
                "identityId": MEMBER,
                "projectSlug": "backend",
                "privilegeDetails": {
                    "permissions": [
                        {
                            "subject": "secrets",
                            "action": ["describeSecret", "readValue"],
                            "conditions": {"environment": {"$eq": "dev", "$in": ["dev", "prod"]}},
                        }
                    ],
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "1h",
                    "temporaryAccessStartTime": "2026-12-02T10:00:00.123456789Z",
                },
            },
        )
        read = sdk.api.get(
            path=f"{B_PATH}/sdk-priv",
            model=dict,
            params={"identityId": MEMBER, "projectSlug": "backend"},
        )
        return created, patched, read

    created, patched, read = await asyncio.to_thread(run)
    assert created.data["privilege"]["slug"] == "sdk-priv"
    privilege = patched.data["privilege"]
    assert privilege["temporaryAccessEndTime"] == "2026-12-02T11:00:00.123Z"
    assert read.data["privilege"]["permissions"] == [
        {
            "subject": "secrets",
            "action": ["describeSecret", "readValue"],
            "conditions": {"environment": {"$eq": "dev", "$in": ["dev", "prod"]}},
            "inverted": False,
        }
    ]


async def test_sdk_drives_endpoint_c_create_update_read(sdk: InfisicalSDKClient) -> None:
    def run() -> tuple[Any, Any]:
        _login(sdk, "admin-client", "admin-secret")
        created = sdk.api.post(
            path="/api/v1/project-templates", model=dict, json={"name": "sdk-template"}
        )
        template_id = created.data["projectTemplate"]["id"]
        patched = sdk.api.patch(
            path=f"/api/v1/project-templates/{template_id}",
            model=dict,
            json={
                "description": "from the SDK",
                "roles": [
                    {
                        "name": "Readers",
                        "slug": "readers",
                        "permissions": [
                            {
                                "subject": "secrets",
                                "action": "readValue",
                                "conditions": {"environment": {"$eq": "prod"}},
                            }
                        ],
                    }
                ],
                "environments": None,  # the SDK's request layer drops None values
            },
        )
        read = sdk.api.get(path=f"/api/v1/project-templates/{template_id}", model=dict)
        return patched, read

    patched, read = await asyncio.to_thread(run)
    assert patched.status_code == 200
    template = read.data["projectTemplate"]
    assert template["description"] == "from the SDK"
    custom = [r for r in template["roles"] if r["slug"] == "readers"]
    assert custom[0]["permissions"][0]["conditions"] == {"environment": {"$eq": "prod"}}
    # Environments were not sent (None is dropped), so the defaults stay.
    assert [e["slug"] for e in template["environments"]] == ["dev", "staging", "prod"]


async def test_sdk_login_with_a_wrong_secret_is_an_api_error(sdk: InfisicalSDKClient) -> None:
    def run() -> APIError:
        with pytest.raises(APIError) as caught:
            _login(sdk, "admin-client", "wrong")
        return caught.value

    error = await asyncio.to_thread(run)
    assert error.status_code == 401
    assert str(error).startswith("Invalid credentials")

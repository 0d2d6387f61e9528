"""The test clock is every surface's now: token expiry, temporary windows, expiresAt."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.api.testmode.conftest import BACKEND, CI_ADMIN, DEV, ENGINEERING, ORG, OWNER, token

CSP_ROLES = f"/csp/gateway/am/api/orgs/{ORG}/groups/{ENGINEERING}/roles"


async def _advance(client: httpx.AsyncClient, duration: str) -> None:
    response = await client.post("/_rolegate/clock", json={"advance": duration})
    assert response.status_code == 200, response.text


async def _now(client: httpx.AsyncClient) -> dt.datetime:
    body = (await client.get("/_rolegate/clock")).json()
    return dt.datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


async def test_an_infisical_token_expires_when_the_clock_passes_its_ttl(
    seeded: httpx.AsyncClient,
) -> None:
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    listing = f"/api/v2/workspace/{BACKEND}/groups"
    assert (await seeded.get(listing, headers=auth)).status_code == 200
    await _advance(seeded, "119m")
    assert (await seeded.get(listing, headers=auth)).status_code == 200
    await _advance(seeded, "2m")
    assert (await seeded.get(listing, headers=auth)).status_code == 401


async def test_a_token_minted_in_a_simulated_past_is_valid_there(
    seeded: httpx.AsyncClient,
) -> None:
    await seeded.post("/_rolegate/clock", json={"now": "2021-03-04T05:06:07Z", "frozen": True})
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    listing = f"/api/v2/workspace/{BACKEND}/groups"
    answer = await seeded.get(listing, headers=auth)
    assert answer.status_code == 200, answer.text
    await seeded.delete("/_rolegate/clock")  # back to real time: years after its exp
    assert (await seeded.get(listing, headers=auth)).status_code == 401


async def test_a_temporary_infisical_role_closes_with_the_clock(
    seeded: httpx.AsyncClient,
) -> None:
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    start = (await _now(seeded)).isoformat()
    temporary = {"role": "admin", "isTemporary": True, "temporaryMode": "relative"}
    temporary |= {"temporaryRange": "1h", "temporaryAccessStartTime": start}
    patched = await seeded.patch(
        f"/api/v2/workspace/{BACKEND}/groups/{ENGINEERING}",
        headers=auth,
        json={"roles": [{"role": "viewer"}, temporary]},
    )
    assert patched.status_code == 200, patched.text

    async def admin_active() -> bool:
        auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
        response = await seeded.get(
            f"/api/v1/projects/{BACKEND}/effective-permissions",
            params={"groupId": ENGINEERING},
            headers=auth,
        )
        assert response.status_code == 200, response.text
        [admin] = [s for s in response.json()["sources"] if s.get("role") == "admin"]
        return bool(admin["active"])

    assert await admin_active()
    await _advance(seeded, "61m")
    assert not await admin_active()


async def test_a_csp_role_disappears_once_the_clock_passes_its_expires_at(
    seeded: httpx.AsyncClient,
) -> None:
    owner = {"csp-auth-token": await token(seeded, "csp", email=OWNER)}
    expires = int((await _now(seeded) + dt.timedelta(hours=1)).timestamp())
    grant = {"rolesToAdd": [{"name": "org_admin", "expiresAt": expires}]}
    patched = await seeded.patch(CSP_ROLES, headers=owner, json={"organizationRoles": grant})
    assert patched.status_code == 200, patched.text

    def names(response: httpx.Response) -> list[str]:
        return [r["name"] for r in response.json()["organizationRoles"]]

    assert "org_admin" in names(await seeded.get(CSP_ROLES, headers=owner))
    await _advance(seeded, "61m")
    owner = {"csp-auth-token": await token(seeded, "csp", email=OWNER)}  # 30 min TTL
    assert "org_admin" not in names(await seeded.get(CSP_ROLES, headers=owner))


async def test_a_ctrlhub_session_expires_by_the_clock(seeded: httpx.AsyncClient) -> None:
    session = {"X-Session-Token": await token(seeded, "ctrlhub", email=DEV)}
    assert (await seeded.get("/v3/roles", headers=session)).status_code == 200
    await _advance(seeded, "23h")
    assert (await seeded.get("/v3/roles", headers=session)).status_code == 200
    await _advance(seeded, "61m")
    assert (await seeded.get("/v3/roles", headers=session)).status_code == 401

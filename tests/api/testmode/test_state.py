"""Reset to the seed, named snapshots and their restore, over the real store."""

from __future__ import annotations

import httpx

from tests.api.testmode.conftest import BACKEND, CI_ADMIN, ENGINEERING, token


async def _group_roles(client: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    response = await client.get(f"/api/v2/workspace/{BACKEND}/groups/{ENGINEERING}", headers=auth)
    assert response.status_code == 200, response.text
    return sorted(r["role"] for r in response.json()["groupMembership"]["roles"])


async def _patch_roles(client: httpx.AsyncClient, auth: dict[str, str], *roles: str) -> None:
    response = await client.patch(
        f"/api/v2/workspace/{BACKEND}/groups/{ENGINEERING}",
        headers=auth,
        json={"roles": [{"role": r} for r in roles]},
    )
    assert response.status_code == 200, response.text


async def test_reset_puts_back_the_seed_the_clock_and_an_empty_journal(
    seeded: httpx.AsyncClient,
) -> None:
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    assert await _group_roles(seeded, auth) == ["member"]
    await _patch_roles(seeded, auth, "admin", "viewer")
    await seeded.post("/_rolegate/clock", json={"advance": "1h"})

    response = await seeded.post("/_rolegate/reset")

    assert response.status_code == 200 and response.json() == {"seed": True}
    assert (await seeded.get("/_rolegate/clock")).json()["simulated"] is False
    assert (await seeded.get("/_rolegate/requests")).json() == {"requests": []}
    # The token was minted after the seed: reset took it away with everything else.
    dead = await seeded.get(f"/api/v2/workspace/{BACKEND}/groups", headers=auth)
    assert dead.status_code == 401
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    assert await _group_roles(seeded, auth) == ["member"]


async def test_a_snapshot_restores_the_state_it_saw(seeded: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    await _patch_roles(seeded, auth, "viewer")
    taken = await seeded.post("/_rolegate/snapshots", json={"name": "viewer_only"})
    assert taken.status_code == 201 and taken.json() == {"name": "viewer_only"}
    await _patch_roles(seeded, auth, "admin")

    restored = await seeded.post("/_rolegate/snapshots/viewer_only/restore")

    assert restored.status_code == 200
    assert await _group_roles(seeded, auth) == ["viewer"]
    names = (await seeded.get("/_rolegate/snapshots")).json()["snapshots"]
    assert names == ["seed", "viewer_only"]


async def test_restoring_an_unknown_snapshot_is_404_and_changes_nothing(
    seeded: httpx.AsyncClient,
) -> None:
    auth = {"Authorization": f"Bearer {await token(seeded, 'infisical', identityId=CI_ADMIN)}"}
    await _patch_roles(seeded, auth, "viewer")
    response = await seeded.post("/_rolegate/snapshots/nothing/restore")
    assert response.status_code == 404
    assert response.json()["message"] == "No snapshot named 'nothing'"
    assert await _group_roles(seeded, auth) == ["viewer"]


async def test_a_bad_snapshot_name_is_400(seeded: httpx.AsyncClient) -> None:
    for name in ["", "Has-Caps", "x" * 41, 'quote"d']:
        response = await seeded.post("/_rolegate/snapshots", json={"name": name})
        assert response.status_code == 400, (name, response.text)
    assert (await seeded.post("/_rolegate/snapshots/..%2Fx/restore")).status_code in {400, 404}
    assert (await seeded.get("/_rolegate/snapshots")).json()["snapshots"] == ["seed"]

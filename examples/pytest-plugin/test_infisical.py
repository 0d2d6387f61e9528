"""Infisical: a temporary project role ends when the test clock passes its window."""

from __future__ import annotations

import httpx

from conftest import BACKEND, CI_ADMIN, ONCALL, RELEASE_BOT
from rolegate.testing import Rolegate


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _replace_oncall_roles(http: httpx.Client, token: str, roles: list[dict[str, object]]) -> int:
    """Endpoint A: PATCH /api/v2/workspace/{projectId}/groups/{groupId}."""
    path = f"/api/v2/workspace/{BACKEND}/groups/{ONCALL}"
    response = http.patch(path, headers=_bearer(token), json={"roles": roles})
    return response.status_code


def test_a_seeded_temporary_admin_role_stops_authorizing_endpoint_a(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    # release-bot is admin for the seed's first hour: it may change a group's roles.
    bot = rolegate_clean.infisical_token(RELEASE_BOT)
    assert _replace_oncall_roles(http, bot, [{"role": "viewer"}]) == 200

    rolegate_clean.advance("2h")

    # A token minted at the new now: its only live role is viewer.
    bot = rolegate_clean.infisical_token(RELEASE_BOT)
    assert _replace_oncall_roles(http, bot, [{"role": "viewer"}]) == 403


def test_a_temporary_role_set_on_endpoint_a_expires_after_a_clock_advance(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    admin = rolegate_clean.infisical_token(CI_ADMIN)
    temporary = {
        "role": "admin",
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "1h",
        "temporaryAccessStartTime": rolegate_clean.now().isoformat(),
    }
    assert _replace_oncall_roles(http, admin, [{"role": "viewer"}, temporary]) == 200

    def admin_active() -> bool:
        response = http.get(
            f"/api/v1/projects/{BACKEND}/effective-permissions",
            params={"groupId": ONCALL},
            headers=_bearer(rolegate_clean.infisical_token(CI_ADMIN)),
        )
        assert response.status_code == 200, response.text
        [source] = [s for s in response.json()["sources"] if s.get("role") == "admin"]
        return bool(source["active"])

    assert admin_active()
    rolegate_clean.advance("59m")
    assert admin_active()
    rolegate_clean.advance("2m")
    assert not admin_active()


def test_an_access_token_expires_by_the_test_clock(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    token = rolegate_clean.infisical_token(CI_ADMIN)  # the seed's default TTL: 2 h
    listing = f"/api/v2/workspace/{BACKEND}/groups"
    assert http.get(listing, headers=_bearer(token)).status_code == 200
    rolegate_clean.advance("121m")
    assert http.get(listing, headers=_bearer(token)).status_code == 401

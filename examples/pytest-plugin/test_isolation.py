"""rolegate_clean resets the store, the clock and the journal before each test: each
test below starts from the seed whatever the other did, in either order."""

from __future__ import annotations

import datetime as dt

import httpx

from conftest import BACKEND, CI_ADMIN, ONCALL, OWNER
from rolegate.testing import Rolegate

ONCALL_ROLES = f"/api/v2/workspace/{BACKEND}/groups/{ONCALL}"


def _roles(http: httpx.Client, token: str) -> list[str]:
    response = http.get(ONCALL_ROLES, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return sorted(r["role"] for r in response.json()["groupMembership"]["roles"])


def _assert_seed_state(rolegate: Rolegate, http: httpx.Client) -> str:
    token = rolegate.infisical_token(CI_ADMIN)
    assert _roles(http, token) == ["viewer"]
    assert len(rolegate.requests(path=ONCALL_ROLES)) == 1  # only the GET just above
    return token


def test_one_test_changes_roles_and_moves_the_clock(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    token = _assert_seed_state(rolegate_clean, http)
    auth = {"Authorization": f"Bearer {token}"}
    response = http.patch(ONCALL_ROLES, headers=auth, json={"roles": [{"role": "admin"}]})
    assert response.status_code == 200
    rolegate_clean.advance("30d")


def test_another_test_sees_only_the_seed(rolegate_clean: Rolegate, http: httpx.Client) -> None:
    token = _assert_seed_state(rolegate_clean, http)
    assert abs(rolegate_clean.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    auth = {"Authorization": f"Bearer {token}"}
    http.patch(ONCALL_ROLES, headers=auth, json={"roles": [{"role": "member"}]})
    rolegate_clean.snapshot("member_only")


def test_the_journal_shows_what_the_client_sent(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    http.patch(
        f"/csp/gateway/am/api/orgs/x/groups/{ONCALL}/roles",
        headers={"csp-auth-token": rolegate_clean.csp_token(OWNER)},
        json={"organizationRoles": {"roleNamesToAdd": ["org_member"]}},
    )
    [sent] = rolegate_clean.requests(surface="csp")
    assert sent["method"] == "PATCH"
    assert sent["headers"]["csp-auth-token"] == "[redacted]"
    assert sent["json"] == {"organizationRoles": {"roleNamesToAdd": ["org_member"]}}

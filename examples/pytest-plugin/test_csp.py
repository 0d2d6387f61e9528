"""CSP: an org role added with expiresAt (endpoint D) stops counting once the clock
passes it, for authority and for every read."""

from __future__ import annotations

import datetime as dt

import httpx

from conftest import DEV, ONCALL, ORG, OWNER, READERS
from rolegate.testing import Rolegate

ROLES = "/csp/gateway/am/api/orgs/{org}/groups/{group}/roles"


def _patch_roles(http: httpx.Client, token: str, group: str, body: dict[str, object]) -> int:
    """Endpoint D: PATCH /csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/roles."""
    response = http.patch(
        ROLES.format(org=ORG, group=group), headers={"csp-auth-token": token}, json=body
    )
    return response.status_code


def _org_role_names(http: httpx.Client, token: str, group: str) -> list[str]:
    response = http.get(ROLES.format(org=ORG, group=group), headers={"csp-auth-token": token})
    assert response.status_code == 200, response.text
    return sorted(r["name"] for r in response.json()["organizationRoles"])


def test_an_org_owner_role_with_expires_at_ends_when_the_clock_passes_it(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    owner = rolegate_clean.csp_token(OWNER)
    in_an_hour = int((rolegate_clean.now() + dt.timedelta(hours=1)).timestamp())
    grant = {"organizationRoles": {"rolesToAdd": [{"name": "org_owner", "expiresAt": in_an_hour}]}}
    assert _patch_roles(http, owner, ONCALL, grant) == 200
    assert "org_owner" in _org_role_names(http, owner, ONCALL)

    # dev is in on-call: an Organization Owner through the group, so endpoint D obeys.
    dev = rolegate_clean.csp_token(DEV)
    readers = {"organizationRoles": {"roleNamesToAdd": ["org_member"]}}
    assert _patch_roles(http, dev, READERS, readers) == 200

    rolegate_clean.advance("2h")

    # The tokens minted before (30 min TTL) expired by the same clock.
    assert _patch_roles(http, dev, READERS, readers) == 401
    owner, dev = rolegate_clean.csp_token(OWNER), rolegate_clean.csp_token(DEV)
    assert "org_owner" not in _org_role_names(http, owner, ONCALL)
    assert _patch_roles(http, dev, READERS, readers) == 403


def test_an_expires_at_in_the_simulated_past_is_refused(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    # An hour from real time, but the clock is a day ahead: that is the past now.
    in_an_hour = int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).timestamp())
    rolegate_clean.advance("1d")
    owner = rolegate_clean.csp_token(OWNER)
    grant = {"organizationRoles": {"rolesToAdd": [{"name": "org_owner", "expiresAt": in_an_hour}]}}
    assert _patch_roles(http, owner, ONCALL, grant) == 400

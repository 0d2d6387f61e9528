"""ctrl-hub: its bindings are conditional, not time-bounded (docs/ctrlhub.md), so what
expires there is the session token, and the time-bounded roles the other surfaces grant
(a member's effective org roles count each grant only inside its window)."""

from __future__ import annotations

import datetime as dt

import httpx

from conftest import DEV, ONCALL, ORG, OWNER
from rolegate.testing import Rolegate

JSON_API = "application/vnd.api+json"


def _headers(token: str) -> dict[str, str]:
    return {"X-Session-Token": token, "Accept": JSON_API, "Content-Type": JSON_API}


def test_a_session_token_expires_by_the_test_clock(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    token = rolegate_clean.ctrlhub_token(OWNER)  # the server's default lifetime: 1 day
    assert http.get("/v3/roles", headers=_headers(token)).status_code == 200
    rolegate_clean.advance("23h")
    assert http.get("/v3/roles", headers=_headers(token)).status_code == 200
    rolegate_clean.advance("61m")
    assert http.get("/v3/roles", headers=_headers(token)).status_code == 401


def test_a_time_bounded_org_admin_grant_ends_iam_administration_on_ctrlhub(
    rolegate_clean: Rolegate, http: httpx.Client
) -> None:
    # Granted on CSP (endpoint D) to the on-call group for an hour.
    in_an_hour = int((rolegate_clean.now() + dt.timedelta(hours=1)).timestamp())
    grant = {"rolesToAdd": [{"name": "org_admin", "expiresAt": in_an_hour}]}
    response = http.patch(
        f"/csp/gateway/am/api/orgs/{ORG}/groups/{ONCALL}/roles",
        headers={"csp-auth-token": rolegate_clean.csp_token(OWNER)},
        json={"organizationRoles": grant},
    )
    assert response.status_code == 200, response.text
    rename = {"data": {"type": "groups", "id": ONCALL, "attributes": {"description": "pager"}}}
    group = f"/v3/orgs/{ORG}/iam/groups/{ONCALL}"

    dev = rolegate_clean.ctrlhub_token(DEV)
    assert http.patch(group, headers=_headers(dev), json=rename).status_code == 200

    rolegate_clean.advance("61m")
    assert http.patch(group, headers=_headers(dev), json=rename).status_code == 403

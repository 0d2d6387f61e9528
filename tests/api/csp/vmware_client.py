"""The requests VMware's python-client-for-vmware-cloud-on-aws (pyVMC) sends, byte for byte.

pyVMC talks to CSP with ``requests``; building each request with ``requests`` itself (a
``Session``'s prepared request: its default headers, its ``Content-Length: 0`` for a POST
with no body, its query encoding) and replaying it through the test client keeps the
tests on what the real client puts on the wire, not on our reading of it.
"""

from __future__ import annotations

from typing import Any

import httpx
import requests

BASE = "http://rolegate.test"
AM = "/csp/gateway/am/api"


def _prepare(method: str, path: str, **kwargs: Any) -> requests.PreparedRequest:
    return requests.Session().prepare_request(requests.Request(method, BASE + path, **kwargs))


async def send(client: httpx.AsyncClient, prepared: requests.PreparedRequest) -> httpx.Response:
    body = prepared.body
    content = body.encode() if isinstance(body, str) else (body or b"")
    assert prepared.method is not None and prepared.url is not None
    return await client.request(
        prepared.method, prepared.url, headers=dict(prepared.headers), content=content
    )


def get_access_token(api_token: str) -> requests.PreparedRequest:
    """``pyvmc_fxns.getAccessToken`` with ``auth_method='refresh_token'``."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    params = {"api_token": api_token}
    return _prepare("POST", f"{AM}/auth/api-tokens/authorize", params=params, headers=headers)


def get_csp_users_group(org_id: str, session_token: str, group_id: str) -> requests.PreparedRequest:
    """``pyvmc_csp.get_csp_users_group_json`` (what ``show-csp-group-members`` calls)."""
    headers = {"csp-auth-token": session_token}
    return _prepare("GET", f"{AM}/orgs/{org_id}/groups/{group_id}/users", headers=headers)


def get_csp_groups(org_id: str, session_token: str) -> requests.PreparedRequest:
    """``pyvmc_csp.get_csp_groups_json``."""
    headers = {"csp-auth-token": session_token}
    return _prepare("GET", f"{AM}/orgs/{org_id}/groups", headers=headers)

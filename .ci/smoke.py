"""Smoke test of a running server with the demo seed: what the README walks through."""

from __future__ import annotations

import sys

import httpx

DEMO_PROJECT = "0b6f3a52-1d1e-4c61-9a63-000000000401"
DEMO_GROUP = "0b6f3a52-1d1e-4c61-9a63-000000000301"


def main(base: str) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        login = client.post(
            "/api/v1/auth/universal-auth/login",
            json={"clientId": "ci-admin-client", "clientSecret": "ci-admin-secret"},
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        url = f"/api/v2/workspace/{DEMO_PROJECT}/groups/{DEMO_GROUP}"
        patched = client.patch(
            url, json={"roles": [{"role": "admin", "isTemporary": False}]}, headers=headers
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["roles"][0]["role"] == "admin"
        back = client.get(url, headers=headers).json()["groupMembership"]["roles"]
        assert [r["role"] for r in back] == ["admin"], back
        restored = client.patch(url, json={"roles": [{"role": "member"}]}, headers=headers)
        assert restored.status_code == 200, restored.text
        missing = client.patch(url, json={"roles": [{"role": "admin"}]})
        assert missing.status_code == 401 and missing.json()["message"] == "Token missing"
    print("smoke: login, PATCH, read-back and 401 all as documented")


if __name__ == "__main__":
    main(sys.argv[1])

"""Paths and methods no route takes still answer in their surface's envelope."""

from __future__ import annotations

import httpx


async def test_unknown_infisical_path_is_404_in_infisical_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.json()
    assert body["statusCode"] == 404 and body["error"] == "NotFound"
    assert body["reqId"] == response.headers["x-request-id"]


async def test_wrong_method_on_infisical_path_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/auth/universal-auth/login", json={})
    assert response.status_code == 405
    assert response.json()["statusCode"] == 405
    assert "POST" in response.headers["allow"]


async def test_unknown_csp_path_is_404_in_csp_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/csp/gateway/am/api/nothing-here")
    assert response.status_code == 404
    body = response.json()
    assert body["statusCode"] == 404 and body["requestId"] == response.headers["csp-request-id"]
    assert {"errorCode", "cspErrorCode", "moduleCode"} <= set(body)


async def test_unknown_v3_path_is_a_json_api_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/v3/nothing-here")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"
    assert response.json()["jsonapi"] == {"version": "1.0"}

"""What ``GET /openapi.json`` tells a client (Swagger UI's Authorize, a generated client),
checked against what the server then does with a request built from it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.conftest import infisical_token, seed_into

ORG = "00000000-0000-4000-8000-0000000a0001"
IDENTITY = "00000000-0000-4000-8000-0000000a0201"
CSP_API_TOKEN = "openapi-csp-owner-api-token"
SESSION_TOKEN = "ses-openapi-owner"

WORLD: dict[str, Any] = {
    "organizations": [
        {
            "id": ORG,
            "name": "Docs",
            "slug": "docs",
            "users": [
                {
                    "email": "owner@docs.test",
                    "org_roles": ["org_owner"],
                    "csp_api_tokens": [CSP_API_TOKEN],
                    "session_tokens": [SESSION_TOKEN],
                }
            ],
            "identities": [{"id": IDENTITY, "name": "docs-admin", "org_role": "admin"}],
        }
    ]
}

SCHEMES = {
    "infisical": [{"InfisicalBearer": []}],
    "csp": [{"CspAuthToken": []}, {"CspBearer": []}],
    "ctrlhub": [{"CtrlHubSessionToken": []}, {"CtrlHubBearer": []}],
}
PUBLIC = {
    ("post", "/api/v1/auth/universal-auth/login"),
    ("post", "/api/v1/auth/token/revoke"),
    ("post", "/api/v1/auth/token/renew"),
    ("post", "/csp/gateway/am/api/auth/api-tokens/authorize"),
    ("post", "/oauth2/token"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}
# One read per surface that the world's credential may make: (path in the document, URL).
READS = {
    "infisical": ("/api/v1/project-templates", "/api/v1/project-templates"),
    "csp": ("/csp/gateway/am/api/orgs/{orgId}/groups", f"/csp/gateway/am/api/orgs/{ORG}/groups"),
    "ctrlhub": ("/v3/orgs/{org_id}/iam/groups", f"/v3/orgs/{ORG}/iam/groups"),
}


def surface(path: str) -> str:
    if path.startswith("/csp/"):
        return "csp"
    if path.startswith("/v3/"):
        return "ctrlhub"
    return "infisical"


async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    ]


async def test_every_route_that_needs_a_token_declares_its_surfaces_schemes(
    client: httpx.AsyncClient,
) -> None:
    doc = await document(client)
    for method, path, operation in operations(doc):
        if (method, path) in PUBLIC:
            assert "security" not in operation, (method, path)
        else:
            assert operation.get("security") == SCHEMES[surface(path)], (method, path)


async def test_the_schemes_say_where_each_surface_takes_its_token(
    client: httpx.AsyncClient,
) -> None:
    schemes = (await document(client))["components"]["securitySchemes"]
    where = {
        name: (s["type"], s.get("scheme"), s.get("in"), s.get("name"))
        for name, s in schemes.items()
    }
    assert where == {
        "InfisicalBearer": ("http", "bearer", None, None),
        "CspAuthToken": ("apiKey", None, "header", "csp-auth-token"),
        "CspBearer": ("http", "bearer", None, None),
        "CtrlHubSessionToken": ("apiKey", None, "header", "X-Session-Token"),
        "CtrlHubBearer": ("http", "bearer", None, None),
    }
    assert all(s["description"] for s in schemes.values())


def credential_headers(scheme: dict[str, Any], token: str) -> dict[str, str]:
    """What a generated client sends for a scheme of the document."""
    if scheme["type"] == "apiKey":
        assert scheme["in"] == "header"
        return {scheme["name"]: token}
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> dict[str, str]:
    await seed_into(session, WORLD)
    exchanged = await client.post(
        "/csp/gateway/am/api/auth/api-tokens/authorize", data={"api_token": CSP_API_TOKEN}
    )
    assert exchanged.status_code == 200, exchanged.text
    return {
        "infisical": await infisical_token(session, settings, IDENTITY),
        "csp": exchanged.json()["access_token"],
        "ctrlhub": SESSION_TOKEN,
    }


@pytest.mark.parametrize("name", sorted(READS))
async def test_a_client_that_follows_each_declared_scheme_is_let_in(
    client: httpx.AsyncClient, tokens: dict[str, str], name: str
) -> None:
    doc = await document(client)
    template, url = READS[name]
    requirements = doc["paths"][template]["get"]["security"]
    for requirement in requirements:
        (scheme_name,) = requirement
        scheme = doc["components"]["securitySchemes"][scheme_name]
        headers = credential_headers(scheme, tokens[name])
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, (scheme_name, response.text)
    assert (await client.get(url)).status_code == 401


# --- safe-update headers -------------------------------------------------------------

ENDPOINT_A = ("patch", "/api/v2/workspace/{projectId}/groups/{groupId}")
CONDITIONAL_READS = {
    "/api/v2/workspace/{projectId}/groups/{groupId}",
    "/api/v2/workspace/{projectId}/groups",
    "/api/v1/projects/{projectId}/memberships/groups/{groupId}",
    "/api/v1/projects/{projectId}/memberships/groups",
    "/api/v1/additional-privilege/identity",
    "/api/v1/additional-privilege/identity/{privilegeSlug}",
    "/api/v1/project-templates",
    "/api/v1/project-templates/{templateId}",
    "/api/v1/audit-logs",
    "/csp/gateway/am/api/orgs/{orgId}/groups",
    "/csp/gateway/am/api/orgs/{orgId}/groups/{groupId}",
    "/csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/roles",
    "/csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/users",
    "/v3/orgs/{org_id}/iam/groups",
    "/v3/orgs/{org_id}/iam/groups/{group_id}",
    "/v3/orgs/{org_id}/iam/members",
    "/v3/iam/roles",
    "/v3/roles",
}
SAFE_WRITE_PARAMETERS = {("header", "If-Match"), ("header", "Idempotency-Key"), ("query", "dryRun")}


def parameters(operation: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["in"], p["name"]) for p in operation.get("parameters", [])}


async def test_every_read_of_a_resource_or_list_takes_if_none_match(
    client: httpx.AsyncClient,
) -> None:
    doc = await document(client)
    conditional = {
        path
        for method, path, operation in operations(doc)
        if ("header", "If-None-Match") in parameters(operation)
    }
    assert conditional == CONDITIONAL_READS
    assert all(("get", path) in {(m, p) for m, p, _ in operations(doc)} for path in conditional)


async def test_a_conditional_read_documents_its_etag_and_the_304(
    client: httpx.AsyncClient,
) -> None:
    for _method, path, operation in operations(await document(client)):
        if ("header", "If-None-Match") not in parameters(operation):
            continue
        responses = operation["responses"]
        assert "ETag" in responses["200"]["headers"], path
        assert "ETag" in responses["304"]["headers"], path
        assert "content" not in responses["304"], path
        assert "content" in responses["200"], path


async def test_the_safe_patches_take_if_match_idempotency_key_and_dry_run(
    client: httpx.AsyncClient,
) -> None:
    doc = await document(client)
    safe = [
        (method, path)
        for method, path, operation in operations(doc)
        if parameters(operation) >= SAFE_WRITE_PARAMETERS
    ]
    # The five endpoints, plus endpoint A's twin in Infisical's membership API.
    assert len(safe) == 6 and {method for method, _ in safe} == {"patch"}


@pytest.mark.parametrize(
    "target",
    [
        ENDPOINT_A,
        ("patch", "/api/v1/projects/{projectId}/memberships/groups/{groupId}"),
        ("patch", "/api/v1/additional-privilege/identity"),
        ("patch", "/api/v1/project-templates/{templateId}"),
        ("patch", "/csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/roles"),
        ("patch", "/v3/orgs/{org_id}/iam/groups/{group_id}"),
    ],
)
async def test_a_patch_documents_the_etag_it_answers_with(
    client: httpx.AsyncClient, target: tuple[str, str]
) -> None:
    method, path = target
    operation = (await document(client))["paths"][path][method]
    assert parameters(operation) >= SAFE_WRITE_PARAMETERS
    assert "ETag" in operation["responses"]["200"].get("headers", {})


@pytest.mark.parametrize(
    ("method", "path", "media_type", "envelope"),
    [
        ("patch", ENDPOINT_A[1], "application/json", "InfisicalError"),
        (
            "patch",
            "/csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/roles",
            "application/json",
            "CspErrorResponse",
        ),
        (
            "patch",
            "/v3/orgs/{org_id}/iam/groups/{group_id}",
            "application/vnd.api+json",
            "ErrorDocument",
        ),
    ],
)
async def test_every_error_status_documents_its_surfaces_envelope(
    client: httpx.AsyncClient, method: str, path: str, media_type: str, envelope: str
) -> None:
    # The error models' fields are built only when the document is (api/response_docs.py).
    doc = await document(client)
    responses = doc["paths"][path][method]["responses"]
    errors = {status: r for status, r in responses.items() if status[0] in "45"}
    assert {"401", "422", "500"} <= set(errors)
    for status, response in errors.items():
        schema = response["content"][media_type]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{envelope}"}, status
    assert envelope in doc["components"]["schemas"]


async def test_the_token_endpoint_documents_only_the_oauth_error_form(
    client: httpx.AsyncClient,
) -> None:
    # A form that fails validation answers 400 invalid_request, not FastAPI's 422.
    responses = (await document(client))["paths"]["/oauth2/token"]["post"]["responses"]
    errors = {status: r for status, r in responses.items() if status[0] in "45"}
    assert "422" not in errors
    assert {"400", "401", "4XX", "500"} <= set(errors)
    for status, response in errors.items():
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/OAuthError"}, status
    invalid = await client.post("/oauth2/token", data={"grant_type": "x" * 2000})
    assert invalid.status_code == 400
    assert invalid.json()["error"] == "invalid_request"

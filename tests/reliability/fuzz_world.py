"""What the schemathesis run talks to: one org that every surface can reach, and how a
generated case is aimed at it.

Random ids and names only ever reach the 404s. Three cases in four are pointed at the
seeded org, project, groups, template, privilege and role names, so that generated
bodies reach validation, the permission checks and the write on every surface; the
fourth stays as generated. The choice is a function of the case (no randomness of our
own), so a run is reproducible.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

from rolegate.rbac.catalogue import ORG_ROLES
from tests.api.infisical.conftest import (
    ADMINS,
    ENGINEERING,
    LOOSE_GROUP,
    MEMBER,
    ORG,
    PROJECT,
    WORLD,
)

OWNER = "00000000-0000-4000-8000-0000000f0101"
DEV = "00000000-0000-4000-8000-0000000f0102"
TEMPLATE = "00000000-0000-4000-8000-0000000f0501"
CONSOLE = "00000000-0000-4000-8000-0000000f0601"
CSP_API_TOKEN = "fuzz-csp-owner-api-token"
SESSION_TOKEN = "ses-fuzz-owner"
PRIVILEGE = "fuzz-privilege"
CUSTOM_ROLE = "auditor"
SERVICE_ROLES = ["service:admin", "service:user"]

GROUPS = [ENGINEERING, ADMINS, LOOSE_GROUP]
PROJECT_ROLES = ["admin", "member", "viewer", "no-access", "secret-reader"]
ORG_ROLE_NAMES = [*ORG_ROLES, CUSTOM_ROLE]
FAR_FUTURE = 4102444800  # 2100-01-01, an expiry that is always valid


def _world() -> dict[str, Any]:
    """The Infisical test world, its org also holding an owner with a CSP API token and a
    ctrl-hub session, a custom org role, a service definition, a template and a privilege."""
    world = copy.deepcopy(WORLD)
    org = world["organizations"][0]
    org["users"] = [
        {"id": DEV, "email": "dev@acme.test"},
        {
            "id": OWNER,
            "email": "owner@acme.test",
            "org_roles": ["org_owner"],
            "csp_api_tokens": [CSP_API_TOKEN],
            "session_tokens": [SESSION_TOKEN],
        },
    ]
    org["custom_roles"] = [{"name": CUSTOM_ROLE, "permissions": []}]
    org["service_definitions"] = [{"id": CONSOLE, "name": "Console", "roles": SERVICE_ROLES}]
    org["project_templates"] = [{"id": TEMPLATE, "name": "standard"}]
    for membership in org["projects"][0]["identities"]:
        if membership["identity"] == "member-bot":
            membership["privileges"] = [
                {"slug": PRIVILEGE, "permissions": [{"subject": "secrets", "action": ["read"]}]}
            ]
    return world


FUZZ_WORLD = _world()


def _pick(choices: list[Any], value: Any) -> Any:
    """One of ``choices`` or the generated value itself, decided by the value."""
    options = [*choices, value]
    return options[zlib.crc32(repr(value).encode()) % len(options)]


def _aim_names(section: Any, names: list[str]) -> None:
    """Point a CSP section's role names at roles that exist, and most expiries ahead."""
    if not isinstance(section, dict):
        return
    for key in ("rolesToAdd", "rolesToRemove", "rolesToUpdate"):
        items = section.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                item["name"] = _pick(names, item["name"])
            if isinstance(item, dict) and isinstance(item.get("expiresAt"), int):
                item["expiresAt"] = _pick([None, FAR_FUTURE], item["expiresAt"])
    for key in ("roleNamesToAdd", "roleNamesToRemove"):
        items = section.get(key)
        if isinstance(items, list):
            section[key] = [_pick(names, x) if isinstance(x, str) else x for x in items]


def _aim_infisical(case: Any, params: dict[str, Any], body: Any) -> None:
    if "projectId" in params:
        params["projectId"] = PROJECT
        if "groupId" in params:
            params["groupId"] = _pick(GROUPS, params["groupId"])
        roles = body.get("roles") if isinstance(body, dict) else None
        for item in roles if isinstance(roles, list) else []:
            if isinstance(item, dict) and isinstance(item.get("role"), str):
                item["role"] = _pick(PROJECT_ROLES, item["role"])
    if "templateId" in params:
        params["templateId"] = TEMPLATE
    if case.operation.path.startswith("/api/v1/additional-privilege"):
        if "privilegeSlug" in params:
            params["privilegeSlug"] = PRIVILEGE
        for where in (case.query, body):
            if not isinstance(where, dict):
                continue
            for key, value in (
                ("identityId", MEMBER),
                ("projectSlug", "backend"),
                ("privilegeSlug", PRIVILEGE),
            ):
                if key in where:
                    where[key] = value


def _aim_csp(params: dict[str, Any], body: Any) -> None:
    if "orgId" in params:
        params["orgId"] = ORG
    if "groupId" in params:
        params["groupId"] = _pick(GROUPS, params["groupId"])
    if not isinstance(body, dict):
        return
    _aim_names(body.get("organizationRoles"), list(ORG_ROLES))
    _aim_names(body.get("customRoles"), [CUSTOM_ROLE])
    services = body.get("serviceRoles")
    for service in services if isinstance(services, list) else []:
        if isinstance(service, dict):
            service["serviceDefinitionId"] = _pick([CONSOLE], service.get("serviceDefinitionId"))
            _aim_names(service, SERVICE_ROLES)


def _aim_ctrlhub(params: dict[str, Any], body: Any) -> None:
    if "org_id" in params:
        params["org_id"] = ORG
    if "group_id" in params:
        params["group_id"] = _pick(GROUPS, params["group_id"])
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list):  # members
        for item in data:
            if isinstance(item, dict):
                item["type"] = "users"
                item["id"] = _pick([DEV, OWNER], item.get("id"))
    if not isinstance(data, dict):
        return
    data["type"] = "groups"
    if "group_id" in params:
        data["id"] = params["group_id"]
    attributes = data.get("attributes")
    bindings = attributes.get("bindings") if isinstance(attributes, dict) else None
    for item in bindings if isinstance(bindings, list) else []:
        if isinstance(item, dict) and isinstance(item.get("role"), str):
            item["role"] = _pick(ORG_ROLE_NAMES, item["role"])


def aim(case: Any) -> None:
    """Point three cases in four at the seeded world (in place)."""
    if zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % 4 == 0:
        return
    path: str = case.operation.path
    # Deleting the seeded group or template would leave every later case a 404.
    if case.method.upper() == "DELETE" and not path.startswith("/api/v2/workspace"):
        return
    params = case.path_parameters if case.path_parameters is not None else {}
    if path.startswith("/csp/"):
        _aim_csp(params, case.body)
    elif path.startswith("/v3/"):
        _aim_ctrlhub(params, case.body)
    else:
        _aim_infisical(case, params, case.body)


def credentials(path: str, tokens: dict[str, str]) -> dict[str, str]:
    """The org owner's credential in the form the path's surface expects."""
    if path.startswith("/csp/"):
        return {"csp-auth-token": tokens["csp"]}
    if path.startswith("/v3/"):
        return {"X-Session-Token": tokens["ctrlhub"]}
    return {"Authorization": f"Bearer {tokens['infisical']}"}

"""The table of benchmarked endpoints: one entry per PATCH, then the reads.

Adding an endpoint is one entry: a name, how to authenticate, and a generator of valid,
varied requests over the data set. The SQL each request runs is not written here: the
harness captures it from PostgreSQL's own statement log while it sends every request
variant once, and pgbench replays exactly that (see ``sqlcapture.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dataset import CUSTOM_ROLES, DEV_READ, PRIVILEGE_SLUG, SERVICE_ROLES, Dataset, pinned

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None  # None: no body (GET)


@dataclass(frozen=True)
class Endpoint:
    key: str  # short name in the table ("A")
    title: str
    auth: str  # "infisical" | "csp" | "ctrlhub": which credential the harness mints
    # All request variants, in the order the load generator cycles through them.
    # At most 128 (pgbench runs one script per variant and allows 128 scripts).
    requests: Callable[[Dataset, int], list[Request]]
    # Requests sent once before the warm-up (each must answer 2xx): they put the targets
    # in the state the variants expect, when the seed format cannot express it.
    setup: Callable[[Dataset, int], list[Request]] | None = None


def spread(items: Sequence[T], targets: int) -> list[T]:
    """Up to ``targets`` items, evenly spaced over the whole list (several projects, ...)."""
    return list(items[:: max(1, len(items) // targets)][:targets])


def alternate(
    targets: Sequence[T], make: Callable[[T, int], Request], sets: int = 2
) -> list[Request]:
    """Every target once with each set: cycling through the list, a target alternates."""
    return [make(target, n) for n in range(sets) for target in targets]


# --- A: Infisical project group roles -------------------------------------------------

# Endpoint A alternates two role sets on every target: a single permanent built-in role,
# and a built-in + a custom role + a temporary role (three rows, one with a window).
ROLE_SETS: list[list[dict[str, Any]]] = [
    [{"role": "viewer"}],
    [
        {"role": "viewer"},
        {"role": "secret-reader"},
        {
            "role": "member",
            "isTemporary": True,
            "temporaryMode": "relative",
            "temporaryRange": "1h",
            "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
        },
    ],
]


def project_group_requests(data: Dataset, targets: int) -> list[Request]:
    # Memberships are listed project by project: spreading them spans the projects.
    def make(target: tuple[str, str], n: int) -> Request:
        project_id, group_id = target
        path = f"/api/v2/workspace/{project_id}/groups/{group_id}"
        return Request("PATCH", path, {"roles": ROLE_SETS[n]})

    return alternate(spread(data.project_groups, targets), make)


# --- B: Infisical identity additional privileges --------------------------------------

# Endpoint B alternates the privilege's rules and window: one permanent rule (dev, read),
# and two rules (prod read+edit, environments read) inside a temporary window.
PRIVILEGE_SETS: list[dict[str, Any]] = [
    {"permissions": DEV_READ, "isTemporary": False},
    {
        "permissions": [
            {
                "subject": "secrets",
                "action": ["read", "edit"],
                "conditions": {"environment": "prod"},
            },
            {"subject": "environments", "action": ["read"]},
        ],
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "1h",
        "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
    },
]


def identity_privilege_requests(data: Dataset, targets: int) -> list[Request]:
    def make(target: tuple[str, str], n: int) -> Request:
        project_slug, identity_id = target
        body = {
            "privilegeSlug": PRIVILEGE_SLUG,
            "identityId": identity_id,
            "projectSlug": project_slug,
            "privilegeDetails": PRIVILEGE_SETS[n],
        }
        return Request("PATCH", "/api/v1/additional-privilege/identity", body)

    return alternate(spread(data.identity_privileges, targets), make)


# --- C: Infisical project templates -----------------------------------------------------

_RELEASE_MANAGER = {
    "name": "Release Manager",
    "slug": "release-manager",
    "permissions": CUSTOM_ROLES[1]["permissions"],
}
_SECRET_READER = {
    "name": "Secret Reader",
    "slug": "secret-reader",
    "permissions": CUSTOM_ROLES[0]["permissions"],
}
_ENVIRONMENTS = [("Development", "dev"), ("Staging", "staging"), ("Production", "prod")]

# Endpoint C alternates description, roles and environments (the name stays: renaming
# would only add the uniqueness check): one role and two environments, two roles and three.
TEMPLATE_SETS: list[dict[str, Any]] = [
    {
        "description": "Benchmark template, one role",
        "roles": [_RELEASE_MANAGER],
        "environments": [
            {"name": name, "slug": slug, "position": i}
            for i, (name, slug) in enumerate([_ENVIRONMENTS[0], _ENVIRONMENTS[2]], start=1)
        ],
    },
    {
        "description": "Benchmark template, two roles",
        "roles": [_RELEASE_MANAGER, _SECRET_READER],
        "environments": [
            {"name": name, "slug": slug, "position": i}
            for i, (name, slug) in enumerate(_ENVIRONMENTS, start=1)
        ],
    },
]


def project_template_requests(data: Dataset, targets: int) -> list[Request]:
    def make(template_id: str, n: int) -> Request:
        return Request("PATCH", f"/api/v1/project-templates/{template_id}", TEMPLATE_SETS[n])

    return alternate(spread(data.template_ids, targets), make)


# --- D: VMware CSP group roles ----------------------------------------------------------

# Far enough ahead that no run outlives it (2033-05-18).
EXPIRES_AT = 2_000_000_000


def _service(data: Dataset, index: int) -> tuple[str, str]:
    """The service definition a target group's service section names, and its user role."""
    n = index % len(data.service_ids)
    return data.service_ids[n], f"service{n}:{SERVICE_ROLES[1]}"


def csp_group_roles_setup(data: Dataset, targets: int) -> list[Request]:
    """Each target group gets the three roles the variants then update."""
    requests = []
    for index, group_id in enumerate(spread(data.group_ids, targets)):
        service_id, service_role = _service(data, index)
        body = {
            "organizationRoles": {"rolesToAdd": [{"name": "developer"}]},
            "customRoles": {"rolesToAdd": [{"name": "auditor"}]},
            "serviceRoles": [
                {"serviceDefinitionId": service_id, "rolesToAdd": [{"name": service_role}]}
            ],
        }
        requests.append(Request("PATCH", _csp_path(data, group_id), body))
    return requests


def _csp_path(data: Dataset, group_id: str) -> str:
    return f"/csp/gateway/am/api/orgs/{data.org_id}/groups/{group_id}/roles"


def csp_group_roles_requests(data: Dataset, targets: int) -> list[Request]:
    """Endpoint D changes an organization, a custom and a service role of the group in each
    request: set 0 makes all three permanent and resource-free, set 1 gives them an expiry
    (and the service role a resource) and notifies the group's members (outbox rows).

    Updates, not add/remove: pgbench replays the captured scripts in random order, and a
    captured remove deletes rows by their id, so replayed add/remove pairs would pile rows
    up on the group during the pgbench run (and make its ceiling slower than rolegate's
    work). The roles are put on the groups by ``csp_group_roles_setup``.
    """
    indexed = list(enumerate(spread(data.group_ids, targets)))

    def make(target: tuple[int, str], n: int) -> Request:
        index, group_id = target
        service_id, service_role = _service(data, index)
        expiry = {"expiresAt": EXPIRES_AT if n else None}
        body = {
            "organizationRoles": {"rolesToAdd": [{"name": "developer", **expiry}]},
            "customRoles": {"rolesToUpdate": [{"name": "auditor", **expiry}]},
            "serviceRoles": [
                {
                    "serviceDefinitionId": service_id,
                    "rolesToUpdate": [
                        {
                            "name": service_role,
                            "resource": f"/bench/{index}" if n else None,
                            **expiry,
                        }
                    ],
                }
            ],
            "notifyUsersInGroups": bool(n),
        }
        return Request("PATCH", _csp_path(data, group_id), body)

    return alternate(indexed, make)


# --- E: ctrl-hub role groups ------------------------------------------------------------

# Endpoint E alternates description and the whole binding list: one unconditional fixed
# role, or that role under a condition plus an org custom role.
BINDING_SETS: list[dict[str, Any]] = [
    {"description": "Benchmark group, one binding", "bindings": [{"role": "developer"}]},
    {
        "description": "Benchmark group, two bindings",
        "bindings": [
            {
                "role": "developer",
                "condition": {
                    "gate": "AND",
                    "rules": [
                        {
                            "type": "user",
                            "operator": "has_value",
                            "key": "email_domain",
                            "value": "bench.test",
                        }
                    ],
                },
            },
            {"role": "auditor"},
        ],
    },
]


def role_group_requests(data: Dataset, targets: int) -> list[Request]:
    def make(group_id: str, n: int) -> Request:
        body = {"data": {"type": "groups", "id": group_id, "attributes": BINDING_SETS[n]}}
        return Request("PATCH", f"/v3/orgs/{data.org_id}/iam/groups/{group_id}", body)

    return alternate(spread(data.group_ids, targets), make)


# --- Reads --------------------------------------------------------------------------------


def project_group_reads(data: Dataset, targets: int) -> list[Request]:
    """GET of endpoint A's membership (what a client reads back after its PATCH)."""
    return [
        Request("GET", f"/api/v2/workspace/{project_id}/groups/{group_id}", None)
        for project_id, group_id in spread(data.project_groups, targets)
    ]


def _bot_targets(data: Dataset, targets: int) -> list[tuple[str, str]]:
    """(project id, identity id) of bot memberships, each with one additional privilege."""
    return [
        (pinned("project", int(slug.rsplit("-", 1)[1])), identity_id)
        for slug, identity_id in spread(data.identity_privileges, targets)
    ]


def effective_permission_reads(data: Dataset, targets: int) -> list[Request]:
    path = "/api/v1/projects/{}/effective-permissions?identityId={}"
    return [
        Request("GET", path.format(project_id, identity), None)
        for project_id, identity in _bot_targets(data, targets)
    ]


# Alternates an allowed question (the bot's privilege grants secrets read in dev) and a
# denied one (edit in prod), so both of the engine's answers are in the mix.
CHECK_QUESTIONS: list[dict[str, Any]] = [
    {"action": "read", "subject": "secrets", "fields": {"environment": "dev", "secretPath": "/"}},
    {"action": "edit", "subject": "secrets", "fields": {"environment": "prod", "secretPath": "/"}},
]


def permission_check_requests(data: Dataset, targets: int) -> list[Request]:
    def make(target: tuple[str, str], n: int) -> Request:
        project_id, identity = target
        body = {"principal": {"identityId": identity}, **CHECK_QUESTIONS[n]}
        return Request("POST", f"/api/v1/projects/{project_id}/permission-check", body)

    return alternate(_bot_targets(data, targets), make)


def role_group_reads(data: Dataset, targets: int) -> list[Request]:
    """ctrl-hub GET of a role group: its bindings and its users in ``included``."""
    return [
        Request("GET", f"/v3/orgs/{data.org_id}/iam/groups/{group_id}", None)
        for group_id in spread(data.group_ids, targets)
    ]


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        key="A",
        title="PATCH /api/v2/workspace/{projectId}/groups/{groupId}",
        auth="infisical",
        requests=project_group_requests,
    ),
    Endpoint(
        key="B",
        title="PATCH /api/v1/additional-privilege/identity",
        auth="infisical",
        requests=identity_privilege_requests,
    ),
    Endpoint(
        key="C",
        title="PATCH /api/v1/project-templates/{templateId}",
        auth="infisical",
        requests=project_template_requests,
    ),
    Endpoint(
        key="D",
        title="PATCH /csp/gateway/am/api/orgs/{orgId}/groups/{groupId}/roles",
        auth="csp",
        requests=csp_group_roles_requests,
        setup=csp_group_roles_setup,
    ),
    Endpoint(
        key="E",
        title="PATCH /v3/orgs/{org_id}/iam/groups/{group_id}",
        auth="ctrlhub",
        requests=role_group_requests,
    ),
    Endpoint(
        key="GA",
        title="GET /api/v2/workspace/{projectId}/groups/{groupId}",
        auth="infisical",
        requests=project_group_reads,
    ),
    Endpoint(
        key="EP",
        title="GET /api/v1/projects/{projectId}/effective-permissions?identityId=",
        auth="infisical",
        requests=effective_permission_reads,
    ),
    Endpoint(
        key="PC",
        title="POST /api/v1/projects/{projectId}/permission-check",
        auth="infisical",
        requests=permission_check_requests,
    ),
    Endpoint(
        key="GE",
        title="GET /v3/orgs/{org_id}/iam/groups/{group_id} (users included)",
        auth="ctrlhub",
        requests=role_group_reads,
    ),
]

# The writes have a fixed reference transaction (reference.py) and are the default set.
WRITES = ("A", "B", "C", "D", "E")
READS = ("GA", "EP", "PC", "GE")

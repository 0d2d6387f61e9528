"""The benchmark's data set: a seed file in rolegate's own format, with pinned ids.

Sizes follow the issue ("50 projects, 200 groups, 200 identities, templates, CSP orgs and
groups"). Ids are deterministic (uuid5) so a run can name its targets without reading them
back, and every PATCH target exists before the load starts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

NS = uuid.UUID("6f1c0a4e-8d1b-4e0e-9a57-b3a1c0de0000")


def pinned(kind: str, n: int) -> str:
    return str(uuid.uuid5(NS, f"{kind}-{n}"))


@dataclass(frozen=True)
class Size:
    projects: int = 50
    groups: int = 200
    identities: int = 200
    users: int = 200
    groups_per_project: int = 8  # memberships: projects * groups_per_project targets
    identities_per_project: int = 8
    templates: int = 64  # endpoint C's targets: one per request slot, as for the others
    services: int = 5


@dataclass
class Dataset:
    seed: dict[str, Any]
    org_id: str
    admin_identity_id: str  # the Infisical actor (org admin, admin of every project)
    owner_email: str  # the CSP and ctrl-hub actor (org_owner)
    owner_user_id: str
    # (project_id, group_id) of every group membership: the endpoint-A targets.
    project_groups: list[tuple[str, str]] = field(default_factory=list)
    # (project_slug, identity_id) of every bot membership, each with PRIVILEGE_SLUG: B.
    identity_privileges: list[tuple[str, str]] = field(default_factory=list)
    template_ids: list[str] = field(default_factory=list)  # C
    group_ids: list[str] = field(default_factory=list)  # D and E
    service_ids: list[str] = field(default_factory=list)  # service i declares SERVICE_ROLES


PRIVILEGE_SLUG = "bench-privilege"
# The admin identity's universal-auth credential (bench/login.py logs in with it).
ADMIN_CLIENT_ID = "bench-admin"
ADMIN_CLIENT_SECRET = "bench-admin-secret"  # noqa: S105 - a throwaway seed for the bench
# Role names every service definition declares: service{i}:admin, service{i}:user.
SERVICE_ROLES = ("admin", "user")


# The rule every bot's additional privilege starts with (endpoint B then alternates two sets).
DEV_READ = [
    {
        "subject": "secrets",
        "action": ["read"],
        "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
    }
]

CUSTOM_ROLES: list[dict[str, Any]] = [
    {
        "slug": "secret-reader",
        "name": "Secret Reader",
        "permissions": [
            {"subject": "secrets", "action": ["read"], "conditions": {"environment": "dev"}}
        ],
    },
    {
        "slug": "release-manager",
        "name": "Release Manager",
        "permissions": [
            {
                "subject": "secrets",
                "action": ["read", "edit"],
                "conditions": {"environment": "prod"},
            },
            {"subject": "environments", "action": ["read"]},
        ],
    },
]


def build(size: Size | None = None) -> Dataset:
    size = size or Size()
    org_id = pinned("org", 0)
    admin_id = pinned("identity", 0)
    owner_email = "user0@bench.test"
    users = [
        {
            "id": pinned("user", i),
            "email": f"user{i}@bench.test",
            "org_roles": ["org_owner"] if i == 0 else ["org_member"],
            "profile": {"personal": {"first_name": f"User{i}", "last_name": "Bench"}},
        }
        for i in range(size.users)
    ]
    identities: list[dict[str, Any]] = [
        {
            "id": admin_id,
            "name": "bench-admin",
            "org_role": "admin",
            "universal_auth": {
                "client_id": ADMIN_CLIENT_ID,
                "client_secret": ADMIN_CLIENT_SECRET,
            },
        }
    ]
    identities += [
        {"id": pinned("identity", i), "name": f"bot-{i}", "org_role": "member"}
        for i in range(1, size.identities)
    ]
    groups = [
        {
            "id": pinned("group", i),
            "name": f"Team {i}",
            "slug": f"team-{i}",
            "members": [f"user{(i * 7 + k) % size.users}@bench.test" for k in range(5)],
            "org_roles": ["org_member"],
        }
        for i in range(size.groups)
    ]
    services = [
        {
            "id": pinned("service", i),
            "name": f"Service {i}",
            "roles": [f"service{i}:{role}" for role in SERVICE_ROLES],
        }
        for i in range(size.services)
    ]
    projects = []
    project_groups: list[tuple[str, str]] = []
    identity_privileges: list[tuple[str, str]] = []
    for p in range(size.projects):
        project_id = pinned("project", p)
        member_groups = [(p * 4 + k) % size.groups for k in range(size.groups_per_project)]
        member_ids = [
            1 + (p * 4 + k) % (size.identities - 1) for k in range(size.identities_per_project)
        ]
        projects.append(
            {
                "id": project_id,
                "name": f"Project {p}",
                "slug": f"project-{p}",
                "roles": CUSTOM_ROLES,
                "groups": [
                    {"group": f"team-{g}", "roles": [{"role": "viewer"}]} for g in member_groups
                ],
                "identities": [
                    {"identity": "bench-admin", "roles": [{"role": "admin"}]},
                    *(
                        {
                            "identity": f"bot-{i}",
                            "roles": [{"role": "member"}],
                            "privileges": [{"slug": PRIVILEGE_SLUG, "permissions": DEV_READ}],
                        }
                        for i in member_ids
                    ),
                ],
            }
        )
        project_groups += [(project_id, pinned("group", g)) for g in member_groups]
        identity_privileges += [(f"project-{p}", pinned("identity", i)) for i in member_ids]
    templates = [
        {
            "id": pinned("template", t),
            "name": f"template-{t}",
            "description": "Benchmark template",
            "roles": [
                {
                    "name": "Release Manager",
                    "slug": "release-manager",
                    "permissions": CUSTOM_ROLES[1]["permissions"],
                }
            ],
            "environments": [
                {"name": "Development", "slug": "dev", "position": 1},
                {"name": "Production", "slug": "prod", "position": 2},
            ],
        }
        for t in range(size.templates)
    ]
    seed = {
        "organizations": [
            {
                "id": org_id,
                "name": "Bench",
                "slug": "bench",
                "users": users,
                "identities": identities,
                "groups": groups,
                "service_definitions": services,
                "custom_roles": [
                    {
                        "name": "auditor",
                        "permissions": [{"subject": "audit-logs", "action": ["read"]}],
                    }
                ],
                "projects": projects,
                "project_templates": templates,
            }
        ]
    }
    return Dataset(
        seed=seed,
        org_id=org_id,
        admin_identity_id=admin_id,
        owner_email=owner_email,
        owner_user_id=pinned("user", 0),
        project_groups=project_groups,
        identity_privileges=identity_privileges,
        template_ids=[pinned("template", t) for t in range(size.templates)],
        group_ids=[pinned("group", g) for g in range(size.groups)],
        service_ids=[pinned("service", i) for i in range(size.services)],
    )

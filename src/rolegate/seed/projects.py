"""A seed file's projects (environments, roles, memberships and their grants, identity
privileges) and project templates."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from rolegate.rbac.catalogue import DEFAULT_ENVIRONMENTS
from rolegate.rbac.models import (
    AdditionalPrivilege,
    Environment,
    Group,
    Identity,
    Organization,
    Project,
    ProjectMembership,
    ProjectTemplate,
    Role,
    RoleAssignment,
    User,
)
from rolegate.rbac.permissions.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.seed import schema as s
from rolegate.seed.reading import SeedError
from rolegate.seed.store import SeedStore
from rolegate.seed.values import check_template, rules, window


def _default_environments() -> list[s.SeedEnvironment]:
    return [s.SeedEnvironment(name=n, slug=sl) for n, sl in DEFAULT_ENVIRONMENTS]


async def load_project(
    store: SeedStore,
    org: Organization,
    spec: s.SeedProject,
    users: dict[str, User],
    identities: dict[str, Identity],
    groups: dict[str, Group],
    where: str,
) -> None:
    project = await store.upsert(
        Project, spec.id, {"org_id": org.id, "slug": spec.slug}, {"name": spec.name}
    )
    envs = spec.environments
    if (
        envs is None
        and not (
            await store.session.execute(
                select(Environment.id).where(Environment.project_id == project.id)
            )
        ).first()
    ):
        envs = _default_environments()
    for pos, env in enumerate(envs or [], start=1):
        await store.upsert(
            Environment,
            None,
            {"project_id": project.id, "slug": env.slug},
            {"name": env.name, "position": env.position or pos},
        )
    roles: dict[str, Role] = {}
    for i, r in enumerate(spec.roles):
        if r.slug in BUILTIN_PROJECT_ROLES or r.slug == "custom":
            raise SeedError(f"{where}.roles[{i}].slug: '{r.slug}' is reserved")
        roles[r.slug] = await store.upsert(
            Role,
            None,
            {"org_id": org.id, "scope": "project", "project_id": project.id, "slug": r.slug},
            {
                "name": r.name,
                "description": r.description,
                "permissions": rules(r.permissions, f"{where}.roles[{i}]"),
            },
        )
    for i, pg in enumerate(spec.groups):
        group = groups.get(pg.group) or await store.find(Group, None, org_id=org.id, slug=pg.group)
        if group is None:
            raise SeedError(f"{where}.groups[{i}].group: unknown group '{pg.group}'")
        m = await _membership(store, project, group_id=group.id)
        await _grants(store, org, project, m, pg.roles, roles, f"{where}.groups[{i}]")
    for i, pi in enumerate(spec.identities):
        ident = identities.get(pi.identity) or await store.find(
            Identity, None, org_id=org.id, name=pi.identity
        )
        if ident is None:
            raise SeedError(f"{where}.identities[{i}].identity: unknown identity '{pi.identity}'")
        m = await _membership(store, project, identity_id=ident.id)
        await _grants(store, org, project, m, pi.roles, roles, f"{where}.identities[{i}]")
        for j, priv in enumerate(pi.privileges):
            pw = f"{where}.identities[{i}].privileges[{j}]"
            await store.upsert(
                AdditionalPrivilege,
                None,
                {"project_membership_id": m.id, "slug": priv.slug},
                {"permissions": rules(priv.permissions, pw), **window(priv, pw, store.now)},
            )
    for i, pu in enumerate(spec.users):
        user = users.get(pu.user) or await store.find(User, None, org_id=org.id, email=pu.user)
        if user is None:
            raise SeedError(f"{where}.users[{i}].user: unknown user '{pu.user}'")
        m = await _membership(store, project, user_id=user.id)
        await _grants(store, org, project, m, pu.roles, roles, f"{where}.users[{i}]")


async def _membership(
    store: SeedStore, project: Project, **principal: uuid.UUID
) -> ProjectMembership:
    return await store.upsert(ProjectMembership, None, {"project_id": project.id, **principal}, {})


async def _grants(
    store: SeedStore,
    org: Organization,
    project: Project,
    membership: ProjectMembership,
    grants: list[s.SeedRoleGrant],
    roles: dict[str, Role],
    where: str,
) -> None:
    """The file names this membership's Infisical roles: they become exactly these."""
    rows = []
    for i, grant in enumerate(grants):
        gw = f"{where}.roles[{i}]"
        custom: Role | None = None
        if grant.role not in BUILTIN_PROJECT_ROLES:
            custom = roles.get(grant.role) or await store.find(
                Role, None, scope="project", project_id=project.id, slug=grant.role
            )
            if custom is None:
                raise SeedError(
                    f"{gw}.role: unknown role '{grant.role}' in project '{project.slug}'"
                )
        rows.append(
            RoleAssignment(
                id=uuid.uuid4(),
                org_id=org.id,
                surface="infisical",
                kind="project",
                project_membership_id=membership.id,
                role_key="custom" if custom else grant.role,
                role_id=custom.id if custom else None,
                position=i,
                created_by="seed",
                updated_by="seed",
                **window(grant, gw, store.now),
            )
        )
    await store.session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.project_membership_id == membership.id,
            RoleAssignment.surface == "infisical",
        )
    )
    store.session.add_all(rows)
    await store.session.flush()


async def load_template(
    store: SeedStore, org: Organization, spec: s.SeedProjectTemplate, where: str
) -> None:
    envs = spec.environments or _default_environments()
    check_template(spec, envs, where)
    await store.upsert(
        ProjectTemplate,
        spec.id,
        {"org_id": org.id, "name": spec.name},
        {
            "description": spec.description,
            "roles": [
                {
                    "name": r.name,
                    "slug": r.slug,
                    "permissions": rules(r.permissions, f"{where}.roles[{i}]"),
                }
                for i, r in enumerate(spec.roles)
            ],
            "environments": [
                {"name": e.name, "slug": e.slug, "position": e.position or pos}
                for pos, e in enumerate(envs, start=1)
            ],
        },
    )

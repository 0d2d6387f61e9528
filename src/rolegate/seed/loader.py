"""Load a seed file into the store, idempotently, in one transaction.

Rows are matched by id when the file gives one, else by their natural key inside the org
(slug, email, name), and updated in place; nothing the file does not name is deleted.
Every reference (a group member, a project role) is resolved before it is used, and any
problem raises :class:`SeedError` naming the entry: the transaction then writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db import Base
from rolegate.rbac.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.rbac.catalogue import DEFAULT_ENVIRONMENTS, ORG_ROLES
from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.models import (
    AdditionalPrivilege,
    CspApiToken,
    Environment,
    Group,
    GroupMember,
    Identity,
    Organization,
    Project,
    ProjectMembership,
    ProjectTemplate,
    Role,
    RoleAssignment,
    ServiceDefinition,
    SessionToken,
    UniversalAuthCredential,
    User,
)
from rolegate.rbac.permissions import RuleSetValidationError, parse_rules, rules_to_json
from rolegate.rbac.secrets import hash_client_secret, token_digest, verify_client_secret
from rolegate.rbac.templates import EnvironmentSpec, TemplateRoleSpec, check_template_input
from rolegate.seed import schema as s

M = TypeVar("M", bound=Base)


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the bad entry."""


def read_seed_file(path: Path) -> s.SeedFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML/JSON: {exc}") from exc
    return parse_seed(raw, str(path))


def parse_seed(raw: Any, source: str = "seed") -> s.SeedFile:
    try:
        return s.SeedFile.model_validate(raw or {})
    except ValidationError as exc:
        lines = [f"  {_dotted(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)]
        raise SeedError(f"{source}: invalid seed file:\n" + "\n".join(lines)) from exc


def _dotted(loc: Any) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _suffix(path: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _rules(raw: list[Any], where: str) -> list[dict[str, Any]]:
    try:
        return rules_to_json(parse_rules(raw))
    except RuleSetValidationError as exc:
        details = "; ".join(
            f"{where}.permissions{_suffix(e.path)}: {e.message}" for e in exc.errors
        )
        raise SeedError(details) from exc


def _window(
    grant: s.SeedRoleGrant | s.SeedPrivilege, where: str, now: dt.datetime
) -> dict[str, Any]:
    if not grant.isTemporary:
        return {
            "is_temporary": False,
            "temporary_mode": None,
            "temporary_range": None,
            "starts_at": None,
            "ends_at": None,
        }
    if not grant.temporaryRange:
        raise SeedError(f"{where}: a temporary grant needs temporaryRange")
    try:
        millis = parse_ms_duration(grant.temporaryRange)
    except InvalidDurationError as exc:
        raise SeedError(f"{where}.temporaryRange: {exc}") from exc
    start = (
        dt.datetime.fromisoformat(grant.temporaryAccessStartTime.replace("Z", "+00:00"))
        if grant.temporaryAccessStartTime
        else now
    )
    if start.tzinfo is None:
        raise SeedError(f"{where}.temporaryAccessStartTime: needs a time zone")
    return {
        "is_temporary": True,
        "temporary_mode": "relative",
        "temporary_range": grant.temporaryRange,
        "starts_at": start,
        "ends_at": start + dt.timedelta(milliseconds=millis),
    }


def _check_template(spec: s.SeedProjectTemplate, envs: list[s.SeedEnvironment], where: str) -> None:
    """The API's body rules for templates (reserved names, duplicates, positions)."""
    try:
        check_template_input(
            spec.name,
            [TemplateRoleSpec(name=r.name, slug=r.slug, rules=()) for r in spec.roles],
            [
                EnvironmentSpec(name=e.name, slug=e.slug, position=e.position or pos)
                for pos, e in enumerate(envs, start=1)
            ],
        )
    except InvalidInputError as exc:
        raise SeedError(
            "; ".join(f"{where}{_suffix(i['path'])}: {i['message']}" for i in exc.issues)
        ) from exc


class SeedLoader:
    def __init__(self, session: AsyncSession, now: dt.datetime | None = None) -> None:
        self.session = session
        self.now = now or dt.datetime.now(dt.UTC)
        self.counts: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    async def _find(self, model: type[M], id_: uuid.UUID | None, **natural: Any) -> M | None:
        if id_ is not None:
            found = await self.session.get(model, id_)
            if found is not None:
                return found
        stmt = select(model).filter_by(**natural)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _upsert(
        self, model: type[M], id_: uuid.UUID | None, natural: dict[str, Any], values: dict[str, Any]
    ) -> M:
        row = await self._find(model, id_, **natural)
        if row is None:
            row = model(id=id_ or uuid.uuid4(), **natural, **values)
            self.session.add(row)
        else:
            for key, value in {**natural, **values}.items():
                setattr(row, key, value)
        await self.session.flush()
        self._count(model.__tablename__)
        return row

    async def load(self, seed: s.SeedFile) -> dict[str, int]:
        for index, org in enumerate(seed.organizations):
            await self._load_org(org, f"organizations[{index}]")
        await self.session.flush()
        return self.counts

    async def _load_org(self, spec: s.SeedOrganization, where: str) -> None:
        org = await self._upsert(Organization, spec.id, {"slug": spec.slug}, {"name": spec.name})
        users: dict[str, User] = {}
        for i, u in enumerate(spec.users):
            users[u.email] = await self._load_user(org, u, f"{where}.users[{i}]")
        identities: dict[str, Identity] = {}
        for i, ident in enumerate(spec.identities):
            identities[ident.name] = await self._load_identity(
                org, ident, f"{where}.identities[{i}]"
            )
        custom_roles: dict[str, Role] = {}
        for i, cr in enumerate(spec.custom_roles):
            custom_roles[cr.name] = await self._upsert(
                Role,
                None,
                {"org_id": org.id, "scope": "org", "name": cr.name},
                {
                    "slug": cr.name,
                    "description": cr.description,
                    "permissions": _rules(cr.permissions, f"{where}.custom_roles[{i}]"),
                },
            )
        for sd in spec.service_definitions:
            await self._load_service(org, sd)
        groups: dict[str, Group] = {}
        for i, g in enumerate(spec.groups):
            groups[g.slug] = await self._load_group(
                org, g, users, custom_roles, f"{where}.groups[{i}]"
            )
        for i, p in enumerate(spec.projects):
            await self._load_project(org, p, users, identities, groups, f"{where}.projects[{i}]")
        for i, t in enumerate(spec.project_templates):
            await self._load_template(org, t, f"{where}.project_templates[{i}]")

    async def _load_user(self, org: Organization, u: s.SeedUser, where: str) -> User:
        user = await self._upsert(
            User,
            u.id,
            {"org_id": org.id, "email": u.email},
            {"profile": u.profile, "attributes": u.attributes},
        )
        for name in u.org_roles:
            if name not in ORG_ROLES:
                raise SeedError(f"{where}.org_roles: unknown organization role '{name}'")
            await self._ensure_org_assignment(org, "organization", name, None, user_id=user.id)
        for token in u.csp_api_tokens:
            await self._ensure_token(CspApiToken, user, token)
        for token in u.session_tokens:
            await self._ensure_token(SessionToken, user, token)
        return user

    async def _ensure_token(
        self, model: type[CspApiToken] | type[SessionToken], user: User, token: str
    ) -> None:
        stmt = pg_insert(model).values(
            id=uuid.uuid4(), user_id=user.id, token_hash=token_digest(token)
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["token_hash"], set_={"user_id": user.id})
        )

    async def _ensure_org_assignment(
        self,
        org: Organization,
        kind: str,
        key: str,
        role: Role | None,
        *,
        user_id: uuid.UUID | None = None,
        group_id: uuid.UUID | None = None,
    ) -> None:
        holder = (
            RoleAssignment.user_id == user_id if user_id else RoleAssignment.group_id == group_id
        )
        stmt = select(RoleAssignment.id).where(
            holder,
            RoleAssignment.kind == kind,
            RoleAssignment.role_key == key,
            RoleAssignment.role_id.is_(None) if role is None else RoleAssignment.role_id == role.id,
        )
        if (await self.session.execute(stmt)).first() is None:
            self.session.add(
                RoleAssignment(
                    id=uuid.uuid4(),
                    org_id=org.id,
                    surface="csp",
                    kind=kind,
                    user_id=user_id,
                    group_id=group_id,
                    role_key=key,
                    role_id=role.id if role else None,
                    created_by="seed",
                    updated_by="seed",
                )
            )

    async def _load_identity(self, org: Organization, spec: s.SeedIdentity, where: str) -> Identity:
        identity = await self._upsert(
            Identity, spec.id, {"org_id": org.id, "name": spec.name}, {"org_role": spec.org_role}
        )
        ua = spec.universal_auth
        if ua is not None:
            current = (
                await self.session.execute(
                    select(UniversalAuthCredential).where(
                        UniversalAuthCredential.client_id == ua.client_id
                    )
                )
            ).scalar_one_or_none()
            if current is not None and current.identity_id != identity.id:
                raise SeedError(
                    f"{where}.universal_auth.client_id: '{ua.client_id}'"
                    " belongs to another identity"
                )
            existing = (
                current
                or (
                    await self.session.execute(
                        select(UniversalAuthCredential).where(
                            UniversalAuthCredential.identity_id == identity.id
                        )
                    )
                ).scalar_one_or_none()
            )
            if existing is None:
                existing = UniversalAuthCredential(id=uuid.uuid4(), identity_id=identity.id)
                self.session.add(existing)
            existing.client_id = ua.client_id
            # Re-hashing on every load would churn the row; keep a hash that still matches.
            if not existing.client_secret_hash or not verify_client_secret(
                existing.client_secret_hash, ua.client_secret
            ):
                existing.client_secret_hash = hash_client_secret(ua.client_secret)
            existing.access_token_ttl = ua.access_token_ttl
            existing.access_token_max_ttl = ua.access_token_max_ttl
            await self.session.flush()
        return identity

    async def _load_service(self, org: Organization, spec: s.SeedServiceDefinition) -> None:
        service = await self._upsert(
            ServiceDefinition, spec.id, {"org_id": org.id, "name": spec.name}, {}
        )
        for name in spec.roles:
            await self._upsert(
                Role,
                None,
                {
                    "org_id": org.id,
                    "scope": "service",
                    "service_definition_id": service.id,
                    "name": name,
                },
                {"slug": name},
            )

    async def _load_group(
        self,
        org: Organization,
        spec: s.SeedGroup,
        users: dict[str, User],
        custom_roles: dict[str, Role],
        where: str,
    ) -> Group:
        group = await self._upsert(
            Group,
            spec.id,
            {"org_id": org.id, "slug": spec.slug},
            {"name": spec.name, "description": spec.description},
        )
        for email in spec.members:
            user = users.get(email) or await self._find(User, None, org_id=org.id, email=email)
            if user is None:
                raise SeedError(f"{where}.members: unknown user '{email}' in this organization")
            await self.session.execute(
                pg_insert(GroupMember)
                .values(group_id=group.id, user_id=user.id)
                .on_conflict_do_nothing()
            )
        for name in spec.org_roles:
            if name not in ORG_ROLES:
                raise SeedError(f"{where}.org_roles: unknown organization role '{name}'")
            await self._ensure_org_assignment(org, "organization", name, None, group_id=group.id)
        for name in spec.custom_roles:
            role = custom_roles.get(name) or await self._find(
                Role, None, org_id=org.id, scope="org", name=name
            )
            if role is None:
                raise SeedError(f"{where}.custom_roles: unknown custom role '{name}'")
            await self._ensure_org_assignment(org, "custom", "custom", role, group_id=group.id)
        return group

    async def _load_project(
        self,
        org: Organization,
        spec: s.SeedProject,
        users: dict[str, User],
        identities: dict[str, Identity],
        groups: dict[str, Group],
        where: str,
    ) -> None:
        project = await self._upsert(
            Project, spec.id, {"org_id": org.id, "slug": spec.slug}, {"name": spec.name}
        )
        envs = spec.environments
        if (
            envs is None
            and not (
                await self.session.execute(
                    select(Environment.id).where(Environment.project_id == project.id)
                )
            ).first()
        ):
            envs = [s.SeedEnvironment(name=n, slug=sl) for n, sl in DEFAULT_ENVIRONMENTS]
        for pos, env in enumerate(envs or [], start=1):
            await self._upsert(
                Environment,
                None,
                {"project_id": project.id, "slug": env.slug},
                {"name": env.name, "position": env.position or pos},
            )
        roles: dict[str, Role] = {}
        for i, r in enumerate(spec.roles):
            if r.slug in BUILTIN_PROJECT_ROLES or r.slug == "custom":
                raise SeedError(f"{where}.roles[{i}].slug: '{r.slug}' is reserved")
            roles[r.slug] = await self._upsert(
                Role,
                None,
                {"org_id": org.id, "scope": "project", "project_id": project.id, "slug": r.slug},
                {
                    "name": r.name,
                    "description": r.description,
                    "permissions": _rules(r.permissions, f"{where}.roles[{i}]"),
                },
            )
        for i, pg in enumerate(spec.groups):
            group = groups.get(pg.group) or await self._find(
                Group, None, org_id=org.id, slug=pg.group
            )
            if group is None:
                raise SeedError(f"{where}.groups[{i}].group: unknown group '{pg.group}'")
            m = await self._membership(project, group_id=group.id)
            await self._grants(org, project, m, pg.roles, roles, f"{where}.groups[{i}]")
        for i, pi in enumerate(spec.identities):
            ident = identities.get(pi.identity) or await self._find(
                Identity, None, org_id=org.id, name=pi.identity
            )
            if ident is None:
                raise SeedError(
                    f"{where}.identities[{i}].identity: unknown identity '{pi.identity}'"
                )
            m = await self._membership(project, identity_id=ident.id)
            await self._grants(org, project, m, pi.roles, roles, f"{where}.identities[{i}]")
            for j, priv in enumerate(pi.privileges):
                pw = f"{where}.identities[{i}].privileges[{j}]"
                await self._upsert(
                    AdditionalPrivilege,
                    None,
                    {"project_membership_id": m.id, "slug": priv.slug},
                    {"permissions": _rules(priv.permissions, pw), **_window(priv, pw, self.now)},
                )
        for i, pu in enumerate(spec.users):
            user = users.get(pu.user) or await self._find(User, None, org_id=org.id, email=pu.user)
            if user is None:
                raise SeedError(f"{where}.users[{i}].user: unknown user '{pu.user}'")
            m = await self._membership(project, user_id=user.id)
            await self._grants(org, project, m, pu.roles, roles, f"{where}.users[{i}]")

    async def _membership(self, project: Project, **principal: uuid.UUID) -> ProjectMembership:
        return await self._upsert(
            ProjectMembership, None, {"project_id": project.id, **principal}, {}
        )

    async def _grants(
        self,
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
                custom = roles.get(grant.role) or await self._find(
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
                    **_window(grant, gw, self.now),
                )
            )
        await self.session.execute(
            delete(RoleAssignment).where(
                RoleAssignment.project_membership_id == membership.id,
                RoleAssignment.surface == "infisical",
            )
        )
        self.session.add_all(rows)
        await self.session.flush()

    async def _load_template(
        self, org: Organization, spec: s.SeedProjectTemplate, where: str
    ) -> None:
        envs = spec.environments or [
            s.SeedEnvironment(name=n, slug=sl) for n, sl in DEFAULT_ENVIRONMENTS
        ]
        _check_template(spec, envs, where)
        await self._upsert(
            ProjectTemplate,
            spec.id,
            {"org_id": org.id, "name": spec.name},
            {
                "description": spec.description,
                "roles": [
                    {
                        "name": r.name,
                        "slug": r.slug,
                        "permissions": _rules(r.permissions, f"{where}.roles[{i}]"),
                    }
                    for i, r in enumerate(spec.roles)
                ],
                "environments": [
                    {"name": e.name, "slug": e.slug, "position": e.position or pos}
                    for pos, e in enumerate(envs, start=1)
                ],
            },
        )


async def load_seed(session: AsyncSession, seed: s.SeedFile) -> dict[str, int]:
    """Load ``seed`` in the caller's transaction (the caller commits or rolls back)."""
    return await SeedLoader(session).load(seed)

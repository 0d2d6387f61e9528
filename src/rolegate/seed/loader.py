"""Load a seed file into the store, idempotently, in one transaction.

Rows are matched by id when the file gives one, else by their natural key inside the org
(slug, email, name), and updated in place; nothing the file does not name is deleted.
Every reference (a group member, a project role) is resolved before it is used, and any
problem raises :class:`SeedError` naming the entry: the transaction then writes nothing.

An org loads in dependency order: its own entries (``organization``), then its projects
and templates (``projects``), which refer to them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings, get_settings, resolve_secret_hash_key
from rolegate.rbac.models import Group, Identity, Organization, Role, User
from rolegate.rbac.secrets import SecretHasher
from rolegate.seed import organization, projects
from rolegate.seed import schema as s
from rolegate.seed.reading import SeedError, parse_seed, read_seed_file
from rolegate.seed.store import SeedStore

__all__ = ["SeedError", "SeedLoader", "load_seed", "parse_seed", "read_seed_file"]


class SeedLoader:
    def __init__(
        self, session: AsyncSession, secrets: SecretHasher, now: dt.datetime | None = None
    ) -> None:
        self.store = SeedStore(session, secrets, now)

    async def load(self, seed: s.SeedFile) -> dict[str, int]:
        for index, org in enumerate(seed.organizations):
            await self._load_org(org, f"organizations[{index}]")
        await self.store.session.flush()
        return self.store.counts

    async def _load_org(self, spec: s.SeedOrganization, where: str) -> None:
        store = self.store
        org = await store.upsert(Organization, spec.id, {"slug": spec.slug}, {"name": spec.name})
        users: dict[str, User] = {}
        for i, u in enumerate(spec.users):
            users[u.email] = await organization.load_user(store, org, u, f"{where}.users[{i}]")
        identities: dict[str, Identity] = {}
        for i, ident in enumerate(spec.identities):
            identities[ident.name] = await organization.load_identity(
                store, org, ident, f"{where}.identities[{i}]"
            )
        custom_roles: dict[str, Role] = {}
        for i, cr in enumerate(spec.custom_roles):
            custom_roles[cr.name] = await organization.load_custom_role(
                store, org, cr, f"{where}.custom_roles[{i}]"
            )
        for sd in spec.service_definitions:
            await organization.load_service(store, org, sd)
        groups: dict[str, Group] = {}
        for i, g in enumerate(spec.groups):
            groups[g.slug] = await organization.load_group(
                store, org, g, users, custom_roles, f"{where}.groups[{i}]"
            )
        for i, p in enumerate(spec.projects):
            await projects.load_project(
                store, org, p, users, identities, groups, f"{where}.projects[{i}]"
            )
        for i, t in enumerate(spec.project_templates):
            await projects.load_template(store, org, t, f"{where}.project_templates[{i}]")


async def load_seed(
    session: AsyncSession, seed: s.SeedFile, settings: Settings | None = None
) -> dict[str, int]:
    """Load ``seed`` in the caller's transaction (the caller commits or rolls back).

    ``settings`` give the key client secrets are hashed with (default: the environment's),
    which must be the serving process's.
    """
    key = resolve_secret_hash_key(settings or get_settings())
    return await SeedLoader(session, SecretHasher(key=key)).load(seed)

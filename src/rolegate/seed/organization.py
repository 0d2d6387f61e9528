"""An org's own entries of a seed file: users, identities, custom roles, services, groups."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.models import (
    CspApiToken,
    Group,
    GroupMember,
    Identity,
    Organization,
    Role,
    ServiceDefinition,
    SessionToken,
    UniversalAuthCredential,
    User,
)
from rolegate.seed import schema as s
from rolegate.seed.reading import SeedError
from rolegate.seed.store import SeedStore
from rolegate.seed.values import rules


async def load_user(store: SeedStore, org: Organization, u: s.SeedUser, where: str) -> User:
    user = await store.upsert(
        User,
        u.id,
        {"org_id": org.id, "email": u.email},
        {"profile": u.profile, "attributes": u.attributes},
    )
    for name in u.org_roles:
        if name not in ORG_ROLES:
            raise SeedError(f"{where}.org_roles: unknown organization role '{name}'")
        await store.ensure_org_assignment(org, "organization", name, None, user_id=user.id)
    for token in u.csp_api_tokens:
        await store.ensure_token(CspApiToken, user, token)
    for token in u.session_tokens:
        await store.ensure_token(SessionToken, user, token)
    return user


async def load_identity(
    store: SeedStore, org: Organization, spec: s.SeedIdentity, where: str
) -> Identity:
    session = store.session
    identity = await store.upsert(
        Identity, spec.id, {"org_id": org.id, "name": spec.name}, {"org_role": spec.org_role}
    )
    ua = spec.universal_auth
    if ua is not None:
        current = (
            await session.execute(
                select(UniversalAuthCredential).where(
                    UniversalAuthCredential.client_id == ua.client_id
                )
            )
        ).scalar_one_or_none()
        if current is not None and current.identity_id != identity.id:
            raise SeedError(
                f"{where}.universal_auth.client_id: '{ua.client_id}' belongs to another identity"
            )
        existing = (
            current
            or (
                await session.execute(
                    select(UniversalAuthCredential).where(
                        UniversalAuthCredential.identity_id == identity.id
                    )
                )
            ).scalar_one_or_none()
        )
        if existing is None:
            existing = UniversalAuthCredential(id=uuid.uuid4(), identity_id=identity.id)
            session.add(existing)
        existing.client_id = ua.client_id
        # Re-hashing on every load would churn the row; keep a hash that still matches,
        # unless the scheme would now store another kind for this secret.
        verdict = store.secrets.verify(existing.client_secret_hash or None, ua.client_secret)
        if not verdict.ok or verdict.rehash:
            existing.client_secret_hash = store.secrets.hash(ua.client_secret)
        existing.access_token_ttl = ua.access_token_ttl
        existing.access_token_max_ttl = ua.access_token_max_ttl
        await session.flush()
    return identity


async def load_custom_role(
    store: SeedStore, org: Organization, spec: s.SeedCustomRole, where: str
) -> Role:
    return await store.upsert(
        Role,
        None,
        {"org_id": org.id, "scope": "org", "name": spec.name},
        {
            "slug": spec.name,
            "description": spec.description,
            "permissions": rules(spec.permissions, where),
        },
    )


async def load_service(store: SeedStore, org: Organization, spec: s.SeedServiceDefinition) -> None:
    service = await store.upsert(
        ServiceDefinition, spec.id, {"org_id": org.id, "name": spec.name}, {}
    )
    for name in spec.roles:
        await store.upsert(
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


async def load_group(
    store: SeedStore,
    org: Organization,
    spec: s.SeedGroup,
    users: dict[str, User],
    custom_roles: dict[str, Role],
    where: str,
) -> Group:
    group = await store.upsert(
        Group,
        spec.id,
        {"org_id": org.id, "slug": spec.slug},
        {"name": spec.name, "description": spec.description},
    )
    for email in spec.members:
        user = users.get(email) or await store.find(User, None, org_id=org.id, email=email)
        if user is None:
            raise SeedError(f"{where}.members: unknown user '{email}' in this organization")
        await store.session.execute(
            pg_insert(GroupMember)
            .values(group_id=group.id, user_id=user.id)
            .on_conflict_do_nothing()
        )
    for name in spec.org_roles:
        if name not in ORG_ROLES:
            raise SeedError(f"{where}.org_roles: unknown organization role '{name}'")
        await store.ensure_org_assignment(org, "organization", name, None, group_id=group.id)
    for name in spec.custom_roles:
        role = custom_roles.get(name) or await store.find(
            Role, None, org_id=org.id, scope="org", name=name
        )
        if role is None:
            raise SeedError(f"{where}.custom_roles: unknown custom role '{name}'")
        await store.ensure_org_assignment(org, "custom", "custom", role, group_id=group.id)
    return group

"""An org's ctrl-hub service accounts from a seed file (``service_accounts:``)."""

from __future__ import annotations

from sqlalchemy import select

from rolegate.rbac.ctrlhub import service_accounts
from rolegate.rbac.models import Organization, ServiceAccount
from rolegate.seed import schema as s
from rolegate.seed.reading import SeedError
from rolegate.seed.store import SeedStore


async def load_service_account(
    store: SeedStore, org: Organization, spec: s.SeedServiceAccount, where: str
) -> ServiceAccount:
    unknown = service_accounts.unknown_org_roles(spec.org_roles)
    if unknown:
        raise SeedError(f"{where}.org_roles: unknown organization role '{unknown[0]}'")
    credentials = spec.client_credentials
    holder = (
        await store.session.execute(
            select(ServiceAccount).where(ServiceAccount.client_id == credentials.client_id)
        )
    ).scalar_one_or_none()
    current = await store.find(ServiceAccount, spec.id, org_id=org.id, name=spec.name)
    if holder is not None and (current is None or holder.id != current.id):
        raise SeedError(
            f"{where}.client_credentials.client_id: '{credentials.client_id}'"
            " belongs to another service account"
        )
    # Re-hashing on every load would churn the row; keep a hash that still matches (and
    # is still the kind this secret gets).
    verdict = (
        store.secrets.verify(current.client_secret_hash, credentials.client_secret)
        if current is not None
        else None
    )
    secret_hash = (
        current.client_secret_hash
        if current is not None and verdict is not None and verdict.ok and not verdict.rehash
        else store.secrets.hash(credentials.client_secret)
    )
    return await store.upsert(
        ServiceAccount,
        spec.id,
        {"org_id": org.id, "name": spec.name},
        {
            "description": spec.description,
            "enabled": spec.enabled,
            "org_roles": list(dict.fromkeys(spec.org_roles)),
            "client_id": credentials.client_id,
            "client_secret_hash": secret_hash,
        },
    )

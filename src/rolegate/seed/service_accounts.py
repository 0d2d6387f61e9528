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
    # Re-hashing on every load would churn the row; keep a hash that still matches.
    secret_hash = (
        current.client_secret_hash
        if current is not None
        and service_accounts.secret_matches(current.client_secret_hash, credentials.client_secret)
        else service_accounts.hash_secret(credentials.client_secret)
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

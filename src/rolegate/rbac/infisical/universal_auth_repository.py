"""SQL for universal auth: a machine identity's client credential."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import Identity, UniversalAuthCredential


async def credential_by_client_id(
    session: AsyncSession, client_id: str
) -> tuple[UniversalAuthCredential | None, Identity | None]:
    """The credential with ``client_id`` and its identity; ``(None, None)`` when unknown."""
    stmt = (
        select(UniversalAuthCredential, Identity)
        .join(Identity, Identity.id == UniversalAuthCredential.identity_id)
        .where(UniversalAuthCredential.client_id == client_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else (None, None)


async def identity_with_credential(
    session: AsyncSession, identity_id: uuid.UUID
) -> tuple[Identity, UniversalAuthCredential | None] | None:
    """An identity and its universal-auth credential, if it has one."""
    stmt = (
        select(Identity, UniversalAuthCredential)
        .outerjoin(UniversalAuthCredential, UniversalAuthCredential.identity_id == Identity.id)
        .where(Identity.id == identity_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None

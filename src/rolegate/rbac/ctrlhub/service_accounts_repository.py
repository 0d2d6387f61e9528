"""SQL for ctrl-hub service accounts: by client id, and behind a live access token."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AccessToken, Organization, ServiceAccount


async def by_client_id(session: AsyncSession, client_id: str) -> ServiceAccount | None:
    stmt = select(ServiceAccount).where(ServiceAccount.client_id == client_id)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class LiveAccount:
    account: ServiceAccount
    org_found: bool  # the org the request names exists (False when it names none)


async def live_account(
    session: AsyncSession,
    *,
    token_id: uuid.UUID,
    account_id: uuid.UUID,
    surface: str,
    org_id: uuid.UUID | None,
    now: dt.datetime,
) -> LiveAccount | None:
    """The enabled account behind a live (unrevoked, unexpired) token, in one statement,
    with whether the path's org exists; None when the token or the account is not live."""
    stmt = (
        select(ServiceAccount, Organization.id)
        .select_from(AccessToken)
        .join(ServiceAccount, ServiceAccount.id == AccessToken.principal_id)
        .outerjoin(Organization, Organization.id == org_id)
        .where(
            AccessToken.id == token_id,
            AccessToken.surface == surface,
            AccessToken.principal_id == account_id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
            ServiceAccount.enabled.is_(True),
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    return LiveAccount(account=row[0], org_found=row[1] is not None)

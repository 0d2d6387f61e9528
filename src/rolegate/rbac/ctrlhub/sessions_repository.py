"""SQL for ctrl-hub's auth: the session token, its user and the user's org authority.

Every ctrl-hub request used to spend three round trips before it touched its target: the
token check, the org lookup and the user's grant rows. Here they are one statement (run
directly on asyncpg, see rolegate/db_direct.py): the live token joined to its user, the
path's org, and, laterally, the user's grant rows in that org
(:func:`org_grants_repository.grant_rows_query`, the query every org authority check uses).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db_direct import DirectStatement
from rolegate.rbac.models import Organization, SessionToken, User
from rolegate.rbac.org_grants_repository import GrantRow, UserRow, grant_row, grant_rows_query


@dataclass(frozen=True, slots=True)
class LiveSession:
    token_id: uuid.UUID
    user: UserRow
    org_found: bool  # the org asked for exists (False when none was asked for)
    grants: list[GrantRow]  # the user's grant rows in that org (none when not its org)


_tokens = cast(Table, SessionToken.__table__)
_users = cast(Table, User.__table__)
_orgs = cast(Table, Organization.__table__)
_org_id = bindparam("org_id", type_=UUID(as_uuid=True))
_grants = grant_rows_query(
    org_id=_org_id, now=bindparam("now"), users=lambda column: column == _users.c.id
).lateral("grants")

_LIVE_SESSION = DirectStatement(
    select(
        _tokens.c.id.label("token_id"),
        _users.c.id,
        _users.c.org_id,
        _users.c.email,
        _users.c.profile,
        _users.c.attributes,
        _orgs.c.id.label("found_org_id"),
        _grants.c.user_id,
        _grants.c.kind,
        _grants.c.role_key,
        _grants.c.role_name,
        _grants.c.condition,
    )
    .select_from(_tokens)
    .join(_users, _users.c.id == _tokens.c.user_id)
    .outerjoin(_orgs, _orgs.c.id == _org_id)
    # Grants only count in the user's own org: another org's admin gets a 403 either way.
    .outerjoin(_grants, _users.c.org_id == _org_id)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        or_(_tokens.c.expires_at.is_(None), _tokens.c.expires_at > bindparam("now")),
    )
)


async def live_session(
    session: AsyncSession, token_hash: bytes, org_id: uuid.UUID | None, now: dt.datetime
) -> LiveSession | None:
    """The live token's user, whether ``org_id`` exists and the user's grant rows there.

    None when the token is unknown or expired.
    """
    params: dict[str, Any] = {"token_hash": token_hash, "org_id": org_id, "now": now}
    rows = await _LIVE_SESSION.fetch(session, params)
    if not rows:
        return None
    first = rows[0]
    user = UserRow(
        id=first["id"],
        org_id=first["org_id"],
        email=first["email"],
        profile=first["profile"],
        attributes=first["attributes"],
    )
    return LiveSession(
        token_id=first["token_id"],
        user=user,
        org_found=first["found_org_id"] is not None,
        grants=[grant_row(row) for row in rows if row["user_id"] is not None],
    )


async def live_token(
    session: AsyncSession, digest: bytes, now: dt.datetime
) -> tuple[SessionToken, User] | None:
    """The unexpired session token with this digest, and its user."""
    stmt = (
        select(SessionToken, User)
        .join(User, User.id == SessionToken.user_id)
        .where(
            SessionToken.token_hash == digest,
            or_(SessionToken.expires_at.is_(None), SessionToken.expires_at > now),
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


async def users_by_email(session: AsyncSession, email: str, org: str | None) -> list[User]:
    """Users with ``email``, in the organization ``org`` (an id or a slug) when given."""
    stmt = (
        select(User).join(Organization, Organization.id == User.org_id).where(User.email == email)
    )
    if org is not None:
        try:
            stmt = stmt.where(Organization.id == uuid.UUID(org))
        except ValueError:
            stmt = stmt.where(Organization.slug == org)
    return list((await session.execute(stmt)).scalars())


async def insert_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    digest: bytes,
    expires_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    session.add(
        SessionToken(
            id=uuid.uuid4(),
            user_id=user_id,
            token_hash=digest,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()

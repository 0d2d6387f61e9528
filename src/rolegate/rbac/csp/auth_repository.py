"""SQL for "who presents this CSP access token", in one statement.

The token check, the user and, for writes that need it, the user's org-level role rows
(what ``org_grants`` decides authority from) used to take five round trips, reading the
user row twice. Here they are one prebuilt statement run through ``DirectStatement``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from rolegate.db_direct import DirectStatement
from rolegate.rbac.models import (
    AccessToken,
    GroupMember,
    Organization,
    Role,
    RoleAssignment,
    User,
)
from rolegate.rbac.org_grants_repository import GrantRow, grant_rows_query

_tokens = cast(Table, AccessToken.__table__)
_users = cast(Table, User.__table__)
_orgs = cast(Table, Organization.__table__)
_ra = cast(Table, RoleAssignment.__table__)
_gm = cast(Table, GroupMember.__table__)
_roles = cast(Table, Role.__table__)


@dataclass(frozen=True, slots=True)
class TokenUser:
    """A live token's user; ``id`` is None when the user no longer exists."""

    id: uuid.UUID | None
    org_id: uuid.UUID | None
    org_name: str | None
    email: str | None
    attributes: dict[str, Any]
    profile: dict[str, Any]
    grants: list[GrantRow]  # empty unless asked for


def _grant_rows(user: Any) -> Any:
    """The user's org-level role rows in its own org (direct, or through a group): the
    query every org authority check uses, as a LATERAL subquery of the user row."""
    return grant_rows_query(
        org_id=user.c.org_id, now=bindparam("now"), users=lambda column: column == user.c.id
    ).lateral("grants")


def _token_user_query(with_grants: bool) -> ClauseElement:
    user = _users
    stmt: Any = (
        select(
            user.c.id,
            user.c.org_id,
            _orgs.c.name.label("org_name"),
            user.c.email,
            user.c.attributes,
            user.c.profile,
        )
        .select_from(_tokens)
        # Outer joins: a live token whose user is gone is told apart from a dead token.
        .outerjoin(user, user.c.id == bindparam("user_id"))
        .outerjoin(_orgs, _orgs.c.id == user.c.org_id)
        .where(
            _tokens.c.id == bindparam("token_id"),
            _tokens.c.surface == bindparam("surface"),
            _tokens.c.revoked_at.is_(None),
            _tokens.c.expires_at > bindparam("now"),
        )
    )
    if with_grants:
        grants = _grant_rows(user)
        stmt = stmt.add_columns(
            grants.c.kind.label("grant_kind"),
            grants.c.role_key.label("grant_role_key"),
            grants.c.role_name.label("grant_role_name"),
            grants.c.condition.label("grant_condition"),
        ).outerjoin(grants, true())
    query: ClauseElement = stmt
    return query


_TOKEN_USER = {shape: DirectStatement(_token_user_query(shape)) for shape in (False, True)}


async def token_user(
    session: AsyncSession,
    *,
    token_id: uuid.UUID,
    user_id: uuid.UUID,
    surface: str,
    now: dt.datetime,
    with_grants: bool,
) -> TokenUser | None:
    """The token's user if the token is live (with its org-level role rows if asked).

    None when the token is revoked, expired or unknown.
    """
    params = {"token_id": token_id, "user_id": user_id, "surface": surface, "now": now}
    rows = await _TOKEN_USER[with_grants].fetch(session, params)
    if not rows:
        return None
    first = rows[0]
    grants = (
        [
            GrantRow(
                user_id=row["id"],
                kind=row["grant_kind"],
                role_key=row["grant_role_key"],
                role_name=row["grant_role_name"],
                condition=row["grant_condition"],
            )
            for row in rows
            if row["grant_kind"] is not None
        ]
        if with_grants
        else []
    )
    return TokenUser(
        id=first["id"],
        org_id=first["org_id"],
        org_name=first["org_name"],
        email=first["email"],
        attributes=first["attributes"] or {},
        profile=first["profile"] or {},  # both None only when the user is gone
        grants=grants,
    )

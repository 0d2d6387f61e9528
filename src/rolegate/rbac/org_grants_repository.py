"""SQL for org grants: the org-level role assignments that reach users, on every surface.

One query shape (:func:`grant_rows_query`) serves every caller, whatever picks the users:
a list of ids (:func:`org_grant_rows`), the user a session token belongs to (the ctrl-hub
auth query) or the members of a group (endpoint E's read under the group lock).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    DateTime,
    String,
    any_,
    bindparam,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db_direct import DirectStatement
from rolegate.rbac.models import GroupMember, Role, RoleAssignment, User
from rolegate.rbac.windows import open_at_sql

BINDING = "binding"  # a ctrl-hub conditional binding (held by a group)
# Assignment kinds that give a role in the organization (not in a project or a service).
ORG_KINDS = ("organization", "custom", BINDING)


@dataclass(frozen=True, slots=True)
class GrantRow:
    """One org-level role assignment reaching a user, directly or through a group."""

    user_id: uuid.UUID
    kind: str
    role_key: str
    role_name: str | None  # the custom role's name when role_key == "custom"
    condition: dict[str, Any] | None


def grant_rows_query(
    *, org_id: Any, now: Any, users: Callable[[Any], ColumnElement[bool]]
) -> CompoundSelect[Any]:
    """Every org-level assignment active at ``now`` that reaches a user ``users`` picks.

    ``users(column)`` is the predicate on the user id column of each branch (the holder
    of a direct assignment, the member of a group). Columns: ``user_id``, ``kind``,
    ``role_key``, ``role_name``, ``condition``, and the assignment's ``group_id`` and
    ``surface`` (None and the holder's surface for a direct one). Bindings come with their
    condition; the caller evaluates it against the user.
    """
    ra, gm = RoleAssignment, GroupMember
    common = (
        ra.org_id == org_id,
        # ``= ANY(array)``, not ``IN (...)``: an expanding IN cannot be compiled once.
        ra.kind == any_(literal(list(ORG_KINDS), ARRAY(String))),
        open_at_sql(ra.starts_at, ra.ends_at, now),
    )
    columns = (
        ra.kind,
        ra.role_key,
        Role.name.label("role_name"),
        ra.condition,
        ra.group_id,
        ra.surface,
    )
    direct = (
        select(ra.user_id.label("user_id"), *columns)
        .outerjoin(Role, Role.id == ra.role_id)
        .where(users(ra.user_id), *common)
    )
    via_group = (
        select(gm.user_id.label("user_id"), *columns)
        .select_from(ra)
        .join(gm, gm.group_id == ra.group_id)
        .outerjoin(Role, Role.id == ra.role_id)
        .where(users(gm.user_id), *common)
    )
    return union_all(direct, via_group)


def grant_row(row: Any) -> GrantRow:
    """A row of :func:`grant_rows_query` (an ORM row or an asyncpg record) as a GrantRow."""
    return GrantRow(
        user_id=row["user_id"],
        kind=row["kind"],
        role_key=row["role_key"],
        role_name=row["role_name"],
        condition=row["condition"],
    )


# Built once: the users as ``= ANY(:user_ids)`` (an array), so one statement text serves
# any number of them, sent on asyncpg directly (every ctrl-hub group read and CSP org
# authority check runs it).
_GRANT_ROWS = DirectStatement(
    grant_rows_query(
        org_id=bindparam("org_id"),
        now=bindparam("now", type_=DateTime(timezone=True)),
        users=lambda column: column == any_(bindparam("user_ids", type_=ARRAY(PG_UUID))),
    )
)


async def org_grant_rows(
    session: AsyncSession, org_id: uuid.UUID, user_ids: Sequence[uuid.UUID], now: dt.datetime
) -> list[GrantRow]:
    """Every org-level assignment active now that reaches one of ``user_ids``, any surface."""
    if not user_ids:
        return []
    params = {"org_id": org_id, "now": now, "user_ids": list(user_ids)}
    return [grant_row(row) for row in await _GRANT_ROWS.fetch(session, params)]


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as grants and ctrl-hub documents read it (a plain row, not an ORM object)."""

    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    profile: dict[str, Any]
    attributes: dict[str, Any]


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def group_role_rows(
    session: AsyncSession, group_id: uuid.UUID, now: dt.datetime
) -> list[tuple[str, str | None]]:
    """(role_key, custom role name) of every org-level assignment the group holds, on any
    surface, that has not ended: active ones and those whose window opens later, and
    bindings whatever their condition says (a member's attributes can change)."""
    ra = RoleAssignment
    stmt = (
        select(ra.role_key, Role.name)
        .outerjoin(Role, Role.id == ra.role_id)
        .where(
            ra.group_id == group_id,
            ra.kind == any_(literal(list(ORG_KINDS), ARRAY(String))),
            (ra.ends_at.is_(None)) | (ra.ends_at > now),
        )
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]

"""SQL for endpoint E (PATCH a ctrl-hub role group): three statements, built once.

1. :func:`lock_group` locks the group row and resolves the custom roles the request names.
2. :func:`read_locked` reads, *after* the lock, what the write and the response need: the
   group's bindings (deleted and returned when the request replaces them), its members,
   and the members' grant rows. One statement, one row per item, told apart by ``part``.
   It must run after the lock, not inside the lock statement: a statement that waits for
   a row lock still reads every other table as of its start, i.e. without the bindings
   and members the writer it waited for committed.
3. :func:`write` inserts the new bindings (returning them as stored), updates the group
   row and writes the audit event: the last two as data-modifying CTEs of the insert.

Rows come back as plain dataclasses, not ORM objects (run on asyncpg directly, see
rolegate/db_direct.py): building and tracking ORM instances costs more than the query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.ctrlhub.groups_repository import BINDING, SURFACE
from rolegate.rbac.models import Group, GroupMember, Role, RoleAssignment, User
from rolegate.rbac.org_grants_repository import GrantRow, UserRow, grant_rows_query

_groups = cast(Table, Group.__table__)
_roles = cast(Table, Role.__table__)
_ra = cast(Table, RoleAssignment.__table__)
_gm = cast(Table, GroupMember.__table__)
_users = cast(Table, User.__table__)
_UUID = UUID(as_uuid=True)
_TIMESTAMP = DateTime(timezone=True)


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class CustomRole:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class LockedGroup:
    group: GroupRow
    custom_roles: dict[str, CustomRole]  # the org's custom roles among the names asked for


_LOCK_GROUP = DirectStatement(
    select(
        _groups.c.id,
        _groups.c.org_id,
        _groups.c.name,
        _groups.c.description,
        _roles.c.id.label("role_id"),
        _roles.c.name.label("role_name"),
    )
    .select_from(_groups)
    .outerjoin(
        _roles,
        and_(
            _roles.c.scope == "org",
            _roles.c.org_id == _groups.c.org_id,
            _roles.c.name == any_(bindparam("role_names", type_=ARRAY(String))),
        ),
    )
    .where(_groups.c.id == bindparam("group_id"), _groups.c.org_id == bindparam("org_id"))
    .with_for_update(of=_groups)
)


async def lock_group(
    session: AsyncSession, group_id: uuid.UUID, org_id: uuid.UUID, role_names: list[str]
) -> LockedGroup | None:
    """The group row of ``org_id``, locked until the transaction ends, and the org's custom
    roles named ``role_names``. None when the group is not in the org.

    Roles are not locked (``FOR UPDATE OF`` the group only): a role is read as of the
    statement, as the separate lookup this replaces read it.
    """
    params = {"group_id": group_id, "org_id": org_id, "role_names": role_names}
    rows = await _LOCK_GROUP.fetch(session, params)
    if not rows:
        return None
    first = rows[0]
    return LockedGroup(
        group=GroupRow(first["id"], first["org_id"], first["name"], first["description"]),
        custom_roles={
            row["role_name"]: CustomRole(row["role_id"], row["role_name"])
            for row in rows
            if row["role_id"] is not None
        },
    )


# --- the read under the lock ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredBinding:
    id: uuid.UUID
    role_key: str
    role_name: str | None  # the custom role's name when role_key == "custom"
    condition: dict[str, Any] | None
    created_by: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LockedState:
    bindings: list[StoredBinding]  # in their order (deleted, when the request replaces them)
    members: list[UserRow]  # by email
    grants: list[GrantRow]  # the members' grant rows, except through this group's bindings
    own_grants: list[GrantRow]  # the members' grant rows through this group's bindings


def _own_bindings(group_id: Any, surface: Any, kind: Any) -> ColumnElement[bool]:
    """This surface's bindings of the group: what a PATCH replaces (CSP rows stay)."""
    return and_(group_id == bindparam("group_id"), surface == SURFACE, kind == BINDING)


_BINDING_COLUMNS = (
    _ra.c.id,
    _ra.c.role_key,
    _ra.c.role_id,
    _ra.c.condition,
    _ra.c.position,
    _ra.c.created_by,
    _ra.c.created_at,
)
# The columns of the read: each part fills its own, the others are typed NULLs.
_COLUMNS: dict[str, Any] = {
    "id": _UUID,  # the binding's id; the user's id for a member or a grant row
    "role_key": String,
    "role_name": String,
    "condition": JSONB,
    "position": Integer,
    "created_by": String,
    "created_at": _TIMESTAMP,
    "email": String,
    "org_id": _UUID,
    "profile": JSONB,
    "attributes": JSONB,
    "kind": String,
    "own": Boolean,
}
_ORDER = ("part", "position", "created_at", "email", "id")


def _part(part: str, **columns: Any) -> list[Any]:
    return [
        literal_column(f"'{part}'").label("part"),
        *(
            (columns[name] if name in columns else sql_cast(null(), type_)).label(name)
            for name, type_ in _COLUMNS.items()
        ),
    ]


def _read_locked(replace: bool) -> DirectStatement:
    own = _own_bindings(_ra.c.group_id, _ra.c.surface, _ra.c.kind)
    bindings = (
        delete(_ra).where(own).returning(*_BINDING_COLUMNS)
        if replace
        else select(*_BINDING_COLUMNS).where(own)
    ).cte("bindings")
    members = select(_gm.c.user_id).where(_gm.c.group_id == bindparam("group_id"))
    grants = grant_rows_query(
        org_id=bindparam("org_id", type_=_UUID),
        now=bindparam("now", type_=_TIMESTAMP),
        users=lambda column: column.in_(members),
    ).subquery("grants")
    binding_part = select(
        *_part(
            "binding",
            id=bindings.c.id,
            role_key=bindings.c.role_key,
            role_name=_roles.c.name,
            condition=bindings.c.condition,
            position=bindings.c.position,
            created_by=bindings.c.created_by,
            created_at=bindings.c.created_at,
        )
    ).select_from(bindings.outerjoin(_roles, _roles.c.id == bindings.c.role_id))
    member_part = (
        select(
            *_part(
                "member",
                id=_users.c.id,
                email=_users.c.email,
                org_id=_users.c.org_id,
                profile=_users.c.profile,
                attributes=_users.c.attributes,
            )
        )
        .select_from(_gm.join(_users, _users.c.id == _gm.c.user_id))
        .where(_gm.c.group_id == bindparam("group_id"))
    )
    grant_part = select(
        *_part(
            "grant",
            id=grants.c.user_id,
            role_key=grants.c.role_key,
            role_name=grants.c.role_name,
            condition=grants.c.condition,
            kind=grants.c.kind,
            own=_own_bindings(grants.c.group_id, grants.c.surface, grants.c.kind),
        )
    )
    return DirectStatement(
        union_all(binding_part, member_part, grant_part).order_by(
            *(literal_column(name) for name in _ORDER)
        )
    )


# Keyed by "does the request replace the bindings".
_READ_LOCKED = {replace: _read_locked(replace) for replace in (False, True)}


async def read_locked(
    session: AsyncSession,
    group_id: uuid.UUID,
    org_id: uuid.UUID,
    *,
    replace_bindings: bool,
    now: dt.datetime,
) -> LockedState:
    """The locked group's bindings, members and the members' grant rows now.

    With ``replace_bindings`` the bindings are deleted as they are read (``DELETE …
    RETURNING``); the members' grant rows are still read as they were before (one
    statement sees one snapshot), which :attr:`LockedState.own_grants` sets apart.
    """
    params = {"group_id": group_id, "org_id": org_id, "now": now}
    rows = await _READ_LOCKED[replace_bindings].fetch(session, params)
    state = LockedState(bindings=[], members=[], grants=[], own_grants=[])
    for row in rows:
        part = row["part"]
        if part == "binding":
            state.bindings.append(
                StoredBinding(
                    id=row["id"],
                    role_key=row["role_key"],
                    role_name=row["role_name"],
                    condition=row["condition"],
                    created_by=row["created_by"],
                    created_at=row["created_at"],
                )
            )
        elif part == "member":
            state.members.append(
                UserRow(
                    id=row["id"],
                    org_id=row["org_id"],
                    email=row["email"],
                    profile=row["profile"],
                    attributes=row["attributes"],
                )
            )
        else:
            grant = GrantRow(
                user_id=row["id"],
                kind=row["kind"],
                role_key=row["role_key"],
                role_name=row["role_name"],
                condition=row["condition"],
            )
            (state.own_grants if row["own"] else state.grants).append(grant)
    return state


# --- the write -----------------------------------------------------------------------

# One row per binding, passed as parallel arrays: the statement text is the same for any
# number of bindings (one prepared statement).
_ARRAYS: dict[str, Any] = {
    "id": _UUID,
    "role_key": String,
    "role_id": _UUID,
    "condition": JSONB,
    "position": Integer,
    "created_by": String,
    "created_at": _TIMESTAMP,
}
_requested = (
    func.unnest(*(bindparam(f"{name}s", type_=ARRAY(type_)) for name, type_ in _ARRAYS.items()))
    .table_valued(*_ARRAYS)
    .render_derived(name="requested")
)
_new = (
    insert(_ra)
    .from_select(
        [
            *_ARRAYS,
            "org_id",
            "surface",
            "kind",
            "group_id",
            "is_temporary",
            "updated_by",
            "updated_at",
        ],
        select(
            *(_requested.c[name] for name in _ARRAYS),
            bindparam("org_id", type_=_UUID),
            literal(SURFACE),
            literal(BINDING),
            bindparam("group_id", type_=_UUID),
            literal(False),
            bindparam("actor", type_=String),
            bindparam("now", type_=_TIMESTAMP),
        ).select_from(_requested),
    )
    .returning(_ra.c.id, _ra.c.role_key, _ra.c.role_id, _ra.c.condition, _ra.c.position)
    .cte("new")
)
_touch = (
    update(_groups)
    .where(_groups.c.id == bindparam("group_id"))
    .values(
        name=bindparam("group_name"),
        description=bindparam("group_description"),
        # ctrl-hub names need not be unique: a rename gives up the claim a CSP-created
        # group has on its name (models.Group.unique_name), so it never conflicts.
        unique_name=and_(_groups.c.unique_name, _groups.c.name == bindparam("group_name")),
        updated_at=bindparam("now"),
    )
    .cte("touch")
)
_WRITE = DirectStatement(
    select(_new.c.id, _new.c.role_key, _new.c.role_id, _new.c.condition)
    .add_cte(_touch, repository.AUDIT_INSERT.cte("audit"))
    .order_by(_new.c.position)
)


@dataclass(frozen=True, slots=True)
class InsertedBinding:
    id: uuid.UUID
    role_key: str
    role_id: uuid.UUID | None
    condition: dict[str, Any] | None


async def write(
    session: AsyncSession,
    *,
    group: GroupRow,
    bindings: list[dict[str, Any]],
    actor: str,
    now: dt.datetime,
    audit: dict[str, Any],
) -> list[InsertedBinding]:
    """Insert ``bindings`` (none: keep the current ones), store the group's name and
    description, touch it and write the audit event (:func:`repository.audit_params`), in
    one statement; the inserted bindings as stored, in order."""
    params: dict[str, Any] = {f"{name}s": [row[name] for row in bindings] for name in _ARRAYS}
    params |= {
        "org_id": group.org_id,
        "group_id": group.id,
        "group_name": group.name,
        "group_description": group.description,
        "actor": actor,
        "now": now,
    }
    params |= audit
    return [InsertedBinding(*row) for row in await _WRITE.fetch(session, params)]

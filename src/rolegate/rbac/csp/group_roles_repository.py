"""SQL of endpoint D's hot path: the group lock, the group's CSP rows, and the write.

Three prebuilt Core statements run through ``DirectStatement`` (plain rows, no ORM):

- the lock takes the group's row lock and resolves the custom and service role names the
  request uses, in one statement;
- the group's CSP rows are read by a statement of their own, sent after the lock is held:
  a statement reads as of its start, so rows read by the lock statement itself could miss
  a change committed by the writer it waited for;
- the write deletes, updates and inserts role rows, touches the group and writes the audit
  event (and the notification outbox rows) as data-modifying CTEs of one statement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    String,
    Table,
    Text,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.models import (
    Group,
    GroupMember,
    NotificationOutbox,
    Role,
    RoleAssignment,
    ServiceDefinition,
    User,
)

SURFACE = "csp"
CSP_KINDS = ("organization", "custom", "service")

_groups = cast(Table, Group.__table__)
_gm = cast(Table, GroupMember.__table__)
_users = cast(Table, User.__table__)
_roles = cast(Table, Role.__table__)
_sds = cast(Table, ServiceDefinition.__table__)
_ra = cast(Table, RoleAssignment.__table__)
_outbox = cast(Table, NotificationOutbox.__table__)
_UUIDS = ARRAY(UUID(as_uuid=True))


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    """One CSP role row of a group, with its role's name (custom and service rows)."""

    id: uuid.UUID
    kind: str
    role_key: str
    role_name: str | None
    service_definition_id: uuid.UUID | None
    resource: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime
    updated_by: str | None
    updated_at: dt.datetime


# --- the group's rows --------------------------------------------------------------------

_ROW_COLUMNS = tuple(f.name for f in fields(AssignmentRow))
_ROWS = DirectStatement(
    select(*(_roles.c.name.label(n) if n == "role_name" else _ra.c[n] for n in _ROW_COLUMNS))
    .select_from(_ra.outerjoin(_roles, _roles.c.id == _ra.c.role_id))
    .where(
        _ra.c.group_id == bindparam("group_id"),
        _ra.c.surface == SURFACE,
        _ra.c.kind == any_(literal(list(CSP_KINDS), ARRAY(String))),
    )
    .order_by(_ra.c.kind, _ra.c.created_at, _ra.c.id)
)


async def group_rows(session: AsyncSession, group_id: uuid.UUID) -> list[AssignmentRow]:
    """Every CSP row of the group (expired ones too), in the order a GET lists them."""
    rows = await _ROWS.fetch(session, {"group_id": group_id})
    return [AssignmentRow(*row) for row in rows]


# --- the lock, with the role catalogue the request names --------------------------------


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The org's custom roles and service definitions (with their roles) a request names."""

    custom: dict[str, uuid.UUID]  # custom role name -> role id
    services: set[uuid.UUID]  # service definitions of the org
    service_roles: dict[tuple[uuid.UUID, str], uuid.UUID]  # (definition, name) -> role id


@dataclass(frozen=True, slots=True)
class LockedGroup:
    id: uuid.UUID
    name: str
    catalogue: Catalogue


def _lock_query() -> ClauseElement:
    locked = (
        select(_groups.c.id, _groups.c.name)
        .where(_groups.c.id == bindparam("group_id"), _groups.c.org_id == bindparam("org_id"))
        .with_for_update()
        .cte("locked")
    )
    custom_names = bindparam("custom_names", type_=ARRAY(String))
    service_ids = bindparam("service_ids", type_=_UUIDS)
    org_services = select(_sds.c.id).where(
        _sds.c.org_id == bindparam("org_id"), _sds.c.id == any_(service_ids)
    )
    no_uuid = null().cast(UUID(as_uuid=True))
    query: ClauseElement = union_all(
        select(literal("group").label("what"), locked.c.id, locked.c.name, no_uuid.label("sd")),
        select(literal("custom"), _roles.c.id, _roles.c.name, no_uuid).where(
            _roles.c.org_id == bindparam("org_id"),
            _roles.c.scope == "org",
            _roles.c.name == any_(custom_names),
        ),
        select(literal("service_definition"), _sds.c.id, null().cast(Text), _sds.c.id).where(
            _sds.c.org_id == bindparam("org_id"), _sds.c.id == any_(service_ids)
        ),
        select(
            literal("service"), _roles.c.id, _roles.c.name, _roles.c.service_definition_id
        ).where(_roles.c.scope == "service", _roles.c.service_definition_id.in_(org_services)),
    )
    return query


_LOCK = DirectStatement(_lock_query())


async def lock_group(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    custom_names: Sequence[str],
    service_ids: Sequence[uuid.UUID],
) -> LockedGroup | None:
    """The group, row-locked until the transaction ends (concurrent PATCHes serialize
    here), and the roles the request names; None when the org has no such group."""
    params = {
        "org_id": org_id,
        "group_id": group_id,
        "custom_names": sorted(set(custom_names)),
        "service_ids": sorted(set(service_ids)),
    }
    rows = await _LOCK.fetch(session, params)
    group = next((row for row in rows if row["what"] == "group"), None)
    if group is None:
        return None
    catalogue = Catalogue(
        custom={row["name"]: row["id"] for row in rows if row["what"] == "custom"},
        services={row["id"] for row in rows if row["what"] == "service_definition"},
        service_roles={
            (row["sd"], row["name"]): row["id"] for row in rows if row["what"] == "service"
        },
    )
    return LockedGroup(id=group["id"], name=group["name"], catalogue=catalogue)


# --- the write ---------------------------------------------------------------------------

# Inserted rows as parallel arrays (one prepared statement for any number of rows).
_INSERTED: dict[str, Any] = {
    "id": UUID(as_uuid=True),
    "kind": String,
    "role_key": String,
    "role_id": UUID(as_uuid=True),
    "service_definition_id": UUID(as_uuid=True),
    "resource": Text,
    "ends_at": DateTime(timezone=True),
}
# Updated rows: a column changes only where its "set_" flag is true.
_UPDATED: dict[str, Any] = {
    "id": UUID(as_uuid=True),
    "set_ends_at": Boolean,
    "ends_at": DateTime(timezone=True),
    "set_resource": Boolean,
    "resource": Text,
}


def _unnest(prefix: str, columns: dict[str, Any], name: str) -> Any:
    return (
        func.unnest(*(bindparam(f"{prefix}_{c}", type_=ARRAY(t)) for c, t in columns.items()))
        .table_valued(*columns)
        .render_derived(name=name)
    )


def _write_query(notify: bool) -> ClauseElement:
    actor = bindparam("actor", type_=String)
    now = bindparam("now", type_=DateTime(timezone=True))
    group_id = bindparam("group_id", type_=UUID(as_uuid=True))
    deleted = delete(_ra).where(_ra.c.id == any_(bindparam("delete_ids", type_=_UUIDS)))
    changes = _unnest("upd", _UPDATED, "changes")
    updated = (
        update(_ra)
        .where(_ra.c.id == changes.c.id)
        .values(
            ends_at=case((changes.c.set_ends_at, changes.c.ends_at), else_=_ra.c.ends_at),
            resource=case((changes.c.set_resource, changes.c.resource), else_=_ra.c.resource),
            updated_by=actor,
            updated_at=now,
        )
    )
    new = _unnest("ins", _INSERTED, "new")
    inserted = insert(_ra).from_select(
        [
            *_INSERTED,
            "org_id",
            "surface",
            "group_id",
            "starts_at",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
            # Columns with Python-side defaults: named, or Core would add them as
            # parameters that ``DirectStatement`` has no value for.
            "is_temporary",
            "position",
        ],
        select(
            *(new.c[c] for c in _INSERTED),
            bindparam("org_id", type_=UUID(as_uuid=True)),
            literal(SURFACE),
            group_id,
            null(),
            actor,
            actor,
            now,
            now,
            literal(False),
            literal(0),
        ),
    )
    touched = update(_groups).where(_groups.c.id == group_id).values(updated_at=now)
    ctes = [
        deleted.cte("deleted"),
        updated.cte("updated"),
        inserted.cte("inserted"),
        touched.cte("touched"),
        repository.AUDIT_INSERT.cte("audit"),
    ]
    if not notify:
        plain: ClauseElement = select(
            literal(0).label("members"), literal(0).label("queued")
        ).add_cte(*ctes)
        return plain
    members = (
        select(_users.c.id, _users.c.email)
        .select_from(_gm.join(_users, _users.c.id == _gm.c.user_id))
        .where(_gm.c.group_id == group_id)
        .cte("members")
    )
    member_count = select(func.count()).select_from(members).scalar_subquery()
    notes = (
        func.unnest(
            bindparam("subjects", type_=ARRAY(Text)), bindparam("bodies", type_=ARRAY(Text))
        )
        .table_valued("subject", "body")
        .render_derived(name="notes")
    )
    queued = (
        insert(_outbox)
        .from_select(
            [
                "id",
                "org_id",
                "group_id",
                "user_id",
                "recipient",
                "subject",
                "body",
                "status",
                "attempts",
            ],
            select(
                func.gen_random_uuid(),
                bindparam("org_id", type_=UUID(as_uuid=True)),
                group_id,
                members.c.id,
                members.c.email,
                notes.c.subject,
                notes.c.body,
                literal("pending"),
                literal(0),
            )
            .select_from(members.join(notes, literal(True)))
            # The seed doc: a group this large gets no e-mail about its role changes.
            .where(member_count <= bindparam("notify_max_members")),
        )
        .returning(_outbox.c.id)
        .cte("queued")
    )
    query = select(
        member_count.label("members"),
        select(func.count()).select_from(queued).scalar_subquery().label("queued"),
    )
    notifying: ClauseElement = query.add_cte(*ctes, members, queued)
    return notifying


_WRITE = {notify: DirectStatement(_write_query(notify)) for notify in (False, True)}


@dataclass(frozen=True, slots=True)
class Notifications:
    subjects: list[str]
    bodies: list[str]
    max_members: int


@dataclass(frozen=True, slots=True)
class Written:
    members: int  # the group's members, when notifications were asked for
    queued: int  # outbox rows written


async def write(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    actor: str,
    now: dt.datetime,
    deletes: Sequence[uuid.UUID],
    updates: Sequence[dict[str, Any]],
    inserts: Sequence[dict[str, Any]],
    audit: dict[str, Any],
    notifications: Notifications | None,
) -> Written:
    """Apply a planned change in one statement (see the module doc).

    ``updates``: dicts with ``id`` and, when they change, ``ends_at`` / ``resource``;
    ``inserts``: dicts with the columns of ``_INSERTED``; ``audit``:
    :func:`repository.audit_params`.
    """
    params: dict[str, Any] = {
        "org_id": org_id,
        "group_id": group_id,
        "actor": actor,
        "now": now,
        "delete_ids": list(deletes),
        "upd_id": [u["id"] for u in updates],
        "upd_set_ends_at": ["ends_at" in u for u in updates],
        "upd_ends_at": [u.get("ends_at") for u in updates],
        "upd_set_resource": ["resource" in u for u in updates],
        "upd_resource": [u.get("resource") for u in updates],
        **{f"ins_{c}": [row[c] for row in inserts] for c in _INSERTED},
        **audit,
    }
    if notifications is not None:
        params |= {
            "subjects": notifications.subjects,
            "bodies": notifications.bodies,
            "notify_max_members": notifications.max_members,
        }
    rows = await _WRITE[notifications is not None].fetch(session, params)
    return Written(members=int(rows[0]["members"]), queued=int(rows[0]["queued"]))

"""CSP group roles as read: a group's active roles per section, for the wire and the audit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.csp import group_roles_repository as repo
from rolegate.rbac.csp.group_roles_repository import AssignmentRow
from rolegate.rbac.windows import is_open_at

Kind = Literal["organization", "custom", "service"]


@dataclass(frozen=True, slots=True)
class RoleView:
    """One active CSP role of a group, ready for the wire."""

    kind: Kind
    name: str
    service_definition_id: uuid.UUID | None
    assignment: AssignmentRow


@dataclass(frozen=True, slots=True)
class GroupRolesView:
    organization: list[RoleView]
    custom: list[RoleView]
    service: dict[uuid.UUID, list[RoleView]]


def key_of(ra: AssignmentRow) -> tuple[str, uuid.UUID | None, str]:
    if ra.kind == "organization":
        return ("organization", None, ra.role_key)
    name = ra.role_name if ra.role_name is not None else ra.role_key
    return (ra.kind, ra.service_definition_id if ra.kind == "service" else None, name)


def is_active(ra: AssignmentRow, now: dt.datetime) -> bool:
    return is_open_at(ra.starts_at, ra.ends_at, now)


def view_of(rows: list[AssignmentRow]) -> GroupRolesView:
    """The view of active rows listed in the order a GET reads them (kind, created, id)."""
    organization: list[RoleView] = []
    custom: list[RoleView] = []
    service: dict[uuid.UUID, list[RoleView]] = defaultdict(list)
    for ra in rows:
        kind, sd_id, name = key_of(ra)
        if kind == "organization":
            organization.append(RoleView("organization", name, None, ra))
        elif kind == "custom":
            custom.append(RoleView("custom", name, None, ra))
        elif sd_id is not None:
            service[sd_id].append(RoleView("service", name, sd_id, ra))
    organization.sort(key=lambda v: list(ORG_ROLES).index(v.name) if v.name in ORG_ROLES else 99)
    custom.sort(key=lambda v: v.name)
    for views in service.values():
        views.sort(key=lambda v: v.name)
    return GroupRolesView(organization=organization, custom=custom, service=dict(service))


def rows_after(
    current: list[AssignmentRow],
    deletes: set[uuid.UUID],
    updates: list[dict[str, Any]],
    inserts: list[dict[str, Any]],
    now: dt.datetime,
) -> list[AssignmentRow]:
    """The group's active rows once a write is applied, in the order a GET reads them.

    Computed, not re-read: the write runs under the group's lock, so nothing else changes
    the rows in between, and a re-read would cost a statement per PATCH.
    """
    changed = {u["id"]: u for u in updates}
    names = {f.name for f in fields(AssignmentRow)}
    rows = [
        replace(ra, **{k: v for k, v in changed.get(ra.id, {}).items() if k in names})
        for ra in current
        if ra.id not in deletes
    ]
    rows += [AssignmentRow(**{k: v for k, v in row.items() if k in names}) for row in inserts]
    rows.sort(key=lambda ra: (ra.kind, ra.created_at, ra.id))
    return [ra for ra in rows if is_active(ra, now)]


def audit_roles(view: GroupRolesView) -> dict[str, Any]:
    def one(v: RoleView) -> dict[str, Any]:
        ends = v.assignment.ends_at
        return {
            "name": v.name,
            "resource": v.assignment.resource,
            "expiresAt": int(ends.timestamp()) if ends else None,
        }

    return {
        "organizationRoles": [one(v) for v in view.organization],
        "customRoles": [one(v) for v in view.custom],
        "serviceRoles": {str(sd): [one(v) for v in vs] for sd, vs in view.service.items()},
    }


async def active_view(
    session: AsyncSession, group_id: uuid.UUID, now: dt.datetime
) -> GroupRolesView:
    rows = await repo.group_rows(session, group_id)
    return view_of([ra for ra in rows if is_active(ra, now)])

"""CSP group roles (endpoint D and its siblings): the rules, once.

A group's CSP roles come in three sections: organization roles (the fixed catalogue),
the org's custom roles and, per service definition, the roles it declares. A PATCH adds,
removes and updates roles by name within a section. Every decision that can refuse the
request (unknown role, add+remove of one role, update of a missing role, an expiry in the
past) is taken while planning, before the first write; the plan is then applied under a
row lock on the group, so concurrent PATCHes serialize and none is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import csp_group_roles_repository as repo
from rolegate.rbac import outbox, repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import IAM_ADMIN_ROLES, ORG_ROLES
from rolegate.rbac.csp_access import GROUP_NOT_FOUND, OWNER_ONLY, authorize, parse_id
from rolegate.rbac.errors import GroupNotFoundError, InvalidInputError
from rolegate.rbac.models import Group, Organization, Role, RoleAssignment

log = logging.getLogger("rolegate.csp")

SURFACE = "csp"
Kind = Literal["organization", "custom", "service"]
Path = tuple[str | int, ...]

# The seed doc: groups above this size get no e-mail about their role changes.
NOTIFY_MAX_MEMBERS = 1000
# datetime cannot hold year 10000; an expiry past it is a client bug, not "never".
MAX_EPOCH_SECONDS = 253402300799


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """One role named in rolesToAdd / rolesToUpdate (or a deprecated name-only entry)."""

    name: str
    path: Path  # of the entry: ("organizationRoles", "rolesToAdd", 0)
    name_path: Path  # of the name: (..., 0, "name"), or the entry for a name-only list
    resource: str | None = None
    expires_at: int | None = None
    # Which of "resource" / "expiresAt" the client sent (rolesToUpdate changes only those).
    fields_set: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SectionUpdate:
    kind: Kind
    path: Path
    service_definition_id: str | None = None
    to_add: list[BindingSpec] = field(default_factory=list)
    to_remove: list[BindingSpec] = field(default_factory=list)
    to_update: list[BindingSpec] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupRolesUpdate:
    sections: list[SectionUpdate]
    notify_users: bool = False


@dataclass(frozen=True, slots=True)
class RoleView:
    """One active CSP role of a group, ready for the wire."""

    kind: Kind
    name: str
    service_definition_id: uuid.UUID | None
    assignment: RoleAssignment


@dataclass(frozen=True, slots=True)
class GroupRolesView:
    organization: list[RoleView]
    custom: list[RoleView]
    service: dict[uuid.UUID, list[RoleView]]


# --- planning -----------------------------------------------------------------------


def _issue(path: Path, message: str) -> InvalidInputError:
    return InvalidInputError([{"code": "custom", "message": message, "path": list(path)}])


@dataclass(slots=True)
class _Target:
    """A role a section names, resolved: what a role_assignments row would point at."""

    kind: Kind
    name: str
    role: Role | None
    service_definition_id: uuid.UUID | None

    @property
    def key(self) -> tuple[str, uuid.UUID | None, str]:
        return (self.kind, self.service_definition_id, self.name)


@dataclass(slots=True)
class _Plan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)
    deletes: list[uuid.UUID] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def _check_names_once(section: SectionUpdate) -> None:
    """A role may be named once per section: add+remove (or any two operations) is refused."""
    seen: dict[str, tuple[str, Path]] = {}
    for op, specs in (
        ("added", section.to_add),
        ("removed", section.to_remove),
        ("updated", section.to_update),
    ):
        for spec in specs:
            if spec.name in seen:
                first_op, first_path = seen[spec.name]
                what = f"both {first_op} and {op}" if first_op != op else f"{op} more than once"
                raise _issue(
                    spec.name_path,
                    f"Role '{spec.name}' is {what} in one request (first at {_dotted(first_path)})",
                )
            seen[spec.name] = (op, spec.name_path)


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _expiry(spec: BindingSpec, now: dt.datetime) -> dt.datetime | None:
    if spec.expires_at is None:
        return None
    path = (*spec.path, "expiresAt")
    if not 0 < spec.expires_at <= MAX_EPOCH_SECONDS:
        raise _issue(path, f"expiresAt {spec.expires_at} is not a valid time in epoch seconds")
    expires = dt.datetime.fromtimestamp(spec.expires_at, dt.UTC)
    if expires <= now:
        raise _issue(path, f"expiresAt {spec.expires_at} is in the past")
    return expires


async def _resolve_sections(
    session: AsyncSession, org: Organization, sections: list[SectionUpdate]
) -> dict[int, dict[str, _Target]]:
    """Resolve every name of every section (index → name → target); unknown ones are a 400."""
    custom_names = {s.name for sec in sections if sec.kind == "custom" for s in _all(sec)}
    custom = await repo.custom_roles_by_name(session, org.id, custom_names)
    service_ids: dict[int, uuid.UUID] = {}
    seen_services: dict[uuid.UUID, Path] = {}
    for index, sec in enumerate(sections):
        if sec.kind != "service":
            continue
        path = (*sec.path, "serviceDefinitionId")
        sd_id = parse_id(sec.service_definition_id or "")
        if sd_id in seen_services:
            raise _issue(
                path,
                f"serviceDefinitionId '{sec.service_definition_id}' is given more than once"
                f" (first at {_dotted(seen_services[sd_id])})",
            )
        if sd_id is not None:
            seen_services[sd_id] = path
            service_ids[index] = sd_id
    services = await repo.service_definitions(session, org.id, service_ids.values())
    service_roles = await repo.service_roles(session, services.keys())

    resolved: dict[int, dict[str, _Target]] = {}
    for index, sec in enumerate(sections):
        targets: dict[str, _Target] = {}
        sd_id = service_ids.get(index)
        if sec.kind == "service" and (sd_id is None or sd_id not in services):
            raise _issue(
                (*sec.path, "serviceDefinitionId"),
                f"Unknown serviceDefinitionId '{sec.service_definition_id}'",
            )
        for spec in _all(sec):
            name_path = spec.name_path
            if sec.kind == "organization":
                if spec.name not in ORG_ROLES:
                    raise _issue(
                        name_path,
                        f"Unknown organization role '{spec.name}';"
                        f" known roles: {', '.join(ORG_ROLES)}",
                    )
                targets[spec.name] = _Target("organization", spec.name, None, None)
            elif sec.kind == "custom":
                role = custom.get(spec.name)
                if role is None:
                    raise _issue(name_path, f"Unknown custom role '{spec.name}'")
                targets[spec.name] = _Target("custom", spec.name, role, None)
            else:
                assert sd_id is not None  # noqa: S101 - checked above
                role = service_roles.get((sd_id, spec.name))
                if role is None:
                    raise _issue(
                        name_path,
                        f"Unknown role '{spec.name}' of service definition '{sd_id}'",
                    )
                targets[spec.name] = _Target("service", spec.name, role, sd_id)
        resolved[index] = targets
    return resolved


def _all(section: SectionUpdate) -> list[BindingSpec]:
    return [*section.to_add, *section.to_remove, *section.to_update]


def _key_of(ra: RoleAssignment, role: Role | None) -> tuple[str, uuid.UUID | None, str]:
    if ra.kind == "organization":
        return ("organization", None, ra.role_key)
    name = role.name if role is not None else ra.role_key
    return (ra.kind, ra.service_definition_id if ra.kind == "service" else None, name)


def _is_active(ra: RoleAssignment, now: dt.datetime) -> bool:
    return (ra.starts_at is None or ra.starts_at <= now) and (
        ra.ends_at is None or ra.ends_at > now
    )


def _label(target: _Target) -> str:
    if target.kind == "organization":
        return f"organization role {target.name}"
    if target.kind == "custom":
        return f"custom role {target.name}"
    return f"service role {target.name} of service {target.service_definition_id}"


def _describe_expiry(expires: dt.datetime | None) -> str:
    return f"until {expires.isoformat()}" if expires else "with no expiry"


def _plan(
    actor: Actor,
    group: Group,
    sections: list[SectionUpdate],
    resolved: dict[int, dict[str, _Target]],
    current: list[tuple[RoleAssignment, Role | None]],
    now: dt.datetime,
) -> _Plan:
    rows: dict[tuple[str, uuid.UUID | None, str], list[RoleAssignment]] = defaultdict(list)
    for ra, role in current:
        rows[_key_of(ra, role)].append(ra)
    plan = _Plan()
    for index, sec in enumerate(sections):
        targets = resolved[index]
        for spec in sec.to_remove:
            target = targets[spec.name]
            existing = rows.get(target.key, [])
            if any(_is_active(ra, now) for ra in existing):
                plan.changes.append(f"Removed {_label(target)}")
            # An expired row is invisible already; dropping it is housekeeping, not a change.
            plan.deletes.extend(ra.id for ra in existing)
        for spec in sec.to_update:
            target = targets[spec.name]
            active = [ra for ra in rows.get(target.key, []) if _is_active(ra, now)]
            if not active:
                raise _issue(
                    spec.name_path,
                    f"Cannot update role '{spec.name}': the group does not have it",
                )
            values: dict[str, Any] = {}
            if "expiresAt" in spec.fields_set:
                values["ends_at"] = _expiry(spec, now)
            if "resource" in spec.fields_set:
                values["resource"] = spec.resource
            keep, *extra = active
            plan.deletes.extend(ra.id for ra in extra)
            if any(getattr(keep, col) != value for col, value in values.items()):
                expiry = _describe_expiry(values.get("ends_at", keep.ends_at))
                plan.changes.append(f"Updated {_label(target)}: now {expiry}")
            plan.updates.append(
                (keep.id, {**values, "updated_by": actor.audit_id, "updated_at": now})
            )
        for spec in sec.to_add:
            target = targets[spec.name]
            expires = _expiry(spec, now)
            existing = rows.get(target.key, [])
            active = [ra for ra in existing if _is_active(ra, now)]
            values = {"ends_at": expires, "resource": spec.resource}
            if active:
                keep, *extra = active
                plan.deletes.extend(
                    ra.id for ra in [*extra, *(r for r in existing if r not in active)]
                )
                if keep.ends_at != expires or keep.resource != spec.resource:
                    plan.changes.append(
                        f"Updated {_label(target)}: now {_describe_expiry(expires)}"
                    )
                plan.updates.append(
                    (keep.id, {**values, "updated_by": actor.audit_id, "updated_at": now})
                )
                continue
            # Not held (or only expired): a new grant. Expired leftovers go.
            plan.deletes.extend(ra.id for ra in existing)
            plan.changes.append(f"Added {_label(target)} {_describe_expiry(expires)}")
            plan.inserts.append(
                {
                    "id": uuid.uuid4(),
                    "org_id": group.org_id,
                    "surface": SURFACE,
                    "kind": target.kind,
                    "group_id": group.id,
                    "role_key": "custom" if target.role is not None else target.name,
                    "role_id": target.role.id if target.role is not None else None,
                    "service_definition_id": target.service_definition_id,
                    "resource": spec.resource,
                    "starts_at": None,
                    "ends_at": expires,
                    "created_by": actor.audit_id,
                    "updated_by": actor.audit_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return plan


# --- views --------------------------------------------------------------------------


def _view(rows: list[tuple[RoleAssignment, Role | None]]) -> GroupRolesView:
    organization: list[RoleView] = []
    custom: list[RoleView] = []
    service: dict[uuid.UUID, list[RoleView]] = defaultdict(list)
    for ra, role in rows:
        kind, sd_id, name = _key_of(ra, role)
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
    return _view(await repo.group_assignments(session, group_id, active_now=now))


# --- operations -----------------------------------------------------------------------


async def update_group_roles(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: str,
    group_id: str,
    update: GroupRolesUpdate,
    now: dt.datetime,
    before_write: Callable[[GroupRolesView], None] | None = None,
) -> GroupRolesView:
    """Endpoint D. Writes nothing unless every part of the request is acceptable.

    Returns the group's active roles afterwards (what its GET shows). ``before_write``
    sees the active roles before the change, under the group's row lock, after every
    check passed and before anything is written (the API layer compares If-Match there).
    """
    org = await authorize(
        session, actor, parse_id(org_id), OWNER_ONLY, "update the roles of a group", now
    )
    for sec in update.sections:
        _check_names_once(sec)
    group_uuid = parse_id(group_id)
    group = await repository.lock_group(session, group_uuid, org.id) if group_uuid else None
    if group is None:
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    resolved = await _resolve_sections(session, org, update.sections)
    current = await repo.group_assignments(session, group.id)
    before = _view([(ra, role) for ra, role in current if _is_active(ra, now)])
    plan = _plan(actor, group, update.sections, resolved, current, now)
    if before_write is not None:
        before_write(before)

    # Every check has passed: from here on, only writes.
    await repo.delete_assignments(session, sorted(set(plan.deletes)))
    for assignment_id, values in plan.updates:
        await repo.update_assignment(session, assignment_id, values)
    await repo.insert_assignments(session, plan.inserts)
    await repo.touch_group(session, group.id, now)
    after = await active_view(session, group.id, now)
    await repository.record_audit(
        session,
        actor=actor,
        action="csp.group.roles.update",
        target_type="group",
        target_id=group.id,
        before=audit_roles(before),
        after=audit_roles(after),
    )
    if update.notify_users and plan.changes:
        await _notify(session, org, group, plan.changes)
    return after


async def _notify(
    session: AsyncSession, org: Organization, group: Group, changes: list[str]
) -> None:
    members = await repo.member_count(session, group.id)
    if members > NOTIFY_MAX_MEMBERS:
        log.info(
            "group %s has %d members (more than %d): no role-change notifications",
            group.id,
            members,
            NOTIFY_MAX_MEMBERS,
        )
        return
    subject = f"[{org.name}] The roles of your group {group.name} changed"
    notes = [
        outbox.Notification(
            subject=subject,
            body=(
                f"{change} for the group {group.name} in the organization {org.name}.\n"
                "As a member of this group, your access changes with it.\n"
            ),
        )
        for change in changes
    ]
    written = await outbox.enqueue_for_group_members(
        session, org_id=org.id, group_id=group.id, notifications=notes
    )
    log.info("queued %d role-change notifications for group %s", written, group.id)


async def get_group_roles(
    session: AsyncSession, actor: Actor, *, org_id: str, group_id: str, now: dt.datetime
) -> GroupRolesView:
    org = await authorize(
        session, actor, parse_id(org_id), IAM_ADMIN_ROLES, "read the roles of a group", now
    )
    group_uuid = parse_id(group_id)
    found = await repo.get_group_row(session, group_uuid, org.id) if group_uuid else None
    if found is None:
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    return await active_view(session, found.group.id, now)

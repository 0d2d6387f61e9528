"""CSP group roles, planning a PATCH (endpoint D): the request's sections resolved to
roles, checked, and turned into the rows to insert, update and delete.

Every decision that can refuse the request (unknown role, add+remove of one role, update
of a missing role, an expiry in the past) is taken here, before the first write.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.csp.access import parse_id
from rolegate.rbac.csp.group_roles_repository import AssignmentRow, Catalogue
from rolegate.rbac.csp.role_views import Kind, is_active, key_of
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.org_grants import OrgGrant

SURFACE = "csp"
Path = tuple[str | int, ...]

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


# --- planning -----------------------------------------------------------------------


def _issue(path: Path, message: str) -> InvalidInputError:
    return InvalidInputError([{"code": "custom", "message": message, "path": list(path)}])


@dataclass(slots=True)
class Target:
    """A role a section names, resolved: what a role_assignments row would point at."""

    kind: Kind
    name: str
    role_id: uuid.UUID | None  # None for a catalogue (organization) role
    service_definition_id: uuid.UUID | None

    @property
    def key(self) -> tuple[str, uuid.UUID | None, str]:
        return (self.kind, self.service_definition_id, self.name)


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: uuid.UUID
    org_id: uuid.UUID


@dataclass(slots=True)
class Plan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)
    deletes: list[uuid.UUID] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def check_names_once(section: SectionUpdate) -> None:
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


def org_roles_named(sections: list[SectionUpdate]) -> set[OrgGrant]:
    """The org roles (organization and custom sections) a request adds, removes or
    updates: what the org boundary checks. Service roles are no org authority."""
    return {
        OrgGrant(name=spec.name, builtin=sec.kind == "organization")
        for sec in sections
        if sec.kind in ("organization", "custom")
        for spec in _all(sec)
    }


def catalogue_wanted(sections: list[SectionUpdate]) -> tuple[set[str], set[uuid.UUID]]:
    """The custom role names and service definition ids the request names (to look up)."""
    custom = {s.name for sec in sections if sec.kind == "custom" for s in _all(sec)}
    services = {
        sd_id
        for sec in sections
        if sec.kind == "service" and (sd_id := parse_id(sec.service_definition_id or ""))
    }
    return custom, services


def resolve_sections(
    sections: list[SectionUpdate], catalogue: Catalogue
) -> dict[int, dict[str, Target]]:
    """Resolve every name of every section (index → name → target); unknown ones are a 400."""
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

    resolved: dict[int, dict[str, Target]] = {}
    for index, sec in enumerate(sections):
        targets: dict[str, Target] = {}
        sd_id = service_ids.get(index)
        if sec.kind == "service" and (sd_id is None or sd_id not in catalogue.services):
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
                targets[spec.name] = Target("organization", spec.name, None, None)
            elif sec.kind == "custom":
                role_id = catalogue.custom.get(spec.name)
                if role_id is None:
                    raise _issue(name_path, f"Unknown custom role '{spec.name}'")
                targets[spec.name] = Target("custom", spec.name, role_id, None)
            else:
                assert sd_id is not None  # noqa: S101 - checked above
                role_id = catalogue.service_roles.get((sd_id, spec.name))
                if role_id is None:
                    raise _issue(
                        name_path,
                        f"Unknown role '{spec.name}' of service definition '{sd_id}'",
                    )
                targets[spec.name] = Target("service", spec.name, role_id, sd_id)
        resolved[index] = targets
    return resolved


def _all(section: SectionUpdate) -> list[BindingSpec]:
    return [*section.to_add, *section.to_remove, *section.to_update]


def _label(target: Target) -> str:
    if target.kind == "organization":
        return f"organization role {target.name}"
    if target.kind == "custom":
        return f"custom role {target.name}"
    return f"service role {target.name} of service {target.service_definition_id}"


def _describe_expiry(expires: dt.datetime | None) -> str:
    return f"until {expires.isoformat()}" if expires else "with no expiry"


def plan_changes(
    actor: Actor,
    group: GroupRef,
    sections: list[SectionUpdate],
    resolved: dict[int, dict[str, Target]],
    current: list[AssignmentRow],
    now: dt.datetime,
) -> Plan:
    rows: dict[tuple[str, uuid.UUID | None, str], list[AssignmentRow]] = defaultdict(list)
    for ra in current:
        rows[key_of(ra)].append(ra)
    plan = Plan()
    for index, sec in enumerate(sections):
        targets = resolved[index]
        for spec in sec.to_remove:
            target = targets[spec.name]
            existing = rows.get(target.key, [])
            if any(is_active(ra, now) for ra in existing):
                plan.changes.append(f"Removed {_label(target)}")
            # An expired row is invisible already; dropping it is housekeeping, not a change.
            plan.deletes.extend(ra.id for ra in existing)
        for spec in sec.to_update:
            target = targets[spec.name]
            active = [ra for ra in rows.get(target.key, []) if is_active(ra, now)]
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
            active = [ra for ra in existing if is_active(ra, now)]
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
                    "role_key": "custom" if target.role_id is not None else target.name,
                    "role_id": target.role_id,
                    # Not a column: what the row reads back as (custom and service roles).
                    "role_name": target.name if target.role_id is not None else None,
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

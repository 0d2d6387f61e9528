"""A requested binding list, validated as a whole and turned into rows (pure).

Every problem is reported at once (one 400 with an error per binding field), so the
caller hands in what validation needs, loaded beforehand: the org's custom roles among
the names asked for, and the group's current bindings (a binding sent with its id keeps
that id, its creator and its creation time).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.ctrlhub.groups_repository import BINDING, SURFACE
from rolegate.rbac.ctrlhub.views import BindingSpec
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.permissions.conditions import UNCONDITIONAL, condition_issues


class CustomRoleFields(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...


class KeptFields(Protocol):
    """What a binding keeps when it is sent again with its id."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def created_by(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


def custom_names(specs: Sequence[BindingSpec]) -> list[str]:
    """The role names that must be the org's custom roles (not fixed catalogue roles)."""
    return [s.role for s in specs if s.role not in ORG_ROLES]


def _issue(message: str, *path: Any) -> dict[str, Any]:
    return {"code": "invalid", "message": message, "path": ["bindings", *path]}


def _issues(
    specs: Sequence[BindingSpec],
    custom: Mapping[str, CustomRoleFields],
    current: Mapping[uuid.UUID, KeptFields],
) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    seen_ids: set[uuid.UUID] = set()
    for index, spec in enumerate(specs):
        if spec.role not in ORG_ROLES and spec.role not in custom:
            issues.append(
                _issue(
                    f"Role '{spec.role}' is not in this organisation's role catalogue"
                    " (GET /v3/roles)",
                    index,
                    "role",
                )
            )
        if spec.condition is not None:
            issues.extend(condition_issues(spec.condition, ["bindings", index, "condition"]))
        if spec.id is not None:
            if spec.id in seen_ids:
                issues.append(_issue(f"Binding id {spec.id} is given twice", index, "id"))
            elif spec.id not in current:
                issues.append(
                    _issue(
                        f"Binding id {spec.id} is not a binding of this group;"
                        " leave id out to create a new binding",
                        index,
                        "id",
                    )
                )
            seen_ids.add(spec.id)
    return issues


def binding_rows(
    actor: Actor,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    specs: Sequence[BindingSpec],
    custom: Mapping[str, CustomRoleFields],
    existing: Sequence[KeptFields],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The rows to store for ``specs``, in order; every problem at once as a 400."""
    current = {binding.id: binding for binding in existing}
    issues = _issues(specs, custom, current)
    if issues:
        raise InvalidInputError(issues)
    rows = []
    for index, spec in enumerate(specs):
        role = None if spec.role in ORG_ROLES else custom[spec.role]
        kept = current.get(spec.id) if spec.id is not None else None
        rows.append(
            {
                "id": kept.id if kept is not None else uuid.uuid4(),
                "org_id": org_id,
                "surface": SURFACE,
                "kind": BINDING,
                "group_id": group_id,
                "role_key": "custom" if role is not None else spec.role,
                "role_id": role.id if role is not None else None,
                "condition": spec.condition if spec.condition is not None else UNCONDITIONAL,
                "position": index,
                "created_by": kept.created_by if kept is not None else actor.audit_id,
                "updated_by": actor.audit_id,
                "created_at": kept.created_at if kept is not None else now,
                "updated_at": now,
            }
        )
    return rows

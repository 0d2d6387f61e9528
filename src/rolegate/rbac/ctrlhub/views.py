"""ctrl-hub role groups: what a request asks for and what the services answer with.

The views hold plain fields (protocols), so a service may build them from ORM objects
(the reads) or from the rows its statements returned (endpoint E).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rolegate.rbac.org_grants import UserFields
from rolegate.rbac.permissions.conditions import UNCONDITIONAL


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """One requested binding: a catalogue role name and a condition (None: unconditional)."""

    role: str
    condition: dict[str, Any] | None = None
    id: uuid.UUID | None = None  # keep the id of an existing binding of the group


@dataclass(frozen=True, slots=True)
class GroupPatch:
    """Fields a client sent; None means "not sent" (the wire layer refuses explicit nulls)."""

    name: str | None = None
    description: str | None = None
    bindings: Sequence[BindingSpec] | None = None


class GroupFields(Protocol):
    """What a view needs of a group (an ORM ``Group`` or a plain row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def org_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True, slots=True)
class BindingView:
    id: uuid.UUID
    role: str
    condition: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MemberView:
    user: UserFields
    grants: list[str]


@dataclass(frozen=True, slots=True)
class GroupView:
    group: GroupFields
    bindings: list[BindingView]
    members: list[MemberView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupsPage:
    """One page of an organisation's role groups (``GET /v3/orgs/{org_id}/iam/groups``)."""

    groups: list[GroupView]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class MembersPage:
    """One page of an organisation's members (``GET /v3/orgs/{org_id}/iam/members``)."""

    members: list[MemberView]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class CatalogueRole:
    id: str  # the name for a fixed role, the UUID for a custom role
    name: str
    description: str
    custom: bool


def binding_view(
    binding_id: uuid.UUID,
    role_key: str,
    role_name: str | None,
    condition: dict[str, Any] | None,
) -> BindingView:
    """A stored binding as clients see it: a custom role by its name, a fixed one by key."""
    return BindingView(
        id=binding_id,
        role=role_name if role_name is not None else role_key,
        condition=condition or dict(UNCONDITIONAL),
    )


def audit_record(
    group: GroupFields, bindings: Sequence[BindingView], users: Iterable[UserFields]
) -> dict[str, Any]:
    """A group as its audit events record it (before and after a change)."""
    return {
        "name": group.name,
        "description": group.description,
        "bindings": [{"id": str(b.id), "role": b.role, "condition": b.condition} for b in bindings],
        "members": [str(user.id) for user in users],
    }


def audit_state(view: GroupView) -> dict[str, Any]:
    return audit_record(view.group, view.bindings, (m.user for m in view.members))

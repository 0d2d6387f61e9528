"""What Infisical's services answer with: the fields a view or the wire needs of a row.

They live beside the services, not in the repositories, so the API layer reads them
without importing SQL. Each is a Protocol an ORM row and a repository's plain row both
satisfy (endpoints A, B and C read plain rows on their hot paths).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rolegate.rbac.windows import TemporaryRowFields


class MembershipFields(Protocol):
    """What a view needs of a project membership (an ORM row or a :class:`MembershipRow`)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...


class GroupFields(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def slug(self) -> str: ...


class RoleFields(Protocol):
    """A custom role: its id, slug and rules."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def slug(self) -> str: ...
    @property
    def permissions(self) -> list[dict[str, Any]]: ...


class AssignmentFields(TemporaryRowFields, Protocol):
    """A stored Infisical project role row."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def role_key(self) -> str: ...
    @property
    def role_id(self) -> uuid.UUID | None: ...
    @property
    def project_membership_id(self) -> uuid.UUID | None: ...


@dataclass(frozen=True, slots=True)
class GroupMembershipView:
    """A group's membership in a project with its Infisical role rows, in order."""

    membership: MembershipFields
    group: GroupFields
    roles: Sequence[tuple[AssignmentFields, RoleFields | None]]


class PrivilegeFields(TemporaryRowFields, Protocol):
    """What the wire and the audit need of a privilege (an ORM row or a :class:`PrivilegeRow`)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def project_membership_id(self) -> uuid.UUID: ...
    @property
    def slug(self) -> str: ...
    @property
    def permissions(self) -> list[dict[str, Any]]: ...


class TemplateFields(Protocol):
    """What the wire and the audit need of a template (an ORM row or a :class:`TemplateRow`)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def org_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def roles(self) -> list[dict[str, Any]]: ...
    @property
    def environments(self) -> list[dict[str, Any]]: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...


@dataclass(frozen=True, slots=True)
class PrivilegeLocation:
    """Where a privilege named by its id lives: what the slug-based services take."""

    project_id: uuid.UUID
    project_slug: str
    identity_id: uuid.UUID
    slug: str

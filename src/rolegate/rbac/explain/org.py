"""Org-level access, explained, for the CSP and ctrl-hub dialects.

A user's or group's org-scoped role rows from every surface (CSP organization, custom and
service roles, ctrl-hub conditional bindings), each in the org dialects' own terms: a
role name, where it comes from (held directly, through a group, or through a binding
whose condition must hold for the user) and its expiry.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.explain import repository as repo
from rolegate.rbac.explain.project import GroupRef, Principal, PrincipalNotFoundError
from rolegate.rbac.org_grants import facts_of
from rolegate.rbac.permissions.conditions import PrincipalFacts, condition_matches
from rolegate.rbac.windows import is_open_at


@dataclass(frozen=True, slots=True)
class OrgRoleGrant:
    """One org-scoped role row reaching a user or group, explained."""

    id: uuid.UUID  # the role assignment
    surface: str  # which API made it: infisical | csp | ctrlhub
    kind: str  # organization | custom | service | binding
    role: str  # catalogue name, custom role name or service role name
    display_name: str | None
    role_id: uuid.UUID | None
    service_definition_id: uuid.UUID | None
    service_name: str | None
    resource: str | None
    via_group: GroupRef | None  # None: held directly
    condition: Mapping[str, Any] | None  # a binding's condition
    condition_matches: bool | None  # for a user; None when it cannot be decided (groups)
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None  # the expiry (CSP expiresAt)
    active: bool  # inside its window at ``at``

    @property
    def effective(self) -> bool:
        """Counts at ``at``: inside its window and, for a binding, its condition holds."""
        return self.active and self.condition_matches is not False

    @property
    def source_label(self) -> str:
        where = "direct" if self.via_group is None else f"via group {self.via_group.name}"
        if self.kind == "binding":
            return f"binding {self.id} ({where})"
        return where


@dataclass(frozen=True, slots=True)
class OrgRolesExplanation:
    principal: Principal
    principal_name: str
    org_id: uuid.UUID
    at: dt.datetime
    grants: tuple[OrgRoleGrant, ...]

    @property
    def effective_roles(self) -> list[str]:
        """Names of the roles that count at ``at``, each once, in grant order."""
        names: list[str] = []
        for grant in self.grants:
            if grant.effective and grant.role not in names:
                names.append(grant.role)
        return names


async def explain_org_roles(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, at: dt.datetime
) -> OrgRolesExplanation:
    """A user's or group's org-level roles from every surface, with source and expiry.

    A user's roles include those of every group the user belongs to; a ctrl-hub binding
    counts for a user only when its condition holds for the user's attributes (for a
    group it is listed with ``condition_matches`` None: it depends on the member).
    """
    facts: PrincipalFacts | None = None
    if principal.kind == "user":
        user = await repo.get_user(session, principal.id, org_id)
        if user is None:
            raise PrincipalNotFoundError(f"Failed to find user with ID {principal.id}")
        name, facts = user.email, facts_of(user)
        rows = await repo.org_assignments(session, org_id, user_id=user.id)
    elif principal.kind == "group":
        group = await repository.get_group(session, principal.id, org_id)
        if group is None:
            raise PrincipalNotFoundError(f"Failed to find group with ID {principal.id}")
        name = group.name
        rows = await repo.org_assignments(session, org_id, group_id=group.id)
    else:
        raise ValueError("Org roles are explained for users and groups")
    grants = []
    for row in rows:
        ra, role = row.assignment, row.role
        role_name = role.name if role is not None else ra.role_key
        is_binding = ra.kind == "binding"
        matches = None
        if is_binding and facts is not None:
            # The same predicate ctrl-hub enforces with: an explanation never drifts from it.
            matches = condition_matches(ra.condition, facts)
        grants.append(
            OrgRoleGrant(
                id=ra.id,
                surface=ra.surface,
                kind=ra.kind,
                role=role_name,
                display_name=ORG_ROLES.get(role_name) if role is None else role.name,
                role_id=ra.role_id,
                service_definition_id=row.service.id if row.service else None,
                service_name=row.service.name if row.service else None,
                resource=ra.resource,
                via_group=(
                    GroupRef(row.group.id, row.group.name, row.group.slug)
                    if row.group is not None and principal.kind == "user"
                    else None
                ),
                condition=ra.condition if is_binding else None,
                condition_matches=matches,
                starts_at=ra.starts_at,
                ends_at=ra.ends_at,
                active=is_open_at(ra.starts_at, ra.ends_at, at),
            )
        )
    return OrgRolesExplanation(
        principal=principal, principal_name=name, org_id=org_id, at=at, grants=tuple(grants)
    )

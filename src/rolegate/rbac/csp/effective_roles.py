"""A user's or group's effective CSP roles at a moment, with where each comes from.

The CSP dialect of :func:`rolegate.rbac.explain.org.explain_org_roles`: the org-scoped
rows of every surface that count at ``at`` (inside their window; a ctrl-hub binding only
when its condition holds for the user), grouped the way CSP lists roles — organization
roles, custom roles, and service roles per service definition — one entry per role name
with every source that grants it. Bindings that would grant a role but whose condition
does not hold for the user are reported apart, so "why not?" has an answer too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import IAM_ADMIN_ROLES, ORG_ROLES
from rolegate.rbac.csp.access import GROUP_NOT_FOUND, authorize, parse_id
from rolegate.rbac.errors import GroupNotFoundError, UserNotFoundError
from rolegate.rbac.explain.org import OrgRoleGrant, OrgRolesExplanation, explain_org_roles
from rolegate.rbac.explain.project import Principal, PrincipalNotFoundError

USER_NOT_FOUND = "User with this identifier is not found."
Section = Literal["organization", "custom", "service"]
PrincipalKind = Literal["user", "group"]


@dataclass(frozen=True, slots=True)
class EffectiveRole:
    """One role name the principal holds at ``at``, with every grant that gives it."""

    section: Section
    name: str
    service_definition_id: uuid.UUID | None
    sources: tuple[OrgRoleGrant, ...]  # direct grants first

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the role stops counting: never if one grant is permanent, else the last end."""
        ends = [g.ends_at for g in self.sources]
        if any(end is None for end in ends):
            return None
        return max(end for end in ends if end is not None)

    @property
    def direct(self) -> bool:
        """Held by the principal itself (CSP ``DIRECT``) rather than only through a group."""
        return any(g.via_group is None for g in self.sources)

    @property
    def resource(self) -> str | None:
        return next((g.resource for g in self.sources if g.resource), None)


@dataclass(frozen=True, slots=True)
class EffectiveRoles:
    principal: Principal
    at: dt.datetime
    roles: tuple[EffectiveRole, ...]
    unmatched_bindings: tuple[OrgRoleGrant, ...]  # active, but the condition fails the user

    def section(self, section: Section) -> list[EffectiveRole]:
        return [r for r in self.roles if r.section == section]


def _section(grant: OrgRoleGrant) -> Section | None:
    if grant.kind == "service":
        return "service" if grant.service_definition_id is not None else None
    if grant.kind == "organization":
        return "organization"
    if grant.kind == "custom":
        return "custom"
    # A ctrl-hub binding names a catalogue role (organization) or a custom role.
    return "organization" if grant.role_id is None else "custom"


def group_by_role(explanation: OrgRolesExplanation) -> EffectiveRoles:
    found: dict[tuple[Section, uuid.UUID | None, str], list[OrgRoleGrant]] = {}
    unmatched: list[OrgRoleGrant] = []
    for grant in explanation.grants:
        section = _section(grant)
        if section is None or not grant.active:
            continue
        if grant.condition_matches is False:
            unmatched.append(grant)
            continue
        key = (section, grant.service_definition_id, grant.role)
        found.setdefault(key, []).append(grant)
    roles = [
        EffectiveRole(
            section=section,
            name=name,
            service_definition_id=service,
            sources=tuple(sorted(grants, key=lambda g: g.via_group is not None)),
        )
        for (section, service, name), grants in found.items()
    ]
    return EffectiveRoles(
        principal=explanation.principal,
        at=explanation.at,
        roles=tuple(sorted(roles, key=_order)),
        unmatched_bindings=tuple(unmatched),
    )


def _order(role: EffectiveRole) -> tuple[str, int, str]:
    # Catalogue roles in catalogue order, then by name; services by id.
    catalogue = list(ORG_ROLES)
    rank = catalogue.index(role.name) if role.name in catalogue else len(catalogue)
    return (str(role.service_definition_id or ""), rank, role.name)


async def effective_roles(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: str,
    kind: PrincipalKind,
    principal_id: str,
    at: dt.datetime,
    now: dt.datetime,
) -> EffectiveRoles:
    """Org owner or admin only (like GET …/groups/{groupId}/roles); another org's → 404."""
    org = await authorize(
        session,
        actor,
        parse_id(org_id),
        IAM_ADMIN_ROLES,
        f"read the effective roles of a {kind}",
        now,
    )
    target = parse_id(principal_id)
    if target is not None:
        try:
            explanation = await explain_org_roles(session, Principal(kind, target), org.id, at)
        except PrincipalNotFoundError:
            pass
        else:
            return group_by_role(explanation)
    if kind == "group":
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    raise UserNotFoundError(USER_NOT_FOUND)


def service_sections(roles: Sequence[EffectiveRole]) -> dict[uuid.UUID, list[EffectiveRole]]:
    """Service roles per service definition, services in id order."""
    by_service: dict[uuid.UUID, list[EffectiveRole]] = {}
    for role in roles:
        if role.section == "service" and role.service_definition_id is not None:
            by_service.setdefault(role.service_definition_id, []).append(role)
    return dict(sorted(by_service.items(), key=lambda item: str(item[0])))

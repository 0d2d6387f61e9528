"""Effective roles (core view) → the CSP wire."""

from __future__ import annotations

import datetime as dt

from rolegate.api.csp import explain_schemas as s
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.csp.effective_roles import EffectiveRole, EffectiveRoles, service_sections
from rolegate.rbac.explain.org import OrgRoleGrant


def _epoch(value: dt.datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def _source_fields(grant: OrgRoleGrant) -> dict[str, object]:
    is_binding = grant.kind == "binding"
    direct = grant.via_group is None
    kind = "BINDING" if is_binding else ("DIRECT" if direct else "GROUP")
    return {
        "type": kind,
        "label": grant.source_label,
        "surface": grant.surface,
        "assignmentId": grant.id,
        "groupId": grant.via_group.id if grant.via_group else None,
        "groupName": grant.via_group.name if grant.via_group else None,
        "bindingId": grant.id if is_binding else None,
        "condition": dict(grant.condition) if grant.condition is not None else None,
        "conditionMatches": grant.condition_matches,
        "expiresAt": _epoch(grant.ends_at),
    }


def _binding_fields(role: EffectiveRole) -> dict[str, object]:
    return {
        "name": role.name,
        "resource": role.resource,
        "expiresAt": _epoch(role.expires_at),
        "membershipType": "DIRECT" if role.direct else "GROUP",
        "sources": [s.RoleSource.model_validate(_source_fields(g)) for g in role.sources],
    }


def effective_roles(view: EffectiveRoles) -> s.EffectiveRolesResponse:
    return s.EffectiveRolesResponse(
        at=int(view.at.timestamp()),
        organizationRoles=[
            s.EffectiveOrganizationRoleBinding.model_validate(
                {**_binding_fields(r), "displayName": ORG_ROLES.get(r.name, r.name)}
            )
            for r in view.section("organization")
        ],
        customRoles=[
            s.EffectiveRoleBinding.model_validate(_binding_fields(r))
            for r in view.section("custom")
        ],
        serviceRoles=[
            s.EffectiveServiceRoles(
                serviceDefinitionId=str(service),
                serviceRoleNames=[r.name for r in roles],
                serviceRoles=[
                    s.EffectiveRoleBinding.model_validate(_binding_fields(r)) for r in roles
                ],
            )
            for service, roles in service_sections(view.roles).items()
        ],
        unmatchedBindings=[
            s.UnmatchedBinding.model_validate({**_source_fields(g), "name": g.role})
            for g in view.unmatched_bindings
        ],
    )

"""CSP wire ↔ core objects (the only place ORM rows meet the CSP wire)."""

from __future__ import annotations

import datetime as dt

from rolegate.api.csp import schemas as s
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.csp import group_roles as core
from rolegate.rbac.csp import groups as csp_groups
from rolegate.rbac.csp.views import GroupRow
from rolegate.rbac.models import Organization


def _epoch(value: dt.datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def _epoch_str(value: dt.datetime | None) -> str | None:
    seconds = _epoch(value)
    return str(seconds) if seconds is not None else None


# --- requests -----------------------------------------------------------------------


def _section(
    body: s.UpdateRolesRequest,
    kind: core.Kind,
    path: core.Path,
    service_definition_id: str | None = None,
) -> core.SectionUpdate:
    def names(field: str, values: list[str] | None) -> list[core.BindingSpec]:
        return [
            core.BindingSpec(name=name, path=(*path, field, i), name_path=(*path, field, i))
            for i, name in enumerate(values or [])
        ]

    def bindings(field: str, values: list[s.RoleBindingInput] | None) -> list[core.BindingSpec]:
        return [
            core.BindingSpec(
                name=b.name,
                path=(*path, field, i),
                name_path=(*path, field, i, "name"),
                resource=b.resource,
                expires_at=b.expiresAt,
                fields_set=frozenset(b.model_fields_set & {"resource", "expiresAt"}),
            )
            for i, b in enumerate(values or [])
        ]

    removals = [
        core.BindingSpec(
            name=r.name,
            path=(*path, "rolesToRemove", i),
            name_path=(*path, "rolesToRemove", i, "name"),
        )
        for i, r in enumerate(body.rolesToRemove or [])
    ]
    return core.SectionUpdate(
        kind=kind,
        path=path,
        service_definition_id=service_definition_id,
        to_add=[
            *bindings("rolesToAdd", body.rolesToAdd),
            *names("roleNamesToAdd", body.roleNamesToAdd),
        ],
        to_remove=[*removals, *names("roleNamesToRemove", body.roleNamesToRemove)],
        to_update=bindings("rolesToUpdate", body.rolesToUpdate),
    )


def group_roles_update(body: s.UpdateGroupRolesRequest) -> core.GroupRolesUpdate:
    sections: list[core.SectionUpdate] = []
    if body.organizationRoles is not None:
        sections.append(_section(body.organizationRoles, "organization", ("organizationRoles",)))
    if body.customRoles is not None:
        sections.append(_section(body.customRoles, "custom", ("customRoles",)))
    for i, service in enumerate(body.serviceRoles or []):
        sections.append(
            _section(service, "service", ("serviceRoles", i), service.serviceDefinitionId)
        )
    return core.GroupRolesUpdate(sections=sections, notify_users=bool(body.notifyUsersInGroups))


# --- responses ----------------------------------------------------------------------


def _binding(view: core.RoleView) -> s.RoleBinding:
    ra = view.assignment
    return s.RoleBinding(
        name=view.name,
        resource=ra.resource,
        expiresAt=_epoch(ra.ends_at),
        createdBy=ra.created_by,
        createdDate=_epoch_str(ra.created_at),
        lastUpdatedBy=ra.updated_by,
        lastUpdatedDate=_epoch_str(ra.updated_at),
    )


def _org_binding(view: core.RoleView) -> s.OrganizationRoleBinding:
    return s.OrganizationRoleBinding(
        **_binding(view).model_dump(), displayName=ORG_ROLES.get(view.name, view.name)
    )


def group_roles(view: core.GroupRolesView) -> s.GroupRolesResponse:
    return s.GroupRolesResponse(
        customRoles=[_binding(v) for v in view.custom],
        organizationRoles=[_org_binding(v) for v in view.organization],
        serviceRoles=[
            s.ServiceRoles(
                serviceDefinitionId=str(sd),
                serviceRoleNames=[v.name for v in views],
                serviceRoles=[_binding(v) for v in views],
            )
            for sd, views in sorted(view.service.items(), key=lambda item: str(item[0]))
        ],
    )


def _summary_fields(row: GroupRow, org: Organization) -> dict[str, object]:
    group = row.group
    return {
        "id": group.id,
        "displayName": group.name,
        "description": group.description or "",
        # Groups are local to rolegate (no identity provider): the domain is the org's slug.
        "domain": org.slug,
        "ownerOrgId": group.org_id,
        "usersCount": row.users_count,
    }


def group_summary(row: GroupRow, org: Organization) -> s.GroupSummary:
    return s.GroupSummary.model_validate(_summary_fields(row, org))


def group(view: csp_groups.GroupView) -> s.GroupResponse:
    roles = group_roles(view.roles)
    row = GroupRow(group=view.group, users_count=view.users_count)
    return s.GroupResponse.model_validate(
        {
            **_summary_fields(row, view.org),
            "customRoles": roles.customRoles,
            "organizationRoles": roles.organizationRoles,
            "serviceRoles": roles.serviceRoles,
        }
    )

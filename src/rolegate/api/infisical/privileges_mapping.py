"""Identity privileges: wire requests → core calls, stored rows → wire (endpoint B)."""

from __future__ import annotations

import uuid
from typing import Any

from rolegate.api.infisical import privileges_schemas as s
from rolegate.api.infisical.permission_wire import (
    Issues,
    Path,
    collect_privilege_permission,
    collect_rules,
    raise_if_any,
    rules_out,
)
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.infisical.privileges import PrivilegeChanges, PrivilegeTarget
from rolegate.rbac.infisical.views import PrivilegeFields
from rolegate.rbac.permissions.rules import Rule
from rolegate.rbac.windows import TemporaryWindow


def privilege(row: PrivilegeFields) -> s.IdentityPrivilege:
    return s.IdentityPrivilege(
        id=row.id,
        slug=row.slug,
        projectMembershipId=row.project_membership_id,
        isTemporary=row.is_temporary,
        temporaryMode=row.temporary_mode,
        temporaryRange=row.temporary_range,
        temporaryAccessStartTime=row.starts_at,
        temporaryAccessEndTime=row.ends_at,
        permissions=rules_out(row.permissions),
        createdAt=row.created_at,
        updatedAt=row.updated_at,
    )


def _rules(body: s.PermissionInput, path: Path, issues: Issues) -> list[Rule] | None:
    """``privilegePermission`` wins over ``permissions`` (as in Infisical); None if neither."""
    if body.privilegePermission is not None:
        return collect_privilege_permission(
            body.privilegePermission, (*path, "privilegePermission"), issues
        )
    if body.permissions is not None:
        return collect_rules(body.permissions, (*path, "permissions"), issues)
    return None


def required_rules(body: s.PermissionInput) -> list[Rule]:
    issues: Issues = []
    rules = _rules(body, (), issues)
    raise_if_any(issues)
    if rules is None:
        raise InvalidInputError(
            [
                {
                    "code": "invalid_type",
                    "message": "Either permissions or privilegePermission is required",
                    "path": ["permissions"],
                }
            ]
        )
    return rules


def changes(body: s.UpdateIdentityPrivilegeRequest) -> PrivilegeChanges:
    details = body.privilegeDetails
    issues: Issues = []
    rules = _rules(details, ("privilegeDetails",), issues)
    raise_if_any(issues)
    window = None
    if "isTemporary" in details.model_fields_set:
        window = TemporaryWindow(
            is_temporary=details.isTemporary,
            temporary_mode=details.temporaryMode if details.isTemporary else None,
            temporary_range=details.temporaryRange if details.isTemporary else None,
            start=details.start_time,
        )
    return PrivilegeChanges(slug=details.slug, rules=rules, window=window)


def temporary_window(body: s.CreateTemporaryPrivilegeRequest) -> TemporaryWindow:
    return TemporaryWindow(
        is_temporary=True,
        temporary_mode=body.temporaryMode,
        temporary_range=body.temporaryRange,
        start=body.temporaryAccessStartTime,
    )


def target(
    body: s.CreatePermanentPrivilegeRequest | s.UpdateIdentityPrivilegeRequest,
) -> PrivilegeTarget:
    return PrivilegeTarget(project_slug=body.projectSlug, identity_id=body.identityId)


def privilege_v2(
    row: PrivilegeFields, identity_id: uuid.UUID, project_id: uuid.UUID
) -> s.IdentityPrivilegeV2:
    return s.IdentityPrivilegeV2(
        **dict(privilege(row)), identityId=identity_id, projectId=project_id
    )


def v2_rules(permissions: list[Any]) -> list[Rule]:
    issues: Issues = []
    rules = collect_rules(permissions, ("permissions",), issues)
    raise_if_any(issues)
    return rules or []


def v2_window(kind: s.PrivilegeType) -> TemporaryWindow:
    return TemporaryWindow(
        is_temporary=kind.isTemporary,
        temporary_mode=kind.temporaryMode if kind.isTemporary else None,
        temporary_range=kind.temporaryRange if kind.isTemporary else None,
        start=kind.start_time,
    )


def v2_changes(body: s.UpdatePrivilegeV2Request) -> PrivilegeChanges:
    return PrivilegeChanges(
        slug=body.slug,
        rules=v2_rules(body.permissions) if body.permissions is not None else None,
        window=v2_window(body.type) if body.type is not None else None,
    )

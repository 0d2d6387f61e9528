"""Core objects → Infisical wire schemas (the only place ORM rows meet the wire)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from rolegate.api.infisical import groups_schemas as s
from rolegate.api.infisical.common import format_timestamp
from rolegate.rbac.infisical.project_groups import ProjectRoleSpec
from rolegate.rbac.infisical.views import AssignmentFields, GroupMembershipView, RoleFields

# A membership as its JSON document, built without the models: a project's group list
# built and validated four models per membership and role row, most of a 10,000-group
# list's time (bench/README.md, "Growth"). The models, where a route needs one, are read
# from the same document, so the fields are mapped once; the document must be what the
# model dumps, key for key and in order (``test_documents_are_what_the_models_dump``).


def _timestamp_or_none(value: dt.datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def role_row_document(assignment: AssignmentFields, role: RoleFields | None) -> dict[str, Any]:
    assert assignment.project_membership_id is not None  # noqa: S101 - project rows only
    return {
        "id": str(assignment.id),
        "role": assignment.role_key,
        "customRoleId": None if assignment.role_id is None else str(assignment.role_id),
        "customRoleSlug": role.slug if role is not None else None,
        "projectMembershipId": str(assignment.project_membership_id),
        "isTemporary": assignment.is_temporary,
        "temporaryMode": assignment.temporary_mode,
        "temporaryRange": assignment.temporary_range,
        "temporaryAccessStartTime": _timestamp_or_none(assignment.starts_at),
        "temporaryAccessEndTime": _timestamp_or_none(assignment.ends_at),
        "createdAt": format_timestamp(assignment.created_at),
        "updatedAt": format_timestamp(assignment.updated_at),
    }


def group_membership_document(view: GroupMembershipView) -> dict[str, Any]:
    group_id = str(view.group.id)
    return {
        "id": str(view.membership.id),
        "groupId": group_id,
        "group": {"id": group_id, "name": view.group.name, "slug": view.group.slug},
        "roles": [role_row_document(ra, role) for ra, role in view.roles],
        "createdAt": format_timestamp(view.membership.created_at),
        "updatedAt": format_timestamp(view.membership.updated_at),
    }


def project_group_membership_document(
    view: GroupMembershipView, project_id: uuid.UUID
) -> dict[str, Any]:
    return {**group_membership_document(view), "projectId": str(project_id)}


def group_membership(view: GroupMembershipView) -> s.GroupMembership:
    return s.GroupMembership.model_validate(group_membership_document(view))


def project_group_membership(
    view: GroupMembershipView, project_id: uuid.UUID
) -> s.ProjectGroupMembership:
    return s.ProjectGroupMembership.model_validate(
        project_group_membership_document(view, project_id)
    )


def add_specs(body: s.AddProjectGroupRequest | None) -> list[ProjectRoleSpec]:
    """``roles`` when the body has them, else the one ``role`` (default ``no-access``)."""
    body = body or s.AddProjectGroupRequest()
    if body.roles is not None:
        return _specs(body.roles)
    return [ProjectRoleSpec(role=body.role)]


def role_specs(body: s.UpdateProjectGroupRequest) -> list[ProjectRoleSpec]:
    return _specs(body.roles)


def _specs(roles: list[s.ProjectRoleInput]) -> list[ProjectRoleSpec]:
    return [
        ProjectRoleSpec(
            role=item.role,
            is_temporary=item.isTemporary,
            temporary_mode=item.temporaryMode if item.isTemporary else None,
            temporary_range=item.temporaryRange if item.isTemporary else None,
            temporary_access_start_time=item.start_time,
        )
        for item in roles
    ]

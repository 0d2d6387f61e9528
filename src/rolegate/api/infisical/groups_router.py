"""Infisical routes: groups in projects (endpoint A and its siblings)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from rolegate.api.deps import Session, current_time
from rolegate.api.infisical import groups_mapping as mapping
from rolegate.api.infisical import groups_schemas as s
from rolegate.api.infisical.auth import CurrentActorInProject, InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.responses import ORJSONBody
from rolegate.api.routing import error_responses
from rolegate.api.safe_update import READ_ETAG, SafeWrite
from rolegate.api.safe_update_openapi import (
    READ_ETAG_RESPONSES,
    SAFE_WRITE_OPENAPI,
    WRITE_ETAG_RESPONSES,
)
from rolegate.api.security_schemes import INFISICAL_AUTH
from rolegate.rbac.infisical import project_groups
from rolegate.rbac.infisical.views import GroupMembershipView

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical"],
    responses=error_responses(InfisicalError, 400, 401, 403, 404, 413, 422, 429, 500, 503),
    dependencies=INFISICAL_AUTH,
)


GROUP_PATH = "/api/v2/workspace/{projectId}/groups/{groupId}"
# Infisical deprecated these routes for the membership API; both serve the same store.
DEPRECATED = (
    "Deprecated upstream: use {method} /api/v1/projects/{{projectId}}/memberships/groups/"
    "{{groupId}}, which reads and writes the same memberships."
)


def _membership_response(view: GroupMembershipView) -> s.GroupMembershipResponse:
    return s.GroupMembershipResponse(groupMembership=mapping.group_membership(view))


@router.patch(
    GROUP_PATH,
    summary="Replace a group's roles in a project",
    deprecated=True,
    description=DEPRECATED.format(method="PATCH"),
    openapi_extra=SAFE_WRITE_OPENAPI,
    response_model=s.UpdateProjectGroupResponse,
    responses={**error_responses(InfisicalError, 412), **WRITE_ETAG_RESPONSES},
)
async def update_project_group(
    projectId: uuid.UUID,
    groupId: uuid.UUID,
    body: s.UpdateProjectGroupRequest,
    who: CurrentActorInProject,
    write: SafeWrite,
    session: Session,
) -> Response:
    view = await project_groups.replace_group_roles(
        session,
        who.actor,
        project_id=projectId,
        group_id=groupId,
        specs=mapping.role_specs(body),
        now=current_time(),
        before_write=write.precondition(_membership_response),
        access=who.access,
    )
    # The body is the GET's role rows and the ETag the GET's: the membership is dumped
    # once for both. The bytes are what FastAPI rendered from the response model:
    # pydantic's JSON-mode values, compact, UTF-8 (``test_patch_body_is_what_fastapi_rendered``).
    membership = mapping.group_membership_document(view)
    write.set_etag_of_document({"groupMembership": membership})
    return ORJSONBody({"roles": membership["roles"]})


@router.get(
    GROUP_PATH,
    summary="Get a group's membership in a project",
    deprecated=True,
    description=DEPRECATED.format(method="GET"),
    dependencies=[READ_ETAG],
    response_model=s.GroupMembershipResponse,
    responses=READ_ETAG_RESPONSES,
)
async def get_project_group(
    projectId: uuid.UUID, groupId: uuid.UUID, who: CurrentActorInProject, session: Session
) -> Response:
    view = await project_groups.get_group_membership(
        session,
        who.actor,
        project_id=projectId,
        group_id=groupId,
        now=current_time(),
        access=who.access,
    )
    return ORJSONBody({"groupMembership": mapping.group_membership_document(view)})


@router.post(
    "/api/v2/workspace/{projectId}/groups/{groupIdOrName}",
    summary="Add a group (by ID or name) to a project",
    deprecated=True,
    description=DEPRECATED.format(method="POST"),
)
async def add_project_group(
    projectId: uuid.UUID,
    groupIdOrName: Annotated[str, Path(min_length=1, max_length=255)],
    who: CurrentActorInProject,
    session: Session,
    body: s.AddProjectGroupRequest | None = None,
) -> s.GroupMembershipResponse:
    view = await project_groups.add_group_to_project(
        session,
        who.actor,
        project_id=projectId,
        group=groupIdOrName.strip(),
        specs=mapping.add_specs(body),
        now=current_time(),
        access=who.access,
    )
    return s.GroupMembershipResponse(groupMembership=mapping.group_membership(view))


@router.delete(
    GROUP_PATH,
    summary="Remove a group from a project",
    deprecated=True,
    description=DEPRECATED.format(method="DELETE"),
)
async def remove_project_group(
    projectId: uuid.UUID, groupId: uuid.UUID, who: CurrentActorInProject, session: Session
) -> s.GroupMembershipResponse:
    view = await project_groups.remove_group_from_project(
        session,
        who.actor,
        project_id=projectId,
        group_id=groupId,
        now=current_time(),
        access=who.access,
    )
    return s.GroupMembershipResponse(groupMembership=mapping.group_membership(view))


@router.get(
    "/api/v2/workspace/{projectId}/groups",
    summary="List the groups of a project",
    deprecated=True,
    description="Deprecated upstream: use GET /api/v1/projects/{projectId}/memberships/groups.",
    dependencies=[READ_ETAG],
    response_model=s.GroupMembershipListResponse,
    responses=READ_ETAG_RESPONSES,
)
async def list_project_groups(
    projectId: uuid.UUID, who: CurrentActorInProject, session: Session
) -> Response:
    views = await project_groups.list_group_memberships(
        session, who.actor, project_id=projectId, now=current_time(), access=who.access
    )
    return ORJSONBody({"groupMemberships": [mapping.group_membership_document(v) for v in views]})

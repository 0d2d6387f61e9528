"""Infisical's membership API for groups: ``/api/v1/projects/{projectId}/memberships/groups``.

Upstream restructured the project-group routes under this prefix and deprecated the v2
``/workspace/{projectId}/groups`` routes; newer clients call these. Both families read
and write the same memberships through the same services, so a group added here is the
one the v2 GET returns. Bodies are the v2 ones; validation is upstream's stricter form
(``groupId`` must be a UUID: no name lookup here), and every membership in an answer
carries its ``projectId``.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

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

PREFIX = "/api/v1/projects/{projectId}/memberships/groups"
MEMBERSHIP_PATH = PREFIX + "/{groupId}"


def _document(view: GroupMembershipView, project_id: uuid.UUID) -> s.ProjectGroupMembershipResponse:
    return s.ProjectGroupMembershipResponse(
        groupMembership=mapping.project_group_membership(view, project_id)
    )


@router.get(
    PREFIX,
    summary="List project group memberships",
    dependencies=[READ_ETAG],
    response_model=s.ProjectGroupMembershipListResponse,
    responses=READ_ETAG_RESPONSES,
)
async def list_project_group_memberships(
    projectId: uuid.UUID, who: CurrentActorInProject, session: Session
) -> Response:
    views = await project_groups.list_group_memberships(
        session, who.actor, project_id=projectId, now=current_time(), access=who.access
    )
    documents = [mapping.project_group_membership_document(v, projectId) for v in views]
    return ORJSONBody({"groupMemberships": documents})


@router.post(MEMBERSHIP_PATH, summary="Add a group to a project (create its membership)")
async def create_project_group_membership(
    projectId: uuid.UUID,
    groupId: uuid.UUID,
    who: CurrentActorInProject,
    session: Session,
    body: s.AddProjectGroupRequest | None = None,
) -> s.ProjectGroupMembershipResponse:
    view = await project_groups.add_group_to_project(
        session,
        who.actor,
        project_id=projectId,
        group=groupId,
        specs=mapping.add_specs(body),
        now=current_time(),
        access=who.access,
    )
    return _document(view, projectId)


@router.get(
    MEMBERSHIP_PATH,
    summary="Get a project group membership",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def get_project_group_membership(
    projectId: uuid.UUID, groupId: uuid.UUID, who: CurrentActorInProject, session: Session
) -> s.ProjectGroupMembershipResponse:
    view = await project_groups.get_group_membership(
        session,
        who.actor,
        project_id=projectId,
        group_id=groupId,
        now=current_time(),
        access=who.access,
    )
    return _document(view, projectId)


@router.patch(
    MEMBERSHIP_PATH,
    summary="Replace a project group membership's roles",
    openapi_extra=SAFE_WRITE_OPENAPI,
    response_model=s.UpdateProjectGroupResponse,
    responses={**error_responses(InfisicalError, 412), **WRITE_ETAG_RESPONSES},
)
async def update_project_group_membership(
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
        before_write=write.precondition(lambda current: _document(current, projectId)),
        access=who.access,
    )
    document = {"groupMembership": mapping.project_group_membership_document(view, projectId)}
    write.set_etag_of_document(document)
    return ORJSONBody({"roles": document["groupMembership"]["roles"]})


@router.delete(MEMBERSHIP_PATH, summary="Remove a group from a project")
async def delete_project_group_membership(
    projectId: uuid.UUID, groupId: uuid.UUID, who: CurrentActorInProject, session: Session
) -> s.ProjectGroupMembershipResponse:
    view = await project_groups.remove_group_from_project(
        session,
        who.actor,
        project_id=projectId,
        group_id=groupId,
        now=current_time(),
        access=who.access,
    )
    return _document(view, projectId)

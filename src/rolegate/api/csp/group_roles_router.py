"""CSP routes: group roles (endpoint D) and groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from rolegate.api.csp import mapping
from rolegate.api.csp import schemas as s
from rolegate.api.csp.auth import CspRoute, CurrentActor, CurrentPrincipal
from rolegate.api.csp.errors import CspErrorResponse
from rolegate.api.deps import Session, current_time
from rolegate.api.routing import error_responses
from rolegate.api.safe_update import READ_ETAG, SafeWrite
from rolegate.api.safe_update_openapi import (
    READ_ETAG_RESPONSES,
    SAFE_WRITE_OPENAPI,
    WRITE_ETAG_RESPONSES,
)
from rolegate.api.security_schemes import CSP_AUTH
from rolegate.rbac.csp import group_roles as csp_group_roles
from rolegate.rbac.csp import groups as csp_groups
from rolegate.rbac.errors import InvalidInputError

PREFIX = "/csp/gateway/am/api"
MAX_PAGE_START = 2**31 - 1

router = APIRouter(
    prefix=PREFIX,
    route_class=CspRoute,
    tags=["VMware CSP"],
    responses=error_responses(CspErrorResponse, 400, 401, 403, 404, 409, 500, 503),
    dependencies=CSP_AUTH,
)


GROUP_PATH = "/orgs/{orgId}/groups/{groupId}"


@router.patch(
    GROUP_PATH + "/roles",
    summary="Update roles of a group within an organization (Organization Owner)",
    openapi_extra=SAFE_WRITE_OPENAPI,
    response_class=Response,
    responses={
        200: {
            "description": "Roles updated; the body is empty. The ETag header is the one"
            " the group's GET .../roles now shows.",
            **WRITE_ETAG_RESPONSES[200],
        },
        **error_responses(CspErrorResponse, 409, 412),
    },
)
async def update_group_roles(
    orgId: str,
    groupId: str,
    body: s.UpdateGroupRolesRequest,
    principal: CurrentPrincipal,
    write: SafeWrite,
    session: Session,
) -> Response:
    # CSP answers this PATCH with an empty body; the representation If-Match and ETag
    # refer to is the group's GET .../roles document.
    after = await csp_group_roles.update_group_roles(
        session,
        principal,
        org_id=orgId,
        group_id=groupId,
        update=mapping.group_roles_update(body),
        now=current_time(),
        before_write=write.precondition(mapping.group_roles),
    )
    write.set_etag(mapping.group_roles(after))
    return Response(status_code=200)


@router.get(
    GROUP_PATH + "/roles",
    summary="Get the roles of a group (Organization Owner or Administrator)",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def get_group_roles(
    orgId: str, groupId: str, actor: CurrentActor, session: Session
) -> s.GroupRolesResponse:
    view = await csp_group_roles.get_group_roles(
        session, actor, org_id=orgId, group_id=groupId, now=current_time()
    )
    return mapping.group_roles(view)


@router.get(
    GROUP_PATH,
    summary="Get a group of an organization",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def get_group(
    orgId: str, groupId: str, actor: CurrentActor, session: Session
) -> s.GroupResponse:
    view = await csp_groups.get_group(
        session, actor, org_id=orgId, group_id=groupId, now=current_time()
    )
    return mapping.group(view)


@router.get(
    "/orgs/{orgId}/groups",
    summary="List the groups of an organization (paged)",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def list_groups(
    orgId: str,
    actor: CurrentActor,
    session: Session,
    pageStart: Annotated[
        # CSP's page indexes are Java ints; past that, PostgreSQL's OFFSET overflows.
        int, Query(ge=1, le=MAX_PAGE_START, description="1-based index of the first result")
    ] = 1,
    pageLimit: Annotated[int, Query(ge=1, le=200, description="Results per page")] = 20,
) -> s.GroupsPage:
    page = await csp_groups.list_groups(
        session, actor, org_id=orgId, offset=pageStart - 1, limit=pageLimit, now=current_time()
    )
    base = f"{PREFIX}/orgs/{orgId}/groups"
    shown_until = pageStart - 1 + len(page.groups)
    next_link = (
        f"{base}?pageStart={pageStart + pageLimit}&pageLimit={pageLimit}"
        if shown_until < page.total
        else None
    )
    prev_link = (
        f"{base}?pageStart={max(1, pageStart - pageLimit)}&pageLimit={pageLimit}"
        if pageStart > 1
        else None
    )
    return s.GroupsPage(
        results=[mapping.group_summary(row, page.org) for row in page.groups],
        totalResults=page.total,
        nextLink=next_link,
        prevLink=prev_link,
    )


@router.post(
    "/orgs/{orgId}/groups",
    status_code=201,
    summary="Create a group in an organization (Organization Owner)",
)
async def create_group(
    orgId: str, body: s.CreateGroupRequest, actor: CurrentActor, session: Session
) -> s.GroupResponse:
    name = body.displayName.strip()
    if not name:
        raise InvalidInputError(
            [{"code": "too_small", "message": "must not be blank", "path": ["displayName"]}]
        )
    view = await csp_groups.create_group(
        session,
        actor,
        org_id=orgId,
        display_name=name,
        description=body.description or "",
        now=current_time(),
    )
    return mapping.group(view)

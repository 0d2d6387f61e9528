"""ctrl-hub routes: role groups (endpoint E), their members, and the role catalogue."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate.api.ctrlhub import documents, mapping
from rolegate.api.ctrlhub import schemas as s
from rolegate.api.ctrlhub.auth import FALLBACK, CtrlHubRoute, CurrentActor, CurrentActorInOrg
from rolegate.api.ctrlhub.errors import MEDIA_TYPE, JsonApiResponse
from rolegate.api.deps import Session, current_time
from rolegate.api.safe_update import READ_ETAG, SafeWrite
from rolegate.api.safe_update_openapi import (
    READ_ETAG_RESPONSES,
    SAFE_WRITE_OPENAPI,
    WRITE_ETAG_RESPONSES,
)
from rolegate.api.security_schemes import CTRLHUB_AUTH
from rolegate.rbac.ctrlhub import group_update as role_group_update
from rolegate.rbac.ctrlhub import groups as role_groups

_ERROR = {"model": s.ErrorDocument, "content": {MEDIA_TYPE: {}}}
router = APIRouter(
    route_class=CtrlHubRoute,
    tags=["ctrl-hub"],
    default_response_class=JsonApiResponse,
    responses={
        code: {**_ERROR, "description": "JSON:API error document"}
        # 413 body too large, 422 an Idempotency-Key reused for another request, 429 rate
        # limited: generic answers of the route class, in this surface's document too.
        for code in (400, 401, 403, 404, 406, 409, 413, 415, 422, 429, 500, 503, "default")
    },
    dependencies=CTRLHUB_AUTH,
)


def _body(schema: str) -> dict[str, Any]:
    """Document both request media types (FastAPI lists only application/json)."""
    ref = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    return {"requestBody": {"content": {MEDIA_TYPE: ref, "application/json": ref}}}


GROUPS = "/v3/orgs/{org_id}/iam/groups"
GROUP = GROUPS + "/{group_id}"
DEFAULT_GROUPS_PAGE = 100
MAX_GROUPS_PAGE = 100
#: A list's ``offset``: bounded so it fits the SQL OFFSET's integer (a larger one is a 400).
PageOffset = Annotated[int, Query(ge=0, le=2**31 - 1)]


@router.patch(
    GROUP,
    summary="Update a Role Group",
    openapi_extra={**_body("GroupPatchRequest"), **SAFE_WRITE_OPENAPI},
    responses={
        412: {**_ERROR, "description": "If-Match does not name the current ETag"},
        **WRITE_ETAG_RESPONSES,
    },
)
async def update_group(
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    body: s.GroupPatchRequest,
    auth: CurrentActorInOrg,
    write: SafeWrite,
    session: Session,
) -> s.GroupDocument:
    patch = mapping.group_patch(body, group_id)
    view = await role_group_update.update_group(
        session,
        auth.actor,
        org_id=org_id,
        group_id=group_id,
        patch=patch,
        now=current_time(),
        access=auth.access,
        before_write=write.precondition(documents.group_document),
    )
    document = documents.group_document(view)
    write.set_etag(document)
    return document


@router.get(
    GROUP, summary="Get a Role Group", dependencies=[READ_ETAG], responses=READ_ETAG_RESPONSES
)
async def get_group(
    org_id: uuid.UUID, group_id: uuid.UUID, auth: CurrentActorInOrg, session: Session
) -> s.GroupDocument:
    view = await role_groups.get_group(
        session,
        auth.actor,
        org_id=org_id,
        group_id=group_id,
        now=current_time(),
        access=auth.access,
    )
    return documents.group_document(view)


@router.get(
    GROUPS, summary="List Role Groups", dependencies=[READ_ETAG], responses=READ_ETAG_RESPONSES
)
async def list_groups(
    org_id: uuid.UUID,
    auth: CurrentActorInOrg,
    session: Session,
    # ctrl-hub pages its lists with limit/offset (docs/ctrlhub.md, "Paging"); a request
    # without them gets the first DEFAULT_GROUPS_PAGE groups, as from ctrl-hub.
    limit: Annotated[int, Query(ge=1, le=MAX_GROUPS_PAGE)] = DEFAULT_GROUPS_PAGE,
    offset: PageOffset = 0,
) -> s.GroupListDocument:
    page = await role_groups.list_groups(
        session,
        auth.actor,
        org_id=org_id,
        offset=offset,
        limit=limit,
        now=current_time(),
        access=auth.access,
    )
    return documents.group_list_document(page, f"/v3/orgs/{org_id}/iam/groups")


@router.post(
    GROUPS,
    status_code=201,
    summary="Create a Role Group",
    openapi_extra=_body("GroupCreateRequest"),
)
async def create_group(
    org_id: uuid.UUID,
    body: s.GroupCreateRequest,
    auth: CurrentActorInOrg,
    session: Session,
    response: Response,
) -> s.GroupDocument:
    mapping.check_type(body.data.type, mapping.GROUPS, "/data/type")
    attributes = body.data.attributes
    view = await role_groups.create_group(
        session,
        auth.actor,
        org_id=org_id,
        name=attributes.name,
        description=attributes.description,
        bindings=mapping.bindings(attributes.bindings),
        group_id=body.data.id,
        now=current_time(),
        access=auth.access,
    )
    response.headers["Location"] = f"/v3/orgs/{org_id}/iam/groups/{view.group.id}"
    return documents.group_document(view)


@router.delete(GROUP, status_code=204, summary="Delete a Role Group", response_class=Response)
async def delete_group(
    org_id: uuid.UUID, group_id: uuid.UUID, auth: CurrentActorInOrg, session: Session
) -> Response:
    await role_groups.delete_group(
        session,
        auth.actor,
        org_id=org_id,
        group_id=group_id,
        now=current_time(),
        access=auth.access,
    )
    return Response(status_code=204)


@router.patch(
    GROUP + "/relationships/members",
    summary="Replace a Role Group's members",
    openapi_extra=_body("MembersRequest"),
)
async def replace_members(
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    body: s.MembersRequest,
    auth: CurrentActorInOrg,
    session: Session,
) -> s.MembersDocument:
    view = await role_groups.replace_members(
        session,
        auth.actor,
        org_id=org_id,
        group_id=group_id,
        user_ids=mapping.member_ids(body),
        now=current_time(),
        access=auth.access,
    )
    return documents.members_document(view)


MEMBERS = "/v3/orgs/{org_id}/iam/members"
MAX_MEMBERS_PAGE = 100


@router.get(
    MEMBERS,
    summary="List an organisation's members (users, paged)",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def list_org_members(
    org_id: uuid.UUID,
    auth: CurrentActorInOrg,
    session: Session,
    # The SDK's RequestOptions: limit and offset (its sort/filter/include are not served);
    # ctrl-hub's default page, as for the groups (docs/ctrlhub.md, "Paging").
    limit: Annotated[int, Query(ge=1, le=MAX_MEMBERS_PAGE)] = DEFAULT_GROUPS_PAGE,
    offset: PageOffset = 0,
) -> s.OrgMembersDocument:
    page = await role_groups.list_org_members(
        session,
        auth.actor,
        org_id=org_id,
        offset=offset,
        limit=limit,
        now=current_time(),
        access=auth.access,
    )
    return documents.org_members_document(page, f"/v3/orgs/{org_id}/iam/members")


# /v3/iam/roles is where the SDK reads the catalogue (RolesService); /v3/roles, the path
# rolegate served first, stays as an alias.
@router.get(
    "/v3/iam/roles",
    summary="List the role catalogue of the caller's organisation",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
@router.get(
    "/v3/roles",
    summary="List the role catalogue of the caller's organisation (alias of /v3/iam/roles)",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def list_roles(actor: CurrentActor, session: Session) -> s.RolesDocument:
    return documents.roles_document(
        await role_groups.role_catalogue(session, actor, now=current_time())
    )


# Registered last: any other /v3 request (unknown path, wrong method) still gets a JSON:API
# error document and an X-Trace-Id, instead of the framework's default 404/405 body.
@router.api_route(
    "/v3/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
    openapi_extra=FALLBACK,
)
async def fallback(request: Request) -> Response:
    allowed = sorted(
        {
            method
            for route in router.routes
            if isinstance(route, APIRoute)
            and route.openapi_extra != FALLBACK
            and route.path_regex.match(request.url.path)
            for method in route.methods or ()
        }
    )
    if allowed:
        raise StarletteHTTPException(
            405, f"{request.method} is not allowed here", headers={"Allow": ", ".join(allowed)}
        )
    raise StarletteHTTPException(404, f"No such resource: {request.url.path}")

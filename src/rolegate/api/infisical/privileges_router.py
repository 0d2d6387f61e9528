"""Infisical routes: identity additional privileges (endpoint B and its siblings)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from rolegate.api.deps import Session, current_time
from rolegate.api.infisical import privileges_mapping as mapping
from rolegate.api.infisical import privileges_schemas as s
from rolegate.api.infisical.auth import CurrentActor, InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.routing import error_responses
from rolegate.api.safe_update import READ_ETAG, SafeWrite
from rolegate.api.safe_update_openapi import (
    READ_ETAG_RESPONSES,
    SAFE_WRITE_OPENAPI,
    WRITE_ETAG_RESPONSES,
)
from rolegate.api.security_schemes import INFISICAL_AUTH
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.infisical import privileges
from rolegate.rbac.infisical.privileges import PrivilegeTarget
from rolegate.rbac.infisical.views import PrivilegeFields
from rolegate.rbac.windows import TemporaryWindow

IdentityIdQuery = Annotated[uuid.UUID, Query(description="The machine identity's ID")]
ProjectSlugQuery = Annotated[
    str, Query(min_length=1, max_length=255, description="The project's slug")
]

BASE = "/api/v1/additional-privilege/identity"

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical"],
    responses=error_responses(InfisicalError, 400, 401, 403, 404, 422, 500, 503),
    dependencies=INFISICAL_AUTH,
)


@router.post(f"{BASE}/permanent", summary="Give an identity a permanent additional privilege")
async def create_permanent_privilege(
    body: s.CreatePermanentPrivilegeRequest, actor: CurrentActor, session: Session
) -> s.IdentityPrivilegeResponse:
    row = await privileges.create_privilege(
        session,
        actor,
        target=mapping.target(body),
        slug=body.slug,
        rules=mapping.required_rules(body),
        window=TemporaryWindow(is_temporary=False),
        now=current_time(),
    )
    return s.IdentityPrivilegeResponse(privilege=mapping.privilege(row))


@router.post(f"{BASE}/temporary", summary="Give an identity a temporary additional privilege")
async def create_temporary_privilege(
    body: s.CreateTemporaryPrivilegeRequest, actor: CurrentActor, session: Session
) -> s.IdentityPrivilegeResponse:
    row = await privileges.create_privilege(
        session,
        actor,
        target=mapping.target(body),
        slug=body.slug,
        rules=mapping.required_rules(body),
        window=mapping.temporary_window(body),
        now=current_time(),
    )
    return s.IdentityPrivilegeResponse(privilege=mapping.privilege(row))


def _privilege_response(row: PrivilegeFields) -> s.IdentityPrivilegeResponse:
    """The representation of one privilege: what its GET returns (and its ETag hashes)."""
    return s.IdentityPrivilegeResponse(privilege=mapping.privilege(row))


@router.patch(
    BASE,
    summary="Update an identity's additional privilege",
    openapi_extra=SAFE_WRITE_OPENAPI,
    responses={**error_responses(InfisicalError, 412), **WRITE_ETAG_RESPONSES},
)
async def update_identity_privilege(
    body: s.UpdateIdentityPrivilegeRequest,
    actor: CurrentActor,
    write: SafeWrite,
    session: Session,
) -> s.IdentityPrivilegeResponse:
    row = await privileges.update_privilege(
        session,
        actor,
        target=mapping.target(body),
        privilege_slug=body.privilegeSlug,
        changes=mapping.changes(body),
        now=current_time(),
        before_write=write.precondition(_privilege_response),
    )
    response = _privilege_response(row)
    write.set_etag(response)
    return response


@router.get(
    BASE,
    summary="List an identity's additional privileges in a project",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def list_identity_privileges(
    identityId: IdentityIdQuery,
    projectSlug: ProjectSlugQuery,
    actor: CurrentActor,
    session: Session,
) -> s.IdentityPrivilegeListResponse:
    rows = await privileges.list_privileges(
        session,
        actor,
        target=PrivilegeTarget(project_slug=projectSlug, identity_id=identityId),
        now=current_time(),
    )
    return s.IdentityPrivilegeListResponse(privileges=[mapping.privilege(r) for r in rows])


@router.get(
    f"{BASE}/{{privilegeSlug}}",
    summary="Get an identity's additional privilege",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def get_identity_privilege(
    privilegeSlug: str,
    identityId: IdentityIdQuery,
    projectSlug: ProjectSlugQuery,
    actor: CurrentActor,
    session: Session,
) -> s.IdentityPrivilegeResponse:
    row = await privileges.get_privilege(
        session,
        actor,
        target=PrivilegeTarget(project_slug=projectSlug, identity_id=identityId),
        privilege_slug=privilegeSlug,
        now=current_time(),
    )
    return _privilege_response(row)


@router.delete(BASE, summary="Delete an identity's additional privilege")
async def delete_identity_privilege(
    actor: CurrentActor,
    session: Session,
    body: s.DeletePrivilegeRequest | None = None,
    privilegeSlug: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    identityId: Annotated[uuid.UUID | None, Query()] = None,
    projectSlug: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
) -> s.IdentityPrivilegeResponse:
    # Infisical takes these in the body; clients that cannot send a DELETE body may use
    # the query string. A body value wins.
    given = body or s.DeletePrivilegeRequest()
    values: dict[str, Any] = {
        "privilegeSlug": given.privilegeSlug or privilegeSlug,
        "identityId": given.identityId or identityId,
        "projectSlug": given.projectSlug or projectSlug,
    }
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise InvalidInputError(
            [{"code": "invalid_type", "message": "Required", "path": [name]} for name in missing]
        )
    row = await privileges.delete_privilege(
        session,
        actor,
        target=PrivilegeTarget(
            project_slug=values["projectSlug"], identity_id=values["identityId"]
        ),
        privilege_slug=values["privilegeSlug"],
        now=current_time(),
    )
    return s.IdentityPrivilegeResponse(privilege=mapping.privilege(row))

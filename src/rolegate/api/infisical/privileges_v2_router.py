"""Infisical's Privileges V2: identity privileges by id, as Terraform's permissions_v2 uses.

``POST/GET/PATCH/DELETE /api/v2/identity-project-additional-privilege[/{id}]``. The
checks, locks, boundary and audit are V1's (see ``rbac/infisical/privileges_v2.py``);
answers are V1's privilege plus ``identityId`` and ``projectId``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from rolegate.api.deps import Session, current_time
from rolegate.api.infisical import privileges_mapping as mapping
from rolegate.api.infisical import privileges_schemas as s
from rolegate.api.infisical.auth import CurrentActor, InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.routing import error_responses
from rolegate.api.security_schemes import INFISICAL_AUTH
from rolegate.rbac.infisical import privileges_v2
from rolegate.rbac.infisical.views import PrivilegeFields, PrivilegeLocation

BASE = "/api/v2/identity-project-additional-privilege"

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical"],
    responses=error_responses(InfisicalError, 400, 401, 403, 404, 422, 500, 503),
    dependencies=INFISICAL_AUTH,
)


def _answer(found: PrivilegeLocation, row: PrivilegeFields) -> s.IdentityPrivilegeV2Response:
    return s.IdentityPrivilegeV2Response(
        privilege=mapping.privilege_v2(row, found.identity_id, found.project_id)
    )


@router.post(BASE, summary="Give an identity an additional privilege (V2)")
async def create_privilege_v2(
    body: s.CreatePrivilegeV2Request, actor: CurrentActor, session: Session
) -> s.IdentityPrivilegeV2Response:
    project_id, row = await privileges_v2.create_privilege(
        session,
        actor,
        project_id=body.projectId,
        identity_id=body.identityId,
        slug=body.slug,
        rules=mapping.v2_rules(body.permissions),
        window=mapping.v2_window(body.type),
        now=current_time(),
    )
    return s.IdentityPrivilegeV2Response(
        privilege=mapping.privilege_v2(row, body.identityId, project_id)
    )


@router.get(f"{BASE}/{{id}}", summary="Get an identity's additional privilege by id (V2)")
async def get_privilege_v2(
    id: uuid.UUID, actor: CurrentActor, session: Session
) -> s.IdentityPrivilegeV2Response:
    found, row = await privileges_v2.get_privilege(
        session, actor, privilege_id=id, now=current_time()
    )
    return _answer(found, row)


@router.patch(f"{BASE}/{{id}}", summary="Update an identity's additional privilege by id (V2)")
async def update_privilege_v2(
    id: uuid.UUID, body: s.UpdatePrivilegeV2Request, actor: CurrentActor, session: Session
) -> s.IdentityPrivilegeV2Response:
    found, row = await privileges_v2.update_privilege(
        session, actor, privilege_id=id, changes=mapping.v2_changes(body), now=current_time()
    )
    return _answer(found, row)


@router.delete(f"{BASE}/{{id}}", summary="Delete an identity's additional privilege by id (V2)")
async def delete_privilege_v2(
    id: uuid.UUID, actor: CurrentActor, session: Session
) -> s.IdentityPrivilegeV2Response:
    found, row = await privileges_v2.delete_privilege(
        session, actor, privilege_id=id, now=current_time()
    )
    return _answer(found, row)


@router.get(BASE, summary="List an identity's additional privileges in a project (V2)")
async def list_privileges_v2(
    identityId: Annotated[uuid.UUID, Query()],
    projectId: Annotated[uuid.UUID, Query()],
    actor: CurrentActor,
    session: Session,
) -> s.IdentityPrivilegeV2ListResponse:
    rows = await privileges_v2.list_privileges(
        session, actor, project_id=projectId, identity_id=identityId, now=current_time()
    )
    return s.IdentityPrivilegeV2ListResponse(
        privileges=[mapping.privilege_v2(row, identityId, projectId) for row in rows]
    )

"""CSP routes that explain access: a group's or user's effective roles at a moment.

Not in CSP; they follow its conventions (paths under ``/csp/gateway/am/api/orgs``, the
``csp-auth-token`` header, epoch seconds, the CSP error envelope) so its tooling applies.
"""

from __future__ import annotations

from fastapi import APIRouter

from rolegate.api.csp import explain_mapping as mapping
from rolegate.api.csp import explain_schemas as s
from rolegate.api.csp.auth import CspRoute, CurrentActor
from rolegate.api.csp.errors import CspErrorResponse
from rolegate.api.deps import At, Session, current_time
from rolegate.api.routing import error_responses
from rolegate.api.security_schemes import CSP_AUTH
from rolegate.rbac.csp import effective_roles as csp_effective_roles

router = APIRouter(
    prefix="/csp/gateway/am/api",
    route_class=CspRoute,
    tags=["VMware CSP: effective access"],
    responses=error_responses(CspErrorResponse, 400, 401, 403, 404, 500, 503),
    dependencies=CSP_AUTH,
)


@router.get(
    "/orgs/{orgId}/groups/{groupId}/effective-roles",
    summary="A group's roles from every surface at a moment, with their sources"
    " (Organization Owner or Administrator)",
)
async def group_effective_roles(
    orgId: str, groupId: str, actor: CurrentActor, session: Session, at: At = None
) -> s.EffectiveRolesResponse:
    now = current_time()
    view = await csp_effective_roles.effective_roles(
        session, actor, org_id=orgId, kind="group", principal_id=groupId, at=at or now, now=now
    )
    return mapping.effective_roles(view)


@router.get(
    "/orgs/{orgId}/users/{userId}/effective-roles",
    summary="A user's roles (own, through groups, by ctrl-hub bindings) at a moment,"
    " with their sources (Organization Owner or Administrator)",
)
async def user_effective_roles(
    orgId: str, userId: str, actor: CurrentActor, session: Session, at: At = None
) -> s.EffectiveRolesResponse:
    now = current_time()
    view = await csp_effective_roles.effective_roles(
        session, actor, org_id=orgId, kind="user", principal_id=userId, at=at or now, now=now
    )
    return mapping.effective_roles(view)

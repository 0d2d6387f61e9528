"""Infisical routes that explain access: effective permissions and the permission check.

Neither exists in Infisical; they follow its conventions (paths under ``/api/v1/projects``,
Bearer auth, camelCase, its error envelope) so that its clients' tooling applies.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from rolegate.api.deps import Session, current_time
from rolegate.api.infisical import explain_mapping as mapping
from rolegate.api.infisical import explain_schemas as s
from rolegate.api.infisical.auth import CurrentActorInProject, InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.replica import READ_ONLY
from rolegate.api.responses import ORJSONBody
from rolegate.api.routing import error_responses
from rolegate.api.security_schemes import INFISICAL_AUTH
from rolegate.rbac.explain import project as explain

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical: effective access"],
    responses=error_responses(InfisicalError, 401, 403, 404, 422, 500, 503),
    dependencies=INFISICAL_AUTH,
)


@router.get(
    "/api/v1/projects/{projectId}/effective-permissions",
    summary="Every rule a principal has in a project, with its source, window and overrides",
    response_model=s.EffectivePermissionsResponse,
)
async def effective_permissions(
    projectId: uuid.UUID,
    who: CurrentActorInProject,
    session: Session,
    identityId: Annotated[uuid.UUID | None, Query()] = None,
    userId: Annotated[uuid.UUID | None, Query()] = None,
    groupId: Annotated[uuid.UUID | None, Query()] = None,
    at: Annotated[str | None, Query(description="RFC 3339 moment; default now")] = None,
) -> Response:
    now = current_time()
    principal = mapping.principal_from(["query"], identityId, userId, groupId)
    moment = mapping.moment(at, ["query", "at"], now)
    explanation = await explain.explain_for_actor(
        session,
        who.actor,
        project_id=projectId,
        principal=principal,
        at=moment,
        now=now,
        access=who.access,
    )
    return ORJSONBody(mapping.effective_permissions(explanation))


@router.post(
    "/api/v1/projects/{projectId}/permission-check",
    summary="Whether a principal may do an action, decided by the enforcement engine",
    openapi_extra=READ_ONLY,  # a question: it may be answered by the read replica
    response_model=s.PermissionCheckResponse,
)
async def permission_check(
    projectId: uuid.UUID,
    body: s.PermissionCheckRequest,
    who: CurrentActorInProject,
    session: Session,
) -> Response:
    now = current_time()
    ref = body.principal
    principal = mapping.principal_from(["principal"], ref.identityId, ref.userId, ref.groupId)
    question = mapping.check_question(body)
    moment = mapping.moment(body.at, ["at"], now)
    result = await explain.check_for_actor(
        session,
        who.actor,
        project_id=projectId,
        principal=principal,
        at=moment,
        now=now,
        access=who.access,
        **question,
    )
    return ORJSONBody(mapping.check_result(result))

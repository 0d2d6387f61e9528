"""``GET /api/v1/audit-logs``: the org's audit trail on the Infisical surface.

Not one of Infisical's routes (its own lives under ``/organization/audit-logs`` with
another event model); this one shows rolegate's events as stored: actor, surface,
target, before and after. Org-scoped: an identity reads its own org's events and needs
``read`` on ``audit-logs`` (org admins have it).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.api.deps import current_time
from rolegate.api.infisical.auth import CurrentActor, InfisicalRoute
from rolegate.api.infisical.common import InfisicalModel, Timestamp
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.routing import error_responses, get_session
from rolegate.api.safe_update import READ_ETAG
from rolegate.api.safe_update_openapi import READ_ETAG_RESPONSES
from rolegate.api.security_schemes import INFISICAL_AUTH
from rolegate.rbac import audit
from rolegate.rbac.models import AuditEvent

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Audit"],
    responses=error_responses(InfisicalError, 400, 401, 403, 413, 422, 429, 500, 503),
    dependencies=INFISICAL_AUTH,
)


class AuditActor(InfisicalModel):
    type: str
    id: str


class AuditTarget(InfisicalModel):
    type: str
    id: str


class AuditLog(InfisicalModel):
    id: uuid.UUID
    createdAt: Timestamp
    surface: str
    action: str
    actor: AuditActor
    target: AuditTarget
    before: Any
    after: Any
    requestId: str | None


class AuditLogsResponse(InfisicalModel):
    auditLogs: list[AuditLog]


def audit_log(event: AuditEvent) -> AuditLog:
    return AuditLog(
        id=event.id,
        createdAt=event.created_at,
        surface=event.surface,
        action=event.action,
        actor=AuditActor(type=event.actor_type, id=event.actor_id),
        target=AuditTarget(type=event.target_type, id=event.target_id),
        before=event.before,
        after=event.after,
        requestId=event.request_id,
    )


@router.get(
    "/api/v1/audit-logs",
    summary="List the org's audit events, newest first",
    dependencies=[READ_ETAG],
    responses=READ_ETAG_RESPONSES,
)
async def list_audit_logs(
    actor: CurrentActor,
    session: Annotated[AsyncSession, Depends(get_session)],
    since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only events since then: a duration ago (`1h`, `30m`, `7d`) or an"
            " ISO 8601 timestamp with a time zone.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
) -> AuditLogsResponse:
    now = current_time()
    events = await audit.list_org_events(
        session,
        actor,
        since=audit.parse_since(since, now) if since is not None else None,
        limit=limit,
        now=now,
    )
    return AuditLogsResponse(auditLogs=[audit_log(event) for event in events])

"""Reading the audit trail: who changed what, on which surface, from what to what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import audit_repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.rbac.errors import InvalidInputError, PermissionDeniedError
from rolegate.rbac.evaluation import actor_org_rules
from rolegate.rbac.models import AuditEvent
from rolegate.rbac.moments import OutsideCalendarError, to_utc
from rolegate.rbac.permissions.rules import Ability

MAX_LIMIT = 1000


def parse_since(value: str, now: dt.datetime) -> dt.datetime:
    """``1h``, ``30m``, ``2d`` (ago, npm ``ms`` format) or an ISO 8601 timestamp with a zone."""
    text = value.strip()
    try:
        return now - dt.timedelta(milliseconds=parse_ms_duration(text))
    except InvalidDurationError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _since_error(
            "since must be a duration such as 1h or 30m, or an ISO 8601 timestamp with a time zone"
        )
    try:
        return to_utc(parsed)
    except OutsideCalendarError as exc:
        raise _since_error(f"since {exc}") from exc


def _since_error(message: str) -> InvalidInputError:
    return InvalidInputError([{"code": "invalid_string", "message": message, "path": ["since"]}])


async def list_org_events(
    session: AsyncSession,
    actor: Actor,
    *,
    since: dt.datetime | None,
    limit: int,
    now: dt.datetime,
) -> list[AuditEvent]:
    """The audit events of the actor's org, newest first; needs ``read`` on ``audit-logs``."""
    rules = await actor_org_rules(session, actor, now)
    if not Ability(rules).can("read", "audit-logs"):
        raise PermissionDeniedError("You are not allowed to read on audit-logs")
    return await audit_repository.list_events(
        session, org_id=actor.org_id, since=since, limit=min(limit, MAX_LIMIT)
    )

"""``rolegate audit``: print audit events for an operator (every org unless --org)."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from typing import Any

import orjson

from rolegate.rbac import audit, audit_repository
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.models import AuditEvent
from rolegate.runtime import Runtime, run


def event_record(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "createdAt": event.created_at.astimezone(dt.UTC).isoformat(),
        "orgId": str(event.org_id) if event.org_id else None,
        "surface": event.surface,
        "action": event.action,
        "actor": {"type": event.actor_type, "id": event.actor_id},
        "target": {"type": event.target_type, "id": event.target_id},
        "before": event.before,
        "after": event.after,
        "requestId": event.request_id,
    }


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def format_event(record: dict[str, Any]) -> str:
    actor, target = record["actor"], record["target"]
    return (
        f"{record['createdAt']}  {record['surface']}  {actor['type']}:{actor['id']}"
        f"  {record['action']}  {target['type']}:{target['id']}\n"
        f"    before: {_json(record['before'])}\n"
        f"    after:  {_json(record['after'])}"
    )


def print_events(
    runtime: Runtime, *, since: str, org_id: uuid.UUID | None, limit: int, as_json: bool
) -> None:
    now = dt.datetime.now(dt.UTC)
    try:
        start = audit.parse_since(since, now)
    except InvalidInputError as exc:
        raise ValueError(str(exc)) from exc
    events = run(
        runtime.in_transaction(
            lambda session: audit_repository.list_events(
                session, org_id=org_id, since=start, limit=limit
            )
        )
    )
    for event in events:
        record = event_record(event)
        sys.stdout.write((_json(record) if as_json else format_event(record)) + "\n")
    if not as_json:
        sys.stderr.write(f"{len(events)} event(s) since {start.isoformat()}\n")

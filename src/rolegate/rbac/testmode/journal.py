"""The request journal: what a client sent, with its secrets taken out, for the client's
own tests to assert on (``GET /_rolegate/requests``).

Kept in PostgreSQL so that every worker answers with every worker's requests; bounded
to the newest ``journal_size`` rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.testmode import journal_repository
from rolegate.rbac.testmode.models import JournaledRequest

REDACTED = "[redacted]"
# Header names are compared lower-cased (ASGI gives them so).
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "csp-auth-token", "x-session-token", "cookie"}
)
# Body and query fields, compared lower-cased with - and _ removed: clientSecret,
# client_secret, api_token, refresh_token, accessToken, password ...
SECRET_FIELDS = frozenset(
    {"clientsecret", "password", "apitoken", "refreshtoken", "accesstoken", "token", "secret"}
)
SURFACES = ("infisical", "csp", "ctrlhub", "other")


def surface_of(path: str) -> str:
    if path.startswith("/csp/"):
        return "csp"
    if path.startswith("/v3/"):
        return "ctrlhub"
    if path.startswith("/api/"):
        return "infisical"
    return "other"


def _secret_field(name: str) -> bool:
    return name.lower().replace("_", "").replace("-", "") in SECRET_FIELDS


def redact_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers by name (repeated ones joined with ", "); a credential keeps its scheme
    (``Bearer [redacted]``) so a test can still see which kind was sent."""
    found: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in SECRET_HEADERS:
            scheme, space, _ = value.partition(" ")
            value = f"{scheme} {REDACTED}" if space and name.endswith("authorization") else REDACTED
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if _secret_field(k) else v) for k, v in pairs])


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if _secret_field(str(k)) else _redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    return value


def redact_body(body: bytes, content_type: str, limit: int) -> str | None:
    """The body as text with secret fields replaced, cut to ``limit`` bytes; None when empty.

    JSON and form bodies are redacted field by field; any other body is kept only when it
    is UTF-8 (a test can assert on it), else described by its size.
    """
    if not body:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return f"<{len(body)} bytes, not UTF-8>"
    if media == "application/x-www-form-urlencoded":
        text = redact_query(text)
    elif media.endswith("json"):
        # Not JSON after all: journaled as sent, so the test sees what went wrong.
        with contextlib.suppress(ValueError):
            text = json.dumps(_redact_json(json.loads(text)), ensure_ascii=False)
    return text.encode()[:limit].decode(errors="ignore")


async def record(
    session: AsyncSession,
    *,
    keep: int,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: str | None,
    status: int,
) -> None:
    await journal_repository.append(
        session,
        keep,
        received_at=dt.datetime.now(dt.UTC),
        surface=surface_of(path),
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        status=status,
    )


async def newest(
    session: AsyncSession, *, surface: str | None, path: str | None, limit: int
) -> Sequence[JournaledRequest]:
    return await journal_repository.newest(session, surface=surface, path=path, limit=limit)


async def clear(session: AsyncSession) -> None:
    await journal_repository.clear(session)

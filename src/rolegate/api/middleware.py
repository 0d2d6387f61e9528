"""ASGI middleware: request id, one JSON log line per request, metrics, body size limit.

Pure ASGI (not BaseHTTPMiddleware) so it adds no task hop per request and sees the
status of every response, including the ones our route classes render.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import structlog
from fastapi import HTTPException
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolegate.context import request_id_var

log = structlog.get_logger("rolegate.request")

REQUESTS = Counter("rolegate_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "rolegate_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "<unmatched>"


def _too_large_body(path: str, request_id: str, limit: int) -> bytes:
    """413 in the envelope of the surface the path belongs to."""
    message = f"Request body is larger than {limit} bytes"
    body: dict[str, Any]
    if path.startswith("/csp/"):
        body = {
            "statusCode": 413,
            "message": message,
            "errorCode": "PAYLOAD_TOO_LARGE",
            "cspErrorCode": "PAYLOAD_TOO_LARGE",
            "moduleCode": 0,
            "requestId": request_id,
        }
    elif path.startswith("/v3/"):
        body = {
            "errors": [{"status": "413", "title": "Payload Too Large", "detail": message}],
            "jsonapi": {"version": "1.0"},
        }
    elif path.startswith("/oauth2/"):  # ctrl-hub's token endpoint speaks OAuth's form
        body = {"error": "invalid_request", "error_description": message}
    else:
        body = {
            "reqId": request_id,
            "statusCode": 413,
            "message": message,
            "error": "PayloadTooLarge",
        }
    return orjson.dumps(body)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int = 1024 * 1024) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}

        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._send_too_large(scope, send, request_id)
            status_holder["status"] = 413
            self._finish(scope, status_holder["status"], started)
            request_id_var.reset(token)
            structlog.contextvars.clear_contextvars()
            return

        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLargeError(limit)
            return message

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except _BodyTooLargeError:
            status_holder["status"] = 413
            await self._send_too_large(scope, send, request_id)
        finally:
            self._finish(scope, status_holder["status"], started)
            request_id_var.reset(token)
            structlog.contextvars.clear_contextvars()

    async def _send_too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        body = _too_large_body(scope.get("path", ""), request_id, self.max_body_bytes)
        ctrlhub = scope.get("path", "").startswith("/v3/")
        media = b"application/vnd.api+json" if ctrlhub else b"application/json"
        # ctrl-hub clients read the trace id from X-Trace-Id on every response.
        id_header = b"x-trace-id" if ctrlhub else b"x-request-id"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", media),
                    (b"content-length", str(len(body)).encode()),
                    (id_header, request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _finish(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(scope)
        method = scope.get("method", "")
        REQUESTS.labels(method, route, str(status)).inc()
        LATENCY.labels(method, route).observe(elapsed)
        log.info(
            "request",
            method=method,
            route=route,
            path=scope.get("path"),
            status=status,
            latency_ms=round(elapsed * 1000, 2),
        )


class _BodyTooLargeError(HTTPException):
    """Raised from ``receive`` once a streamed (chunked) body passes the limit.

    A FastAPI HTTPException so that FastAPI's body reader re-raises it instead of turning
    it into a 400, and a surface's route class renders it as a 413 in its own envelope;
    anything else that reads the body lets it reach this middleware, which answers 413.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

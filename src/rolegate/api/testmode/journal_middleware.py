"""Records every request in the journal (test mode only), before its response leaves.

Written before the response starts so that a test which got its response can read the
request back at once; in its own transaction, so a request that failed and rolled back
is journaled all the same. The body is read in full up front and replayed to the app:
a request refused before its body was read (a 401) is journaled with what it carried.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolegate.config import TestModeSettings
from rolegate.rbac.testmode import journal

log = logging.getLogger("rolegate.api")

# Test mode's own routes and the probes: what a client's tests assert on is the rest.
_UNJOURNALED = ("/_rolegate", "/healthz", "/readyz", "/metrics")


class JournalMiddleware:
    def __init__(self, app: ASGIApp, settings: TestModeSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(_UNJOURNALED):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replay = _replay([{"type": "http.request", "body": body, "more_body": False}], receive)

        async def journaling_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._record(scope, body, message["status"])
            await send(message)

        await self.app(scope, replay, journaling_send)

    async def _record(self, scope: Scope, body: bytes, status: int) -> None:
        headers = journal.redact_headers(scope.get("headers", []))
        try:
            maker: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
            async with maker() as session, session.begin():
                await journal.record(
                    session,
                    keep=self.settings.journal_size,
                    method=scope.get("method", ""),
                    path=scope.get("path", ""),
                    query=journal.redact_query(scope.get("query_string", b"").decode("latin-1")),
                    headers=headers,
                    body=journal.redact_body(
                        body, headers.get("content-type", ""), self.settings.journal_body_bytes
                    ),
                    status=status,
                )
        except Exception:
            # The journal is a test aid: losing one entry must not fail the request.
            log.warning("could not journal a request", exc_info=True)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replayed

"""Deliver the notification outbox over SMTP (aiosmtplib), inside ``rolegate serve``.

Each round claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and keeps them locked
while it sends, then marks each delivered (or schedules a retry with exponential
backoff) in the same transaction. Several workers — in one process, several uvicorn
workers or several replicas — never send the same row at the same time, and a row is
marked delivered once. A crash between the SMTP server's "250 OK" and the commit can
resend that one message on the next round: the only duplicate SMTP itself allows; each
message carries its row id in ``X-Rolegate-Notification-Id`` so it can be recognised.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.rbac import outbox
from rolegate.rbac.models import NotificationOutbox

if TYPE_CHECKING:
    # Imported when delivery starts, not with the app: aiosmtplib pulls in the email
    # package's header parser, ~1% of every cold start's import, and most deployments
    # never set ROLEGATE_SMTP_URL.
    import aiosmtplib

log = logging.getLogger("rolegate.outbox")


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool | None = None  # None: upgrade when the server offers STARTTLS


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user:pass@]host[:port][?starttls=true|false]`` or ``smtps://…``."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError(f"ROLEGATE_SMTP_URL must look like smtp://host:port, got {url!r}")
    tls = parts.scheme == "smtps"
    start_tls: bool | None = None
    flag = parse_qs(parts.query).get("starttls", [""])[0].lower()
    if flag in {"true", "1", "yes"}:
        start_tls = True
    elif flag in {"false", "0", "no"}:
        start_tls = False
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=tls,
        start_tls=False if tls else start_tls,
    )


def _message(row: NotificationOutbox, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["X-Rolegate-Notification-Id"] = str(row.id)
    message.set_content(row.body)
    return message


class OutboxWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        target: SmtpTarget,
        sender: str,
        *,
        batch_size: int = 50,
        poll_interval: float = 1.0,
        smtp_timeout: float = 10.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.target = target
        self.sender = sender
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.smtp_timeout = smtp_timeout
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _client(self) -> aiosmtplib.SMTP:
        import aiosmtplib

        t = self.target
        return aiosmtplib.SMTP(
            hostname=t.hostname,
            port=t.port,
            username=t.username,
            password=t.password,
            use_tls=t.use_tls,
            start_tls=t.start_tls,
            timeout=self.smtp_timeout,
        )

    async def run_once(self) -> int:
        """One round: claim, send, mark. Returns how many rows it claimed."""
        import aiosmtplib

        async with self.sessionmaker() as session, session.begin():
            now = dt.datetime.now(dt.UTC)
            rows = await outbox.claim_due(session, now, self.batch_size)
            if not rows:
                return 0
            pending = list(rows)
            try:
                async with self._client() as smtp:
                    while pending:
                        row = pending[0]
                        try:
                            await smtp.send_message(_message(row, self.sender))
                        except (
                            aiosmtplib.SMTPRecipientsRefused,
                            aiosmtplib.SMTPResponseException,
                        ) as exc:
                            # Refused for this message only; the connection is still good.
                            await outbox.mark_failed_attempt(session, row, f"refused: {exc}", now)
                        else:
                            await outbox.mark_delivered(session, row.id, dt.datetime.now(dt.UTC))
                        pending.pop(0)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                # The server is unreachable or dropped us: every row not yet sent waits.
                log.warning("SMTP delivery failed (%s); %d rows will be retried", exc, len(pending))
                for row in pending:
                    await outbox.mark_failed_attempt(
                        session, row, f"{type(exc).__name__}: {exc}", now
                    )
            return len(rows)

    async def run(self) -> None:
        log.info(
            "notification outbox worker delivering to %s:%d", self.target.hostname, self.target.port
        )
        while not self._stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception:
                # A database outage must not kill the worker: it resumes when the DB is back.
                log.exception("notification outbox round failed")
                claimed = 0
            if claimed < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.poll_interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="rolegate-outbox-worker")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task


def start_worker(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> OutboxWorker | None:
    """Start delivering when ``ROLEGATE_SMTP_URL`` is set; otherwise say where mail waits."""
    if not settings.smtp_url:
        log.info(
            "ROLEGATE_SMTP_URL is not set: notifications stay in the notification_outbox table"
        )
        return None
    # Loaded here, at the worker's startup, so the first delivery round does not stall
    # the event loop on the import while requests are being served.
    import aiosmtplib  # noqa: F401

    worker = OutboxWorker(sessionmaker, parse_smtp_url(settings.smtp_url), settings.smtp_from)
    worker.start()
    return worker

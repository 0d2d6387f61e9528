"""notifyUsersInGroups: outbox rows in the PATCH's transaction, delivered over real SMTP.

The SMTP server is aiosmtpd listening on a free loopback port (bound to port 0) in the
test's own event loop: the worker talks real SMTP to it, nothing is mocked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.main import create_app
from rolegate.outbox_worker import OutboxWorker, SmtpTarget, parse_smtp_url
from rolegate.rbac.models import NotificationOutbox
from tests.api.csp.conftest import (
    API_TOKENS,
    EMPTY_GROUP,
    ENGINEERING,
    ORG,
    WORLD,
    Tokens,
    csp,
    exchange,
    roles_url,
)
from tests.conftest import seed_into

NOTIFY_TWO_ROLES = {
    "notifyUsersInGroups": True,
    "organizationRoles": {"roleNamesToAdd": ["developer"]},
    "customRoles": {"roleNamesToAdd": ["on-call"]},
}


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.recipients.extend(envelope.rcpt_tos)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
async def smtp_sink() -> AsyncIterator[tuple[Sink, int]]:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="localhost", loop=loop), host="127.0.0.1", port=0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield sink, port
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def outbox_rows(session: AsyncSession) -> list[NotificationOutbox]:
    stmt = select(NotificationOutbox).order_by(NotificationOutbox.recipient)
    return list((await session.execute(stmt.execution_options(populate_existing=True))).scalars())


async def add_bulk_members(session: AsyncSession, group: str, count: int) -> None:
    """``count`` new users in the group, in two set-based statements (no ORM loop)."""
    await session.execute(
        text(
            "INSERT INTO users (id, org_id, email, profile, attributes, created_at, updated_at)"
            " SELECT gen_random_uuid(), :org, 'bulk-' || n || '@acme.test', '{}', '{}',"
            " now(), now() FROM generate_series(1, :count) AS n"
        ),
        {"org": uuid.UUID(ORG), "count": count},
    )
    await session.execute(
        text(
            "INSERT INTO group_members (group_id, user_id)"
            " SELECT :group, id FROM users WHERE email LIKE 'bulk-%@acme.test'"
        ),
        {"group": uuid.UUID(group)},
    )
    await session.commit()


# --- outbox rows, in the request's transaction -----------------------------------------


async def test_notify_writes_one_outbox_row_per_member_and_change(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    response = await client.patch(roles_url(), json=NOTIFY_TWO_ROLES, headers=csp(tokens.owner))
    assert response.status_code == 200, response.text

    rows = await outbox_rows(session)
    assert len(rows) == 4  # 2 members x 2 changes
    assert sorted(r.recipient for r in rows) == [
        "dev@acme.test",
        "dev@acme.test",
        "member@acme.test",
        "member@acme.test",
    ]
    assert {r.status for r in rows} == {"pending"}
    assert all(str(r.group_id) == ENGINEERING and "Engineering" in r.subject for r in rows)
    bodies = sorted(r.body.splitlines()[0] for r in rows if r.recipient == "dev@acme.test")
    assert bodies[0].startswith("Added custom role on-call")
    assert bodies[1].startswith("Added organization role developer")


async def test_no_notification_without_the_flag_or_without_a_change(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    quiet = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    noop = {"notifyUsersInGroups": True, "organizationRoles": {"roleNamesToRemove": ["org_admin"]}}
    for body in (quiet, noop):
        response = await client.patch(roles_url(), json=body, headers=csp(tokens.owner))
        assert response.status_code == 200, response.text

    assert await outbox_rows(session) == []


async def test_refused_patch_leaves_no_notification(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    body = {**NOTIFY_TWO_ROLES, "customRoles": {"rolesToUpdate": [{"name": "release-manager"}]}}
    response = await client.patch(roles_url(), json=body, headers=csp(tokens.owner))

    assert response.status_code == 400
    assert await outbox_rows(session) == []


@pytest.mark.parametrize(("members", "expected"), [(1000, 1000), (1001, 0)])
async def test_groups_over_1000_users_get_no_notifications(
    client: httpx.AsyncClient,
    tokens: Tokens,
    session: AsyncSession,
    members: int,
    expected: int,
) -> None:
    await add_bulk_members(session, EMPTY_GROUP, members)
    body = {"notifyUsersInGroups": True, "organizationRoles": {"roleNamesToAdd": ["developer"]}}
    response = await client.patch(roles_url(ORG, EMPTY_GROUP), json=body, headers=csp(tokens.owner))

    assert response.status_code == 200, response.text
    count = (await session.execute(select(func.count()).select_from(NotificationOutbox))).scalar()
    assert count == expected
    roles = (await client.get(roles_url(ORG, EMPTY_GROUP), headers=csp(tokens.owner))).json()
    assert [r["name"] for r in roles["organizationRoles"]] == ["developer"]


# --- delivery ---------------------------------------------------------------------------


async def test_worker_delivers_each_row_once_to_a_real_smtp_server(
    client: httpx.AsyncClient,
    tokens: Tokens,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_sink: tuple[Sink, int],
) -> None:
    sink, port = smtp_sink
    response = await client.patch(roles_url(), json=NOTIFY_TWO_ROLES, headers=csp(tokens.owner))
    assert response.status_code == 200
    worker = OutboxWorker(sessionmaker, SmtpTarget("127.0.0.1", port), "rolegate@acme.test")

    assert await worker.run_once() == 4
    assert await worker.run_once() == 0  # nothing left: delivered rows are never sent again

    assert sorted(sink.recipients) == sorted(["dev@acme.test", "member@acme.test"] * 2)
    ids = {m["X-Rolegate-Notification-Id"] for m in sink.messages}
    rows = await outbox_rows(session)
    assert ids == {str(r.id) for r in rows}
    assert all(r.status == "delivered" and r.attempts == 1 and r.delivered_at for r in rows)
    assert all(m["From"] == "rolegate@acme.test" for m in sink.messages)


async def test_unreachable_smtp_is_retried_with_backoff_then_delivered(
    client: httpx.AsyncClient,
    tokens: Tokens,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp_sink: tuple[Sink, int],
) -> None:
    sink, port = smtp_sink
    body = {"notifyUsersInGroups": True, "organizationRoles": {"roleNamesToAdd": ["developer"]}}
    assert (
        await client.patch(roles_url(), json=body, headers=csp(tokens.owner))
    ).status_code == 200
    down = OutboxWorker(sessionmaker, SmtpTarget("127.0.0.1", closed_port()), "rolegate@acme.test")

    before = dt.datetime.now(dt.UTC)
    assert await down.run_once() == 2
    rows = await outbox_rows(session)
    assert all(r.status == "pending" and r.attempts == 1 and r.last_error for r in rows)
    assert all(r.next_attempt_at >= before + dt.timedelta(seconds=4) for r in rows)
    assert await down.run_once() == 0  # not due yet: backing off

    await session.execute(
        update(NotificationOutbox).values(next_attempt_at=dt.datetime.now(dt.UTC))
    )
    await session.commit()
    up = OutboxWorker(sessionmaker, SmtpTarget("127.0.0.1", port), "rolegate@acme.test")
    assert await up.run_once() == 2
    rows = await outbox_rows(session)
    assert all(r.status == "delivered" and r.attempts == 2 for r in rows)
    assert len(sink.messages) == 2


def test_smtp_url_parsing() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525)
    secure = parse_smtp_url("smtps://mailer:p%40ss@mail.example.com")
    assert secure == SmtpTarget(
        "mail.example.com", 465, "mailer", "p@ss", use_tls=True, start_tls=False
    )
    assert parse_smtp_url("smtp://m.example.com?starttls=true").start_tls is True
    with pytest.raises(ValueError, match="smtp://host:port"):
        parse_smtp_url("http://example.com")


# --- with real commits: the app's own worker, and workers racing ----------------------


@pytest.mark.committed
async def test_serve_lifespan_worker_delivers_a_patch_notification_once_per_member(
    committed: dict[str, Any],
    engine: AsyncEngine,
    settings: Settings,
    smtp_sink: tuple[Sink, int],
) -> None:
    sink, port = smtp_sink
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    app = create_app(
        settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"}), engine=engine
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://rolegate.test") as client,
    ):
        token = await exchange(client, API_TOKENS["owner"])
        body = {"notifyUsersInGroups": True, "customRoles": {"roleNamesToAdd": ["on-call"]}}
        response = await client.patch(roles_url(), json=body, headers=csp(token))
        assert response.status_code == 200, response.text
        await wait_until_none_pending(committed["sessionmaker"])

    assert sorted(sink.recipients) == ["dev@acme.test", "member@acme.test"]


async def wait_until_none_pending(maker: async_sessionmaker[AsyncSession]) -> None:
    for _ in range(300):
        async with maker() as session:
            pending = (
                await session.execute(
                    select(func.count())
                    .select_from(NotificationOutbox)
                    .where(NotificationOutbox.status == "pending")
                )
            ).scalar()
        if pending == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pending} notifications still pending")


@pytest.mark.committed
async def test_concurrent_workers_send_every_row_exactly_once(
    committed: dict[str, Any], smtp_sink: tuple[Sink, int]
) -> None:
    sink, port = smtp_sink
    maker = committed["sessionmaker"]
    async with maker() as session:
        await seed_into(session, WORLD)
        await add_bulk_members(session, ENGINEERING, 28)  # 30 members
    client = committed["client"]
    token = await exchange(client, API_TOKENS["owner"])
    response = await client.patch(roles_url(), json=NOTIFY_TWO_ROLES, headers=csp(token))
    assert response.status_code == 200, response.text

    workers = [
        OutboxWorker(maker, SmtpTarget("127.0.0.1", port), "rolegate@acme.test", batch_size=7)
        for _ in range(4)
    ]
    while True:
        claimed = await asyncio.gather(*(w.run_once() for w in workers))
        if not any(claimed):
            break

    ids = [m["X-Rolegate-Notification-Id"] for m in sink.messages]
    assert len(ids) == 60 and len(set(ids)) == 60
    async with maker() as session:
        rows = await outbox_rows(session)
    assert len(rows) == 60
    assert all(r.status == "delivered" and r.attempts == 1 for r in rows)

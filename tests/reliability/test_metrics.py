"""/metrics: requests by route and status, DB pool in use, outbox backlog at scrape time."""

from __future__ import annotations

import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import NotificationOutbox
from tests.api.infisical.conftest import ORG
from tests.conftest import bearer
from tests.reliability.conftest import URL, Tokens


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_report_outbox_backlog_and_pool(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    await session.execute(
        insert(NotificationOutbox),
        [
            {
                "id": uuid.uuid4(),
                "org_id": uuid.UUID(ORG),
                "recipient": f"r{i}@acme.test",
                "subject": "s",
                "body": "b",
                "status": status,
            }
            for i, status in enumerate(["pending", "pending", "delivered", "failed"])
        ],
    )
    await session.commit()

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    values = samples(response.text)
    assert values[("rolegate_notification_outbox_backlog", ())] == 2
    assert ("rolegate_db_pool_connections_in_use", ()) in values
    assert ("rolegate_db_pool_size", ()) in values


async def test_requests_are_counted_by_route_and_status(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    route = "/api/v2/workspace/{projectId}/groups/{groupId}"
    key = ("rolegate_http_requests_total", (("method", "GET"), ("route", route), ("status", "404")))
    before = samples((await client.get("/metrics")).text).get(key, 0.0)
    missing = URL.replace(URL[-4:], "dead")
    await client.get(missing, headers=bearer(tokens.admin))
    await client.get(missing, headers=bearer(tokens.admin))

    after = samples((await client.get("/metrics")).text)[key]

    assert after == before + 2

"""Faults with real processes: a database outage, SIGTERM with a request in flight,
metrics merged across ``--workers 2`` and a killed worker. Each starts ``rolegate serve``
on 19100-19199."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import Server
from bench.outage import run_outage
from bench.procs import serve_workers
from rolegate.config import Settings
from tests.api.infisical.conftest import ADMIN, ENGINEERING, PROJECT, WORLD
from tests.conftest import bearer, infisical_token, seed_into, until_waiting_on_a_lock
from tests.reliability.conftest import URL

pytestmark = pytest.mark.committed


async def test_database_outage_is_503_then_recovers_without_losing_a_2xx() -> None:
    figures = await run_outage(before=1.0, down=1.5, after=1.0, concurrency=3)
    assert figures.passed, figures.report()


@pytest.fixture
async def server(
    committed: dict[str, Any], database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Server]:
    workers = getattr(request, "param", 1)
    running = await asyncio.to_thread(Server, database_url, workers=workers, migrate=False)
    try:
        yield running
    finally:
        await asyncio.to_thread(running.close)


async def test_sigterm_drains_an_in_flight_patch_and_commits_it(
    server: Server, committed: dict[str, Any], settings: Settings, engine: AsyncEngine
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    async with (
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as client,
        engine.connect() as blocker,
    ):
        # Hold the membership row so the PATCH is certainly in flight when SIGTERM lands.
        await blocker.begin()
        await blocker.execute(
            text(
                "SELECT 1 FROM project_memberships WHERE project_id = :p AND group_id = :g"
                " FOR UPDATE"
            ),
            {"p": PROJECT, "g": ENGINEERING},
        )
        in_flight = asyncio.create_task(
            client.patch(URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(token))
        )
        await until_waiting_on_a_lock(committed["sessionmaker"], in_flight)

        server.terminate()
        refused = False
        for _ in range(200):  # the listening socket closes; new connections are refused
            try:
                async with httpx.AsyncClient(base_url=server.base_url, timeout=2) as fresh:
                    await fresh.get("/healthz")
            except httpx.TransportError:
                refused = True
                break
            await asyncio.sleep(0.025)
        assert not in_flight.done()
        await blocker.rollback()
        response = await in_flight

    assert refused
    assert response.status_code == 200, response.text
    assert [r["role"] for r in response.json()["roles"]] == ["viewer"]
    # uvicorn re-raises the signal once it has drained, so the exit reads "killed by TERM".
    assert await asyncio.to_thread(server.wait) in {0, -signal.SIGTERM}
    async with engine.connect() as conn:
        roles = await conn.scalars(
            text(
                "SELECT ra.role_key FROM role_assignments ra"
                " JOIN project_memberships pm ON pm.id = ra.project_membership_id"
                " WHERE pm.project_id = :p AND pm.group_id = :g AND ra.surface = 'infisical'"
            ),
            {"p": PROJECT, "g": ENGINEERING},
        )
        assert list(roles) == ["viewer"]


def gauge(exposition: str, name: str) -> float | None:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return None


def request_count(exposition: str, route: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if (
                sample.name == "rolegate_http_requests_total"
                and sample.labels.get("route") == route
                and sample.labels.get("status") == "200"
            ):
                return sample.value
    return 0.0


@pytest.mark.parametrize("server", [2], indirect=True)
async def test_metrics_with_two_workers_count_every_request_once(server: Server) -> None:
    # No keep-alive: each request is a new connection that either worker may accept.
    limits = httpx.Limits(max_keepalive_connections=0)
    pool_size = Settings().db.pool_size
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=10) as client:
        # Each worker reports its pool when its app has started; the merged gauge adds
        # them up, so it reaches twice the pool size once both workers are serving.
        for _ in range(300):
            merged = gauge((await client.get("/metrics")).text, "rolegate_db_pool_size")
            if merged == 2.0 * pool_size:
                break
            await asyncio.sleep(0.1)
        assert merged == 2.0 * pool_size
        before = request_count((await client.get("/metrics")).text, "/healthz")
        for _ in range(20):
            assert (await client.get("/healthz")).status_code == 200
        scrapes = [(await client.get("/metrics")).text for _ in range(6)]

    # Whichever worker answers a scrape reports the sum over both workers.
    assert {gauge(s, "rolegate_db_pool_size") for s in scrapes} == {2.0 * pool_size}
    assert {request_count(s, "/healthz") for s in scrapes} == {before + 20}
    assert all(gauge(s, "rolegate_db_pool_connections_in_use") is not None for s in scrapes)


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


async def test_a_killed_worker_is_replaced_and_its_gauges_leave_the_merged_metrics(
    committed: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    server = await asyncio.to_thread(
        Server,
        database_url,
        workers=2,
        migrate=False,
        env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
    )
    pool_size = Settings().db.pool_size

    def pool_gauge_file(pid: int) -> Path:
        return tmp_path / f"gauge_livesum_{pid}.db"

    try:
        # /healthz answers as soon as the first worker serves; gunicorn forks the second
        # up to 0.1 s later.
        await until(lambda: len(serve_workers(server.process.pid)) == 2, "both are forked")
        workers = serve_workers(server.process.pid)
        await until(lambda: all(pool_gauge_file(p).exists() for p in workers), "both serve")
        victim, survivor = workers
        os.kill(victim, signal.SIGKILL)

        def replaced() -> list[int]:
            return [p for p in serve_workers(server.process.pid) if p != survivor]

        await until(lambda: bool(replaced()) and victim not in replaced(), "a new worker")
        await until(lambda: pool_gauge_file(replaced()[0]).exists(), "the new worker serves")
        await until(lambda: not pool_gauge_file(victim).exists(), "the dead worker is dropped")
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            scrape = (await client.get("/metrics")).text
            ready = await client.get("/readyz")
    finally:
        await asyncio.to_thread(server.close)

    # Two live workers, each with its pool: the dead one no longer counts.
    assert gauge(scrape, "rolegate_db_pool_size") == 2.0 * pool_size
    assert ready.status_code == 200


@pytest.mark.parametrize("server", [2], indirect=True)
async def test_sigint_to_the_server_alone_stops_it_promptly(server: Server) -> None:
    # Ctrl-C signals the whole process group; `kill -INT <pid>` only the arbiter, which
    # then asks its workers for a quick shutdown (SIGQUIT). They must not linger until
    # the 25 s kill.
    server.process.send_signal(signal.SIGINT)
    assert await asyncio.to_thread(server.wait, 10) == 0


@pytest.mark.parametrize("shutdown", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_while_a_worker_is_still_forking_is_not_lost(
    committed: dict[str, Any], database_url: str, tmp_path: Path, shutdown: signal.Signals
) -> None:
    # The second worker pauses between its fork and installing its own handlers; the
    # signal lands then. Before the fix the worker never saw it and the arbiter waited
    # its full 25 s before killing it.
    marker = tmp_path / "second-worker-forked"
    pause = 3.0
    command = [sys.executable, str(Path(__file__).with_name("slow_worker_boot.py"))]
    env = {"SLOW_WORKER_MARKER": str(marker), "SLOW_WORKER_SECONDS": str(pause)}
    server = await asyncio.to_thread(
        Server, database_url, workers=2, migrate=False, command=command, env=env
    )
    try:
        await until(marker.exists, "the second worker's pause")
        server.process.send_signal(shutdown)
        assert await asyncio.to_thread(server.wait, pause + 7) == 0
    finally:
        await asyncio.to_thread(server.close)

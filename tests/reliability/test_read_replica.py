"""ROLEGATE_DATABASE_READ_URL against a real hot standby (streaming replication).

A primary and a streaming standby from the pgserver wheel's binaries on loopback TCP
(``bench/cluster.py``), ``rolegate serve`` with the primary as its database and the
standby as its read URL. Replay on the standby is paused to make the two tell apart: a
read that shows the state from before a PATCH was served by the standby, a write that
depends on the PATCH's state succeeding was run on the primary.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench import cluster
from bench.harness import Server
from rolegate import migrations
from rolegate.api.replica import reads_only
from rolegate.config import Settings
from rolegate.db import create_engine
from rolegate.main import create_app
from tests.api.csp import conftest as csp_world
from tests.api.infisical.conftest import ADMIN, ENGINEERING, PROJECT, WORLD
from tests.conftest import bearer, seed_into

pytestmark = pytest.mark.committed

URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"
CHECK = f"/api/v1/projects/{PROJECT}/permission-check"
# What the engineering group may do: its role decides it (member: yes, viewer: no).
QUESTION = {
    "principal": {"groupId": ENGINEERING},
    "action": "edit",
    "subject": "secrets",
    "fields": {"environment": "dev", "secretPath": "/"},
}
VIEWER = {"roles": [{"role": "viewer"}]}
MEMBER = {"roles": [{"role": "member"}]}


@dataclass
class Cluster:
    primary: cluster.Node
    standby: cluster.Node
    server: Server
    client: httpx.AsyncClient
    token: str


def _renamed(world: dict[str, Any], suffix: str) -> dict[str, Any]:
    copy = deepcopy(world)
    for org in copy["organizations"]:
        org["slug"] += suffix
    return copy


async def _prepare(settings: Settings, url: str) -> None:
    engine = create_engine(settings, url)
    try:
        await migrations.upgrade(engine)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        async with maker() as session:
            await seed_into(session, WORLD)
            await seed_into(session, _renamed(csp_world.WORLD, "-csp"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def nodes(settings: Settings) -> Iterator[tuple[cluster.Node, cluster.Node]]:
    root = cluster.workdir("rolegate-read-replica-")
    primary = cluster.Node(root, "primary")
    standby = cluster.Node(root, "standby")
    try:
        primary.initdb({"max_connections": "100", "wal_level": "replica"})
        primary.start()
        primary.psql("CREATE DATABASE rolegate")
        asyncio.run(_prepare(settings, primary.url()))
        standby.base_backup(primary, {"hot_standby": "on"})
        standby.start()
        yield primary, standby
    finally:
        standby.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
async def world(nodes: tuple[cluster.Node, cluster.Node]) -> AsyncIterator[Cluster]:
    primary, standby = nodes
    env = {
        "ROLEGATE_DATABASE_READ_URL": standby.url(),
        "ROLEGATE_DB__READ_RETRY_SECONDS": "1",
        # For /_rolegate/tokens/*; those routes stay on the primary.
        "ROLEGATE_TEST_MODE": "true",
    }
    server = await asyncio.to_thread(Server, primary.url(), env=env, migrate=False)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            minted = await client.post("/_rolegate/tokens/infisical", json={"identityId": ADMIN})
            assert minted.status_code == 200, minted.text
            yield Cluster(primary, standby, server, client, minted.json()["token"])
    finally:
        await asyncio.to_thread(server.close)


@pytest.fixture
def paused(world: Cluster) -> Iterator[None]:
    """Replay on the standby paused (after it caught up), resumed after the test."""
    cluster.wait_caught_up(world.primary, world.standby, 15)
    world.standby.psql("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        world.standby.psql("SELECT pg_wal_replay_resume()")


async def _roles(world: Cluster) -> tuple[list[str], str]:
    response = await world.client.get(URL, headers=bearer(world.token))
    assert response.status_code == 200, response.text
    roles = [r["role"] for r in response.json()["groupMembership"]["roles"]]
    return roles, response.headers["etag"]


async def _allowed(world: Cluster) -> bool:
    response = await world.client.post(CHECK, json=QUESTION, headers=bearer(world.token))
    assert response.status_code == 200, response.text
    allowed: bool = response.json()["allowed"]
    return allowed


async def _patch(world: Cluster, body: dict[str, Any], etag: str | None = None) -> httpx.Response:
    headers = bearer(world.token) | ({"If-Match": etag} if etag else {})
    return await world.client.patch(URL, json=body, headers=headers)


async def _fallbacks(world: Cluster, reason: str) -> float:
    text = (await world.client.get("/metrics")).text
    found = re.search(rf'rolegate_db_read_fallbacks_total{{reason="{reason}"}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def replica_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route whose requests the route class sends to the replica."""
    found = set()
    for route in app.routes:
        routed = isinstance(route, APIRoute) and getattr(route, "replica_reads", False)
        if routed and reads_only(route):
            found |= {(method, route.path) for method in route.methods}
    return found


def test_only_reads_and_the_permission_check_are_routed_to_the_replica(
    settings: Settings,
) -> None:
    routes = replica_routes(create_app(settings.model_copy(update={"test_mode": True})))
    non_get = {(m, p) for m, p in routes if m not in {"GET", "HEAD"}}
    assert non_get == {("POST", "/api/v1/projects/{projectId}/permission-check")}
    assert ("GET", URL.replace(PROJECT, "{projectId}").replace(ENGINEERING, "{groupId}")) in routes
    assert not [p for _, p in routes if p.startswith("/_rolegate")]


async def test_reads_are_served_by_the_standby_and_writes_by_the_primary(
    world: Cluster, paused: None
) -> None:
    assert (await _patch(world, MEMBER)).status_code == 200
    await asyncio.to_thread(world.standby.psql, "SELECT pg_wal_replay_resume()")
    await asyncio.to_thread(cluster.wait_caught_up, world.primary, world.standby, 15)
    await asyncio.to_thread(world.standby.psql, "SELECT pg_wal_replay_pause()")
    before, etag = await _roles(world)
    assert before == ["member"]
    allowed_before = await _allowed(world)

    patched = await _patch(world, VIEWER, etag)
    assert patched.status_code == 200, patched.text
    new_etag = patched.headers["etag"]
    assert new_etag != etag

    # Replay is paused: the GET and the explain answer from the standby, the old state.
    assert await _roles(world) == (["member"], etag)
    assert await _allowed(world) == allowed_before
    # The writes' own reads (the If-Match comparison, the row lock) are the primary's:
    # the new ETag matches there, the old one the standby still serves is stale.
    assert (await _patch(world, VIEWER, etag)).status_code == 412
    assert (await _patch(world, VIEWER, new_etag)).status_code == 200

    await asyncio.to_thread(world.standby.psql, "SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 15
    while (await _roles(world))[0] != ["viewer"]:
        assert time.monotonic() < deadline, "the standby never showed the PATCH"
        await asyncio.sleep(0.05)
    # The check's answer moved with it (so the test above could have failed).
    assert await _allowed(world) != allowed_before


async def test_a_token_issued_while_the_standby_lags_is_accepted(
    world: Cluster, paused: None
) -> None:
    minted = await world.client.post("/_rolegate/tokens/infisical", json={"identityId": ADMIN})
    fresh = minted.json()["token"]
    before = await _fallbacks(world, "unauthenticated")
    response = await world.client.get(URL, headers=bearer(fresh))
    assert response.status_code == 200, response.text
    assert await _fallbacks(world, "unauthenticated") == before + 1


async def test_every_read_route_runs_on_a_hot_standby(world: Cluster) -> None:
    """A hot standby refuses any write (and a READ ONLY transaction would too): none of
    these reads may need one (a write in one is a 500), and none fell back to the primary."""
    await asyncio.to_thread(cluster.wait_caught_up, world.primary, world.standby, 15)
    org = csp_world.ORG
    csp = await world.client.post("/_rolegate/tokens/csp", json={"email": "owner@acme.test"})
    ctrl = await world.client.post(
        "/_rolegate/tokens/ctrlhub", json={"email": "owner@acme.test", "org": org}
    )
    assert csp.status_code == ctrl.status_code == 200, (csp.text, ctrl.text)
    infisical = bearer(world.token)
    csp_headers = {"csp-auth-token": csp.json()["token"]}
    ctrl_headers = {"X-Session-Token": ctrl.json()["token"]}
    group, user = csp_world.ENGINEERING, csp_world.OWNER
    reads: list[tuple[str, dict[str, str]]] = [
        (URL, infisical),
        (f"/api/v2/workspace/{PROJECT}/groups", infisical),
        (f"/api/v1/projects/{PROJECT}/memberships/groups", infisical),
        (f"/api/v1/projects/{PROJECT}/memberships/groups/{ENGINEERING}", infisical),
        (f"/api/v1/projects/{PROJECT}/effective-permissions?identityId={ADMIN}", infisical),
        (
            f"/api/v1/additional-privilege/identity?identityId={ADMIN}&projectSlug=backend",
            infisical,
        ),
        (
            f"/api/v2/identity-project-additional-privilege?identityId={ADMIN}&projectId={PROJECT}",
            infisical,
        ),
        ("/api/v1/project-templates", infisical),
        ("/api/v2/workspace/backend", infisical),
        ("/api/v1/audit-logs", infisical),
        (f"/csp/gateway/am/api/orgs/{org}/groups", csp_headers),
        (f"/csp/gateway/am/api/orgs/{org}/groups/{group}", csp_headers),
        (f"/csp/gateway/am/api/orgs/{org}/groups/{group}/roles", csp_headers),
        (f"/csp/gateway/am/api/orgs/{org}/groups/{group}/users", csp_headers),
        (f"/csp/gateway/am/api/orgs/{org}/groups/{group}/effective-roles", csp_headers),
        (f"/csp/gateway/am/api/orgs/{org}/users/{user}/effective-roles", csp_headers),
        (f"/v3/orgs/{org}/iam/groups", ctrl_headers),
        (f"/v3/orgs/{org}/iam/groups/{group}", ctrl_headers),
        (f"/v3/orgs/{org}/iam/users/{user}/effective-bindings", ctrl_headers),
        (f"/v3/orgs/{org}/iam/groups/{group}/bindings/explain?user_id={user}", ctrl_headers),
        (f"/v3/orgs/{org}/iam/members", ctrl_headers),
        ("/v3/iam/roles", ctrl_headers),
    ]
    failed_before = await _fallbacks(world, "failed")
    answers = {}
    for path, headers in reads:
        response = await world.client.get(path, headers=headers)
        answers[path] = response.status_code
        assert response.status_code == 200, (path, response.text)
    assert await _fallbacks(world, "failed") == failed_before, answers
    assert "Traceback" not in world.server.log()


async def test_reads_go_to_the_primary_while_the_standby_is_down(world: Cluster) -> None:
    await asyncio.to_thread(cluster.wait_caught_up, world.primary, world.standby, 15)
    current, _ = await _roles(world)
    failed = await _fallbacks(world, "failed")
    await asyncio.to_thread(world.standby.stop)
    try:
        for _ in range(5):
            assert (await _roles(world))[0] == current
        assert await _fallbacks(world, "failed") >= failed + 1
        ready = await world.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ok"
        assert ready.json()["replica"] == "unreachable"
    finally:
        await asyncio.to_thread(world.standby.start)
    # Once the retry interval (1 s here) has passed, reads go back to the standby: with
    # replay paused, a PATCH is not visible to them.
    await asyncio.to_thread(cluster.wait_caught_up, world.primary, world.standby, 15)
    await asyncio.sleep(1.2)
    ready = await world.client.get("/readyz")
    assert ready.json()["replica"] == "ok"
    await asyncio.to_thread(world.standby.psql, "SELECT pg_wal_replay_pause()")
    try:
        before, _ = await _roles(world)
        target = MEMBER if before == ["viewer"] else VIEWER
        assert (await _patch(world, target)).status_code == 200
        assert (await _roles(world))[0] == before
    finally:
        await asyncio.to_thread(world.standby.psql, "SELECT pg_wal_replay_resume()")

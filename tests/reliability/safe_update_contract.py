"""The safe-update contract every PATCH keeps, written once and run per surface.

A surface's test module describes its PATCH and read-back GET in a ``Surface`` and
subclasses ``SafeUpdateContract``; the tests below then run against it: ETag on the GET
and the PATCH, If-Match compared under the row lock (412 in the surface's envelope,
exactly one winner among concurrent PATCHes), Idempotency-Key replay and misuse, and a
dry run that writes nothing (no rows, no audit event, no stored response).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.rbac.models import IdempotencyKey
from tests.reliability.conftest import audit_count

Headers = dict[str, str]
# Seeds the surface's world and returns the auth headers of an actor allowed to PATCH.
Login = Callable[[AsyncSession, Settings, httpx.AsyncClient], Awaitable[Headers]]


@dataclass(frozen=True)
class Surface:
    get_url: str
    patch_url: str
    # At least four valid changes; each one changes the resource's representation.
    bodies: list[dict[str, Any]]
    login: Login
    # Asserts that a response is the surface's error envelope with this status.
    envelope: Callable[[httpx.Response, int], object]
    # True when the GET document shows ``bodies[index]`` applied.
    shows: Callable[[dict[str, Any], int], bool]
    get_params: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    # CSP answers its PATCH (and a dry run of it) with 200 and no body.
    empty_patch_body: bool = False


class SafeUpdateContract:
    """Subclass as ``TestXxx`` with ``surface = Surface(...)``."""

    surface: ClassVar[Surface]

    @pytest.fixture
    async def auth(
        self, session: AsyncSession, settings: Settings, client: httpx.AsyncClient
    ) -> Headers:
        return await self.surface.login(session, settings, client)

    async def read(self, client: httpx.AsyncClient, auth: Headers) -> tuple[str, dict[str, Any]]:
        """The GET's ETag and document."""
        response = await client.get(
            self.surface.get_url, params=self.surface.get_params, headers=auth
        )
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return response.headers["etag"], document

    async def patch(
        self,
        client: httpx.AsyncClient,
        auth: Headers,
        index: int,
        query: str = "",
        **headers: str,
    ) -> httpx.Response:
        return await client.patch(
            self.surface.patch_url + query,
            content=json.dumps(self.surface.bodies[index]),
            headers={
                **auth,
                "Content-Type": self.surface.content_type,
                **{name.replace("_", "-"): value for name, value in headers.items()},
            },
        )

    def assert_patched(self, response: httpx.Response, index: int) -> None:
        assert response.status_code == 200, response.text
        if self.surface.empty_patch_body:
            assert response.content == b""
        else:
            assert self.surface.shows(response.json(), index), response.text

    # --- ETag / If-Match -------------------------------------------------------------

    async def test_patch_with_the_get_etag_succeeds_and_returns_the_next_get_etag(
        self, client: httpx.AsyncClient, auth: Headers
    ) -> None:
        before, _ = await self.read(client, auth)
        assert before.startswith('"') and not before.startswith("W/")

        patched = await self.patch(client, auth, 0, If_Match=before)

        self.assert_patched(patched, 0)
        after, document = await self.read(client, auth)
        assert patched.headers["etag"] == after != before
        assert self.surface.shows(document, 0)

    async def test_get_etag_is_stable_while_nothing_changes(
        self, client: httpx.AsyncClient, auth: Headers
    ) -> None:
        assert await self.read(client, auth) == await self.read(client, auth)

    async def test_stale_if_match_is_412_in_the_envelope_and_changes_nothing(
        self, client: httpx.AsyncClient, auth: Headers, session: AsyncSession
    ) -> None:
        stale, _ = await self.read(client, auth)
        self.assert_patched(await self.patch(client, auth, 0), 0)
        current = await self.read(client, auth)
        audits = await audit_count(session)

        refused = await self.patch(client, auth, 1, If_Match=stale)

        self.surface.envelope(refused, 412)
        assert await self.read(client, auth) == current
        assert await audit_count(session) == audits

    @pytest.mark.committed
    async def test_concurrent_patches_with_one_if_match_let_exactly_one_through(
        self, committed: dict[str, Any], settings: Settings
    ) -> None:
        client: httpx.AsyncClient = committed["client"]
        async with committed["sessionmaker"]() as session:
            auth = await self.surface.login(session, settings, client)
            etag, _ = await self.read(client, auth)
            audits = await audit_count(session)
        indexes = [i % len(self.surface.bodies) for i in range(8)]

        responses = await asyncio.gather(
            *(self.patch(client, auth, i, If_Match=etag) for i in indexes)
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * (len(indexes) - 1), [r.text for r in responses]
        for response in responses:
            if response.status_code == 412:
                self.surface.envelope(response, 412)
        winner = next(i for i, r in zip(indexes, responses, strict=True) if r.status_code == 200)
        winner_etag = next(r.headers["etag"] for r in responses if r.status_code == 200)
        current, document = await self.read(client, auth)
        assert winner_etag == current and self.surface.shows(document, winner)
        async with committed["sessionmaker"]() as session:
            assert await audit_count(session) == audits + 1

    # --- Idempotency-Key ---------------------------------------------------------------

    async def test_idempotency_key_replays_the_first_response_and_writes_once(
        self, client: httpx.AsyncClient, auth: Headers, session: AsyncSession
    ) -> None:
        audits = await audit_count(session)

        first = await self.patch(client, auth, 0, Idempotency_Key="once")
        again = await self.patch(client, auth, 0, Idempotency_Key="once")

        self.assert_patched(first, 0)
        assert again.status_code == first.status_code
        assert again.content == first.content  # same ids and timestamps: a replay
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers.get("content-type") == first.headers.get("content-type")
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await audit_count(session) == audits + 1

    async def test_idempotency_key_with_another_body_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, auth: Headers, session: AsyncSession
    ) -> None:
        self.assert_patched(await self.patch(client, auth, 0, Idempotency_Key="reused"), 0)
        current = await self.read(client, auth)
        audits = await audit_count(session)

        other = await self.patch(client, auth, 1, Idempotency_Key="reused")

        self.surface.envelope(other, 422)
        assert "Idempotency-Key" in other.text
        assert await self.read(client, auth) == current
        assert await audit_count(session) == audits

    # --- dry run -----------------------------------------------------------------------

    async def test_dry_run_answers_like_the_patch_and_writes_nothing(
        self, client: httpx.AsyncClient, auth: Headers, session: AsyncSession
    ) -> None:
        current = await self.read(client, auth)
        audits = await audit_count(session)

        response = await self.patch(client, auth, 0, "?dryRun=true", Idempotency_Key="dry")

        self.assert_patched(response, 0)
        assert "etag" not in response.headers  # the state it describes does not exist
        assert await self.read(client, auth) == current
        assert await audit_count(session) == audits
        stored = await session.execute(select(func.count()).select_from(IdempotencyKey))
        assert stored.scalar_one() == 0

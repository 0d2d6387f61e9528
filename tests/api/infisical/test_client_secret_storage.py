"""How universal-auth client secrets are stored, and that every stored kind logs in:
HMAC under the server's key for generated secrets, argon2id for chosen ones, and the
argon2id hashes stored before the HMAC scheme."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.main import secret_hasher
from rolegate.rbac.models import UniversalAuthCredential
from rolegate.rbac.secrets import SecretHasher
from tests.api.infisical.conftest import WORLD
from tests.conftest import seed_into

LOGIN = "/api/v1/auth/universal-auth/login"
GENERATED = secrets.token_urlsafe(32)


def _world(admin_secret: str) -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    admin = world["organizations"][0]["identities"][0]
    admin["universal_auth"]["client_secret"] = admin_secret
    return world


async def _stored(session: AsyncSession) -> str:
    return str(
        await session.scalar(
            select(UniversalAuthCredential.client_secret_hash).where(
                UniversalAuthCredential.client_id == "admin-client"
            )
        )
    )


async def _login(client: httpx.AsyncClient, secret: str) -> int:
    response = await client.post(LOGIN, json={"clientId": "admin-client", "clientSecret": secret})
    return response.status_code


async def test_a_generated_secret_is_stored_as_a_keyed_hmac_and_logs_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, _world(GENERATED))

    assert (await _stored(session)).startswith("$hmac-sha256$v=1$")
    assert GENERATED not in await _stored(session)
    assert await _login(client, GENERATED) == 200
    assert await _login(client, GENERATED[:-1] + ("A" if GENERATED[-1] != "A" else "B")) == 401


async def test_a_chosen_secret_keeps_argon2id_and_logs_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, _world("correct horse battery staple"))

    assert (await _stored(session)).startswith("$argon2id$")
    assert await _login(client, "correct horse battery staple") == 200
    assert await _login(client, "correct horse battery stapler") == 401


async def test_an_argon2_hash_from_before_logs_in_and_is_replaced_by_the_hmac(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, _world(GENERATED))
    # What the store held before the HMAC scheme: argon2id for every client secret.
    await session.execute(
        update(UniversalAuthCredential)
        .where(UniversalAuthCredential.client_id == "admin-client")
        .values(client_secret_hash=PasswordHasher().hash(GENERATED))
    )
    await session.commit()

    assert await _login(client, GENERATED) == 200
    session.expire_all()
    assert (await _stored(session)).startswith("$hmac-sha256$v=1$")
    assert await _login(client, GENERATED) == 200


async def test_a_wrong_secret_leaves_an_old_argon2_hash_alone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, _world(GENERATED))
    old = PasswordHasher().hash(GENERATED)
    await session.execute(
        update(UniversalAuthCredential)
        .where(UniversalAuthCredential.client_id == "admin-client")
        .values(client_secret_hash=old)
    )
    await session.commit()

    assert await _login(client, secrets.token_urlsafe(32)) == 401
    session.expire_all()
    assert await _stored(session) == old


async def test_the_stored_hmac_checks_only_under_the_servers_key(
    session: AsyncSession, settings: Settings
) -> None:
    await seed_into(session, _world(GENERATED))
    stored = await _stored(session)

    assert secret_hasher(settings).verify(stored, GENERATED).ok
    # A copied table without the key cannot even test a guess.
    assert not SecretHasher(key=b"another-server-key-0123456789abcdef").verify(stored, GENERATED).ok

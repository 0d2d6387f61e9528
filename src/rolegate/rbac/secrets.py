"""Hashing of stored secrets, chosen by what the secret is.

- A universal-auth client secret that looks generated (``looks_generated``: long, varied,
  no spaces) is stored as HMAC-SHA256 under a server-side key that is not in the
  database. Guessing a 128-bit value is hopeless whatever the hash, so a slow hash buys
  nothing there, and without the key a stolen table does not even let anyone test a
  guess. Verifying costs microseconds, so it runs on the event loop.
- A client secret a person chose (``ci-admin-secret`` in a seed file) keeps argon2id: it
  may be guessable, and only a slow, memory-hard hash makes guessing a stolen table
  expensive. argon2 takes a few hundred ms of CPU and 64 MiB, so it runs in a small thread
  pool, and ``SecretVerifier.slot`` bounds how many logins are in that phase at once: a
  login flood waits for a slot (holding no database connection) instead of stalling the
  event loop or draining the pool for every other request.
- Opaque bearer tokens (CSP API tokens, ctrl-hub session tokens) are looked up by hash
  on every request, so they get SHA-256, which lets an index find the row. The lookup
  compares digests, never the plain token.

Which one checks a stored hash is decided by the hash's own format, so hashes stored
before this scheme (argon2id) keep working; a login that proves a generated-looking
secret against an argon2 hash stores its HMAC instead (``Verdict.rehash``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets as _secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HMAC_PREFIX = "$hmac-sha256$v=1$"
GENERATED_MIN_LENGTH = 32
GENERATED_MIN_DISTINCT = 16

_hasher = PasswordHasher()


def looks_generated(secret: str) -> bool:
    """Long, varied and without spaces: what a generator prints, not a passphrase.

    A heuristic on the side of caution: anything that fails it gets argon2id.
    """
    return (
        len(secret) >= GENERATED_MIN_LENGTH
        and len(set(secret)) >= GENERATED_MIN_DISTINCT
        and not any(ch.isspace() for ch in secret)
    )


def _argon2_verify(stored: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def is_slow_hash(stored: str | None) -> bool:
    return stored is not None and not stored.startswith(HMAC_PREFIX)


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    # The secret proved right against a hash this scheme would no longer store for it.
    rehash: bool = False


@dataclass(frozen=True, slots=True)
class SecretHasher:
    """The synchronous half: hashes and checks with the server-side key."""

    key: bytes

    def _hmac(self, secret: str) -> str:
        digest = hmac.new(self.key, secret.encode("utf-8"), hashlib.sha256).digest()
        return HMAC_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def hash(self, secret: str) -> str:
        return self._hmac(secret) if looks_generated(secret) else _hasher.hash(secret)

    def verify(self, stored: str | None, secret: str) -> Verdict:
        """``stored`` None (unknown client) is checked against a dummy: always refused."""
        if stored is None:
            # As cheap as the check of a generated secret: an unknown client id is not
            # answered faster than a wrong secret for one (see docs/infisical.md).
            hmac.compare_digest(self._hmac(secret), self._hmac(secret[::-1]))
            return Verdict(ok=False)
        if stored.startswith(HMAC_PREFIX):
            return Verdict(ok=hmac.compare_digest(stored, self._hmac(secret)))
        ok = _argon2_verify(stored, secret)
        return Verdict(ok=ok, rehash=ok and looks_generated(secret))


class SecretVerifier:
    """The asynchronous half: argon2 off the event loop, with bounded concurrency.

    One per app (per event loop): the semaphore belongs to the loop that first waits on it.
    """

    def __init__(self, hasher: SecretHasher, concurrency: int) -> None:
        self.hasher = hasher
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._pool: ThreadPoolExecutor | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Held from the credential lookup to the end of the check."""
        async with self._slots:
            yield

    async def _in_pool(self, stored: str, secret: str) -> bool:
        if self._pool is None:  # made on first use: after gunicorn's fork, in the worker
            self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="argon2")
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, _argon2_verify, stored, secret
        )

    async def verify(self, stored: str | None, secret: str) -> Verdict:
        if not is_slow_hash(stored):
            return self.hasher.verify(stored, secret)
        assert stored is not None  # noqa: S101 - is_slow_hash(None) is False
        ok = await self._in_pool(stored, secret)
        return Verdict(ok=ok, rehash=ok and looks_generated(secret))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token(prefix: str) -> str:
    return f"{prefix}{_secrets.token_urlsafe(32)}"

"""Hashing of stored secrets: argon2id verification is constant-time by construction.

Two kinds of secret, two hashes:
- client secrets (Infisical universal auth) may be chosen by a person in a seed file, so
  they get argon2id, checked once per login;
- opaque bearer tokens (CSP API tokens, ctrl-hub session tokens) are looked up by hash on
  every request, so they get SHA-256, which is safe for high-entropy values and lets an
  index find the row. The lookup compares digests, never the plain token.
"""

from __future__ import annotations

import hashlib
import secrets as _secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash of a random secret: verifying against it when the client id is unknown
    keeps the response time of "unknown client" equal to that of "wrong secret".

    Made on first use, not at import: argon2id takes 64 MiB and a few hundred ms, which
    every worker process would otherwise pay at start (peak RSS, cold start) for nothing.
    """
    return _hasher.hash(_secrets.token_urlsafe(16))


def hash_client_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_client_secret(secret_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash or _dummy_hash(), secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def new_token(prefix: str) -> str:
    return f"{prefix}{_secrets.token_urlsafe(32)}"

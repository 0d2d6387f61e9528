"""Settings, read once from ``ROLEGATE_*`` environment variables.

Nested groups use a double underscore: ``ROLEGATE_AUTH__INFISICAL_TOKEN_TTL=600``.
The flat names the contract documents (``ROLEGATE_DATABASE_URL``, ``ROLEGATE_DATA_DIR``,
``ROLEGATE_SMTP_URL``) stay at the top level so docker-compose files stay short.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseModel):
    # HS256 with a server-side secret: every token is minted and verified by this server, so
    # there is no key distribution problem that would justify RS256. The verifier pins this
    # list; the token header never chooses the algorithm.
    # Unset: a random secret is generated once and kept in the data dir (mode 0600), so
    # `serve` and `rolegate token` on one data dir agree. Replicas must share one: set it.
    jwt_secret: SecretStr | None = None
    jwt_algorithm: str = "HS256"
    issuer: str = "rolegate"
    # The HMAC key of generated client secrets (rbac/secrets.py), kept out of the database
    # so a stolen table alone cannot test a guess. Unset: generated once into the data dir,
    # like jwt_secret. Changing it invalidates those stored hashes (load the seed again).
    secret_hash_key: SecretStr | None = None
    # Logins checking a secret at once, and threads for the argon2 checks among them.
    secret_hash_concurrency: int = Field(default=2, ge=1)
    infisical_default_token_ttl: int = 7200
    csp_token_ttl: int = 1800
    ctrlhub_session_ttl: int = 86400
    # Lifetime of a ctrl-hub service account's OAuth2 access token (POST /oauth2/token).
    ctrlhub_client_token_ttl: int = Field(default=3600, ge=60)


class DatabaseSettings(BaseModel):
    # A fixed pool: SQLAlchemy closes an overflow connection as soon as it is returned, so
    # load above pool_size opened a connection (a backend fork, authentication, type
    # introspection, every statement prepared again) every few requests. 20 is the old
    # pool plus overflow: the same most connections, kept instead of churned.
    pool_size: int = 20
    max_overflow: int = 0
    pool_timeout: float = 5.0
    # A statement that takes longer than this is cancelled: an outage becomes a 503, not a hang.
    statement_timeout_ms: int = 5000
    connect_timeout: float = 3.0
    # Attempts of one request's transaction when it loses a serialization race (40001/40P01).
    serialization_retries: int = 5
    # Off: a ping costs three round trips on every checkout. A connection the database
    # dropped is detected on first use instead, and the request is retried on a fresh one
    # (api/routing.py). Turn on behind proxies that drop idle connections silently.
    pool_pre_ping: bool = False
    # Default: the server's (READ COMMITTED on PostgreSQL). SERIALIZABLE is what CockroachDB
    # runs; tests use it to force serialization failures and prove the retry loop.
    isolation_level: Literal["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"] | None = None
    # Behind PgBouncer in transaction pooling mode a client connection is lent a server
    # connection per transaction, so nothing may outlive one: no startup parameters but the
    # few PgBouncer tracks (the statement timeout is set in each transaction instead) and no
    # named prepared statements (each statement is parsed again, unnamed).
    pgbouncer: bool = False
    # The read replica's pool (ROLEGATE_DATABASE_READ_URL); unset: pool_size. Only reads
    # check connections out of it, the primary's pool still serves every write.
    read_pool_size: int | None = Field(default=None, ge=1)
    # After the replica failed a read (unreachable, shut down), reads go to the primary for
    # this long before the replica is tried again: a replica that is down costs one failed
    # connection attempt per interval and worker, not one per request.
    read_retry_seconds: float = Field(default=5.0, ge=0)


class RateLimitSettings(BaseModel):
    """Fixed-window request limit per credential, counted in PostgreSQL (opt-in)."""

    enabled: bool = False
    requests: int = Field(default=600, ge=1)
    window_seconds: int = Field(default=60, ge=1)


class SafeUpdateSettings(BaseModel):
    idempotency_ttl_seconds: int = Field(default=86400, ge=1)
    # Bodies nested deeper than this are refused before they are parsed into models.
    max_json_depth: int = Field(default=64, ge=2)


class TestModeSettings(BaseModel):
    """What an integration test suite may ask of a server started for it (docs/testing.md)."""

    # The most recent requests the journal keeps (GET /_rolegate/requests).
    journal_size: int = Field(default=1000, ge=1, le=100_000)
    # Request bodies longer than this are journaled cut to this many bytes.
    journal_body_bytes: int = Field(default=65536, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROLEGATE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str | None = None
    # A hot standby (or any copy) that serves GETs and explain; unset: all on the primary.
    # docs/scaling.md, "Read scaling".
    database_read_url: str | None = None
    data_dir: Path = Path(".rolegate")
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "info"
    log_sql: bool = False
    smtp_url: str | None = None
    smtp_from: str = "rolegate@localhost"
    max_body_bytes: int = 1024 * 1024
    auth: AuthSettings = Field(default_factory=AuthSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    safe_update: SafeUpdateSettings = Field(default_factory=SafeUpdateSettings)
    # The /_rolegate routes (test clock, reset, snapshots, request journal, token minting).
    # They let anyone who reaches the port rewrite the store and mint tokens, so `serve`
    # refuses them on a non-loopback bind unless test_mode_any_host says the network is
    # the test's own (a compose stack).
    test_mode: bool = False
    test_mode_any_host: bool = False
    testing: TestModeSettings = Field(default_factory=TestModeSettings)


def resolve_jwt_secret(settings: Settings) -> str:
    return _server_secret(settings, settings.auth.jwt_secret, "JWT_SECRET", "jwt-secret")


def resolve_secret_hash_key(settings: Settings) -> bytes:
    key = _server_secret(
        settings, settings.auth.secret_hash_key, "SECRET_HASH_KEY", "secret-hash-key"
    )
    return key.encode("utf-8")


def _server_secret(settings: Settings, given: SecretStr | None, name: str, file: str) -> str:
    """``given`` (from ROLEGATE_AUTH__<name>), else one generated into the data dir."""
    if given is not None:
        secret = given.get_secret_value()
        if len(secret) < 32:
            raise ValueError(f"ROLEGATE_AUTH__{name} must be at least 32 characters")
        return secret
    path = settings.data_dir / file
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: two processes starting at once agree on
        # the first one linked, and neither can read a half-written file.
        fd, draft = tempfile.mkstemp(dir=settings.data_dir, prefix=f".{file}-")  # 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()

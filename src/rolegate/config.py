"""Settings, read once from ``ROLEGATE_*`` environment variables.

Nested groups use a double underscore: ``ROLEGATE_AUTH__INFISICAL_TOKEN_TTL=600``.
The flat names the contract documents (``ROLEGATE_DATABASE_URL``, ``ROLEGATE_DATA_DIR``,
``ROLEGATE_SMTP_URL``) stay at the top level so docker-compose files stay short.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseModel):
    # HS256 with a server-side secret: every token is minted and verified by this server, so
    # there is no key distribution problem that would justify RS256. The verifier pins this
    # list; the token header never chooses the algorithm.
    jwt_secret: SecretStr = SecretStr("rolegate-dev-secret-change-me-in-production-0123456789")
    jwt_algorithm: str = "HS256"
    issuer: str = "rolegate"
    infisical_default_token_ttl: int = 7200
    csp_token_ttl: int = 1800
    ctrlhub_session_ttl: int = 86400


class DatabaseSettings(BaseModel):
    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout: float = 5.0
    # A statement that takes longer than this is cancelled: an outage becomes a 503, not a hang.
    statement_timeout_ms: int = 5000
    connect_timeout: float = 3.0
    serialization_retries: int = 5
    # Off: a ping costs three round trips on every checkout. A connection the database
    # dropped is detected on first use instead, and the request is retried on a fresh one
    # (api/routing.py). Turn on behind proxies that drop idle connections silently.
    pool_pre_ping: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROLEGATE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str | None = None
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


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Token verification, including its cache of tokens that already passed."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from rolegate.rbac.errors import AuthenticationError
from rolegate.rbac.tokens import TokenCodec

CODEC = TokenCodec(secret="s" * 40, algorithm="HS256", issuer="rolegate-test")


def test_a_cached_token_is_still_refused_on_another_surface() -> None:
    issued = CODEC.mint(surface="infisical", subject=uuid.uuid4(), ttl_seconds=60)
    assert CODEC.verify(issued.token, surface="infisical")["jti"] == issued.jti
    assert CODEC.verify(issued.token, surface="infisical")["jti"] == issued.jti  # cached
    with pytest.raises(AuthenticationError):
        CODEC.verify(issued.token, surface="csp")


def test_a_cached_token_is_refused_once_it_expires() -> None:
    # Issued 59 s ago for 60 s: valid now, expired about two seconds later (python-jose
    # compares whole seconds, so a token stays valid through its ``exp`` second).
    issued = CODEC.mint(
        surface="infisical",
        subject=uuid.uuid4(),
        ttl_seconds=60,
        now=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=59),
    )
    CODEC.verify(issued.token, surface="infisical")
    time.sleep(max(0.0, issued.expires_at.timestamp() - time.time()) + 1.05)
    with pytest.raises(AuthenticationError, match="Token expired"):
        CODEC.verify(issued.token, surface="infisical")


def test_another_secret_does_not_share_the_cache() -> None:
    issued = CODEC.mint(surface="infisical", subject=uuid.uuid4(), ttl_seconds=60)
    CODEC.verify(issued.token, surface="infisical")
    other = TokenCodec(secret="t" * 40, algorithm="HS256", issuer="rolegate-test")
    with pytest.raises(AuthenticationError, match="Invalid token"):
        other.verify(issued.token, surface="infisical")


def test_callers_cannot_alter_the_cached_claims() -> None:
    issued = CODEC.mint(surface="infisical", subject=uuid.uuid4(), ttl_seconds=60)
    CODEC.verify(issued.token, surface="infisical")["sub"] = "tampered"
    assert CODEC.verify(issued.token, surface="infisical")["sub"] != "tampered"

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


def test_expiry_is_judged_by_the_clock_it_is_given() -> None:
    # A token minted at a simulated instant a year ahead: valid then, though its exp is
    # far in the process's future, and expired once that clock passes exp.
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    issued = CODEC.mint(surface="csp", subject=uuid.uuid4(), ttl_seconds=60, now=ahead)
    CODEC.verify(issued.token, surface="csp", now=issued.expires_at)
    with pytest.raises(AuthenticationError, match="Token expired"):
        CODEC.verify(issued.token, surface="csp", now=issued.expires_at + dt.timedelta(seconds=1))


def test_a_token_minted_in_the_simulated_past_is_valid_in_that_past() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    issued = CODEC.mint(surface="ctrlhub", subject=uuid.uuid4(), ttl_seconds=60, now=past)
    assert CODEC.verify(issued.token, surface="ctrlhub", now=past)["jti"] == issued.jti
    with pytest.raises(AuthenticationError, match="Token expired"):
        CODEC.verify(issued.token, surface="ctrlhub")


def test_a_token_without_an_integer_exp_is_refused() -> None:
    from jose import jwt

    base = {"sub": str(uuid.uuid4()), "iss": "rolegate-test", "aud": "rolegate:csp"}
    base |= {"iat": 1, "jti": str(uuid.uuid4())}
    for exp in ({}, {"exp": "9999999999"}, {"exp": True}, {"exp": 9.9e9}):
        token = jwt.encode(base | exp, "s" * 40, algorithm="HS256")
        with pytest.raises(AuthenticationError, match="Invalid token"):
            CODEC.verify(token, surface="csp")

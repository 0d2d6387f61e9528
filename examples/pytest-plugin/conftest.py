"""Ids from seed.yaml and small helpers; the fixtures come from rolegate's plugin."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rolegate.testing import Rolegate

ORG = "6a1c0de0-0000-4000-8000-000000000001"
CI_ADMIN = "6a1c0de0-0000-4000-8000-000000000201"
RELEASE_BOT = "6a1c0de0-0000-4000-8000-000000000202"
ONCALL = "6a1c0de0-0000-4000-8000-000000000301"
READERS = "6a1c0de0-0000-4000-8000-000000000302"
BACKEND = "6a1c0de0-0000-4000-8000-000000000401"
OWNER = "owner@example.test"
DEV = "dev@example.test"


@pytest.fixture
def http(rolegate_clean: Rolegate) -> Iterator[httpx.Client]:
    """A plain HTTP client on the server, which is reset to the seed for this test."""
    with httpx.Client(base_url=rolegate_clean.url, timeout=30) as client:
        yield client

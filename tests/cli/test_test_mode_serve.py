"""``serve`` refuses test mode on a bind address other hosts can reach."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rolegate.cli import _is_loopback


def _serve(tmp_path: Path, host: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
    clean |= {"ROLEGATE_DATA_DIR": str(tmp_path / "data"), "ROLEGATE_TEST_MODE": "true"}
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "rolegate.cli", "serve", "--host", host, "--port", "1"],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.test"])  # noqa: S104
def test_serve_refuses_test_mode_on_a_non_loopback_bind(tmp_path: Path, host: str) -> None:
    result = _serve(tmp_path, host)
    assert result.returncode == 2
    assert f"refusing to bind {host}" in result.stderr
    assert "ROLEGATE_TEST_MODE_ANY_HOST" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before PostgreSQL was started


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_accepted_for_test_mode(host: str) -> None:
    assert _is_loopback(host)

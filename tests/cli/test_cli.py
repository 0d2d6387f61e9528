"""The CLI as a user runs it: real processes, a fresh data dir, the embedded database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

DEMO_ADMIN = "0b6f3a52-1d1e-4c61-9a63-000000000201"
DEMO_PROJECT = "0b6f3a52-1d1e-4c61-9a63-000000000401"
DEMO_GROUP = "0b6f3a52-1d1e-4c61-9a63-000000000301"
ROLEGATE = [sys.executable, "-m", "rolegate.cli"]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: the embedded server runs as its own system user when
    # we are root, and any other pytest run by root resets /tmp/pytest-of-root to 0700,
    # which locked that user out of a data dir inside it mid-test.
    root = Path(tempfile.mkdtemp(prefix="rg-cli-"))
    yield root / "data"
    shutil.rmtree(root, ignore_errors=True)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
    env["ROLEGATE_DATA_DIR"] = str(data_dir)
    env["ROLEGATE_LOG_LEVEL"] = "warning"
    return env


def rolegate(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [*ROLEGATE, *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(data_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(  # noqa: S603
        [*ROLEGATE, "serve", "--port", str(port), "--demo"],
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise AssertionError(log_path.read_text())
            time.sleep(0.2)
        else:
            raise AssertionError("serve did not become ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    # serve started the embedded server, so its exit stopped it.
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_seed_on_a_fresh_data_dir_starts_migrates_and_stops_the_database(data_dir: Path) -> None:
    result = rolegate(data_dir, "seed", "demo")
    assert "seeded:" in result.stdout
    assert (data_dir / "pg" / "PG_VERSION").exists()
    # The command started the embedded server itself, so it stopped it on exit.
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_invalid_seed_file_fails_naming_the_entry_and_writes_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "organizations:\n"
        "  - name: Acme\n    slug: acme\n"
        "    groups:\n      - {name: Eng, slug: eng, members: [ghost@acme.test]}\n"
    )
    result = rolegate(data_dir, "seed", str(bad), check=False)
    assert result.returncode == 1
    assert "organizations[0].groups[0].members: unknown user 'ghost@acme.test'" in result.stderr
    # Nothing was written: loading a valid file afterwards reports one organization row.
    good = tmp_path / "good.yaml"
    good.write_text("organizations:\n  - name: Other\n    slug: other\n")
    assert "organizations=1" in rolegate(data_dir, "seed", str(good)).stdout


def test_serve_with_an_invalid_seed_file_exits_without_serving(
    data_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organizations:\n  - name: Acme\n")
    port = _free_port()
    # The seed is loaded while the API is imported; its failure must still stop serve.
    result = rolegate(data_dir, "serve", "--port", str(port), "--seed", str(bad), check=False)
    assert result.returncode == 1
    assert "seed failed, nothing was written" in result.stderr
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_token_while_serve_runs_reuses_its_database_and_works_over_http(
    data_dir: Path, served: str
) -> None:
    token = rolegate(data_dir, "token", "infisical", "--identity", DEMO_ADMIN).stdout.strip()
    url = f"{served}/api/v2/workspace/{DEMO_PROJECT}/groups/{DEMO_GROUP}"
    response = httpx.patch(
        url,
        json={"roles": [{"role": "admin", "isTemporary": False}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"][0]["role"] == "admin"


def test_token_for_unknown_identity_fails_clearly(data_dir: Path) -> None:
    result = rolegate(data_dir, "token", "infisical", "--identity", "not-a-uuid", check=False)
    assert result.returncode == 2
    assert "must be a UUID" in result.stderr


def test_two_commands_starting_on_a_fresh_data_dir_at_once_both_succeed_cleanly(
    data_dir: Path,
) -> None:
    # What two xdist workers did on the first `make test`: both found no server and no
    # database and prepared them at once.
    commands = [
        subprocess.Popen(  # noqa: S603 - our own CLI
            [*ROLEGATE, "migrate"],
            env=_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [command.communicate(timeout=120) for command in commands]

    assert [command.returncode for command in commands] == [0, 0], outputs
    assert [out for out, _ in outputs] == ["migrations: at head\n"] * 2
    assert [err for _, err in outputs] == ["", ""]

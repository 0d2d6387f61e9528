"""The pytest plugin as a user's suite meets it: run pytest in a fresh project directory.

None of these starts a server: they cover the choices made before one would start
(``ROLEGATE_URL``, the seed's source); the example project (examples/pytest-plugin,
run by CI) covers the started server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _pytest(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=project,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _project(tmp_path: Path, ini: str, tests: str) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini)
    (tmp_path / "test_it.py").write_text(tests)
    return tmp_path


def test_rolegate_url_is_used_as_given_and_nothing_is_started(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "rolegate_seed = missing.yaml\n",  # not read: the server is someone else's
        "def test_url(rolegate):\n    assert rolegate.url == 'http://127.0.0.1:9'\n",
    )
    result = _pytest(project, ROLEGATE_URL="http://127.0.0.1:9/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_seed_file_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    project = _project(tmp_path, "rolegate_seed = missing.yaml\n", "def test_it(rolegate): pass\n")
    result = _pytest(project)
    assert result.returncode != 0
    assert "rolegate seed file not found" in result.stdout


def test_two_seed_markers_in_one_session_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("organizations: []\n")
    (tmp_path / "b.yaml").write_text("organizations: []\n")
    project = _project(
        tmp_path,
        "",
        "import pytest\n\n"
        "@pytest.mark.rolegate_seed('a.yaml')\ndef test_a(rolegate): pass\n\n"
        "@pytest.mark.rolegate_seed('b.yaml')\ndef test_b(rolegate): pass\n",
    )
    result = _pytest(project)
    assert result.returncode != 0
    assert "one rolegate server per session, one seed" in result.stdout


def test_the_plugin_starts_nothing_for_tests_that_do_not_ask(tmp_path: Path) -> None:
    project = _project(tmp_path, "rolegate_seed = missing.yaml\n", "def test_plain(): pass\n")
    result = _pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr

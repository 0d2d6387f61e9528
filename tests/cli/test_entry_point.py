"""The ``rolegate`` entry point's start-up shortcuts keep the CLI working as before."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rolegate.__main__ import _hidden

# What the entry point loads before the CLI, and what it then reports about rich.
_PROBE = """
import sys
from rolegate import __main__ as entry
sys.argv = ["rolegate", *sys.argv[1:]]
try:
    entry.main()
finally:
    import structlog.dev
    print("structlog-rich:", structlog.dev.rich is not None, file=sys.stderr)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own entry point
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_structlog_is_loaded_without_rich_and_typer_still_renders_help_with_it() -> None:
    result = _run("--help")

    assert result.returncode == 0, result.stderr
    assert "structlog-rich: False" in result.stderr
    # typer imports rich itself for help: its boxed panels are rich's.
    assert "╭─ Commands" in result.stdout
    assert "serve" in result.stdout


def test_a_usage_error_is_still_reported_by_typer() -> None:
    result = _run("no-such-command")

    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_hidden_module_cannot_be_imported_inside_and_can_after() -> None:
    name = "json.tool"  # a stdlib module this test process has not imported
    assert name not in sys.modules

    with _hidden(name), pytest.raises(ImportError):
        __import__(name)

    assert name not in sys.modules
    assert __import__(name) is not None


def test_an_already_imported_module_is_left_alone() -> None:
    import json

    with _hidden("json"):
        import json as again

    assert again is json
    assert sys.modules["json"] is json

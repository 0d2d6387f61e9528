"""The ``rolegate`` entry point's start-up shortcuts keep the CLI working as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_hidden_module_cannot_be_imported_inside_and_can_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "rolegate_hidden_probe"  # a module of this test's own: never imported before
    (tmp_path / f"{name}.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)

    with _hidden(name), pytest.raises(ImportError):
        __import__(name)

    assert name not in sys.modules
    assert __import__(name).VALUE == 42


def test_an_already_imported_module_is_left_alone() -> None:
    import json

    with _hidden("json"):
        import json as again

    assert again is json
    assert sys.modules["json"] is json

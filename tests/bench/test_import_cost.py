"""bench/import_cost.py: its probe runs what serve's parent imports, and its count parses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench import import_cost

CACHEGRIND_TAIL = """==20200==
==20200== I   refs:      4,822,461,126
"""


def test_the_instruction_count_is_read_from_cachegrinds_summary() -> None:
    assert import_cost.instructions(CACHEGRIND_TAIL) == 4_822_461_126


def test_output_without_a_count_is_an_error_not_zero() -> None:
    with pytest.raises(ValueError, match="no instruction count"):
        import_cost.instructions("==1== valgrind: failed to start tool\n")


def test_the_probe_imports_the_api_as_serve_does_without_rich() -> None:
    probe = import_cost.PROBE + (
        "\nimport sys\nassert 'rolegate.api.infisical.router' in sys.modules"
        "\nassert 'rich' not in sys.modules, 'structlog was imported with rich'\n"
    )
    done = subprocess.run(  # noqa: S603 - our own probe
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr

"""The fixed reference transactions: every script pgbench runs is complete SQL for it.

pgbench -M prepared reads any ``:name`` as a variable, even inside a quoted literal, so a
substituted value with a colon (a CSP service role is ``service0:user``) would silently
become a parameter and change the statement. The only variables a reference script may
use are the ones an earlier ``\\gset`` of the same script sets.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import dataset  # noqa: E402
import growth  # noqa: E402
import reference  # noqa: E402

VARIABLE = re.compile(r"(?<!:):([A-Za-z_]\w*)")
ALIAS = re.compile(r"\bAS (\w+)")


@pytest.mark.parametrize("key", sorted(reference.TARGETS))
def test_every_reference_script_is_filled_and_uses_only_gset_variables(
    key: str, tmp_path: Path
) -> None:
    data = dataset.build()
    scripts = reference.write_scripts(key, data, 64, tmp_path)
    assert len(scripts) == 128
    for script in scripts:
        text = script.read_text()
        assert "${" not in text, script.name
        assigned: set[str] = set()
        for line in text.splitlines():
            if line.startswith("--"):
                continue
            used = set(VARIABLE.findall(line))
            assert used <= assigned, f"{script.name}: {used - assigned} in {line[:200]}"
            if line.rstrip().endswith("\\gset"):
                assigned |= set(ALIAS.findall(line))
        assert text.count("BEGIN;") == 1
        assert text.rstrip().endswith("COMMIT;")


def test_reference_scripts_name_the_targets_the_requests_change() -> None:
    data = dataset.build()
    for key, targets in reference.TARGETS.items():
        params = targets(data, 64)
        assert len(params) == 64, key
        assert len({tuple(sorted(p.items())) for p in params}) == 64, key


@pytest.mark.parametrize(
    ("cost", "k"),
    [
        (lambda n: 5.0 * n, 1.0),
        (lambda n: 0.1 * n * n, 2.0),
        (lambda n: 42.0, 0.0),
    ],
)
def test_growth_fit_recovers_the_exponent(cost: object, k: float) -> None:
    n = [10, 1000, 10000]
    fitted = growth.fit_exponent(n, [cost(v) for v in n])  # type: ignore[operator]
    assert fitted == pytest.approx(k, abs=1e-9)

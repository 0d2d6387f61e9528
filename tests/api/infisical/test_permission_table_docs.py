"""docs/infisical.md documents the permission table; this keeps it equal to the code."""

from __future__ import annotations

import re

from rolegate.rbac.permissions.schema import (
    OPERATORS,
    ORG_SUBJECTS,
    PROJECT_SUBJECTS,
    SUBJECTS,
    ordered_actions,
)
from tests.conftest import ROOT

DOC = ROOT / "docs" / "infisical.md"


def _expected_rows() -> list[str]:
    rows = []
    for name, spec in SUBJECTS.items():
        levels = [
            level
            for level, subjects in (("project", PROJECT_SUBJECTS), ("org", ORG_SUBJECTS))
            if name in subjects
        ]
        conditions = "; ".join(
            f"`{key}`: " + " ".join(f"`{op}`" for op in OPERATORS if op in ops)
            for key, ops in spec.conditions.items()
        )
        actions = ", ".join(f"`{a}`" for a in ordered_actions(spec.actions))
        rows.append(f"| `{name}` | {', '.join(levels)} | {actions} | {conditions or '—'} |")
    return rows


def test_documented_permission_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- permission-table:start -->\n(.*?)<!-- permission-table:end -->", text, re.S
    )
    assert match is not None
    documented = [line for line in match.group(1).splitlines() if line.startswith("| `")]
    assert documented == _expected_rows()

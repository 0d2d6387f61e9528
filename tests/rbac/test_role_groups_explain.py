"""The words that explain a binding's condition (pure; the verdicts come from conditions)."""

from __future__ import annotations

from typing import Any

import pytest

from rolegate.rbac.ctrlhub.explain import condition_reason
from rolegate.rbac.permissions.conditions import PrincipalFacts, condition_matches, rule_matches

DANA = PrincipalFacts(id="u1", email="dana@acme.test", attributes={"department": "payments"})


def rule(value: str, type_: str = "attribute", key: str = "department") -> dict[str, str]:
    return {"type": type_, "operator": "has_value", "key": key, "value": value}


def reason(condition: dict[str, Any]) -> str:
    results = [rule_matches(r, DANA) for r in condition.get("rules", [])]
    return condition_reason(condition, results, condition_matches(condition, DANA))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"gate": "AND", "rules": []}, "unconditional: the condition has no rules"),
        ({"gate": "AND", "rules": [rule("payments")]}, "every rule matched (gate AND)"),
        (
            {"gate": "AND", "rules": [rule("payments"), rule("x"), rule("y")]},
            "rule 1, 2 did not match (gate AND needs every rule)",
        ),
        (
            {"gate": "OR", "rules": [rule("x"), rule("payments")]},
            "rule 1 matched (gate OR needs one)",
        ),
        ({"gate": "OR", "rules": [rule("x")]}, "no rule matched (gate OR needs one)"),
        (
            {"gate": "OR", "rules": [rule("payments", type_="team")]},
            "no rule matched (gate OR needs one); rule type team is not one rolegate reads,"
            " so it never matches",
        ),
        (
            {"gate": "XOR", "rules": [rule("payments")]},
            "gate 'XOR' is neither AND nor OR, so the condition grants nothing",
        ),
    ],
)
def test_reason_names_the_rules_that_decided(condition: dict[str, Any], expected: str) -> None:
    assert reason(condition) == expected

"""What a ctrl-hub binding condition matches (rolegate.rbac.permissions.conditions, pure)."""

from __future__ import annotations

from typing import Any

import pytest

from rolegate.rbac.permissions.conditions import (
    PrincipalFacts,
    condition_issues,
    condition_matches,
    rule_matches,
)

FACTS = PrincipalFacts(
    id="00000000-0000-4000-8000-000000000001",
    email="Dana.Dev@Acme.Test",
    attributes={
        "department": "field",
        "skills": ["welding", "first-aid", 3],
        "level": 3,
        "ratio": 1.5,
        "manager": True,
        "address": {"town": "Leeds"},
        "nothing": None,
    },
    profile={
        "work": {"occupation": "Engineer", "cscs": "gold"},
        "personal": {"first_name": "Dana"},
    },
)


def rule(type_: str, key: str, value: Any, operator: str = "has_value") -> dict[str, Any]:
    return {"type": type_, "operator": operator, "key": key, "value": value}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("department", "field", True),
        ("department", "Field", False),  # attribute strings compare exactly
        ("department", "office", False),
        ("skills", "welding", True),  # a list matches when one of its items does
        ("skills", "first-aid", True),
        ("skills", "3", True),
        ("skills", "plumbing", False),
        ("level", "3", True),  # numbers and booleans by their JSON text
        ("ratio", "1.5", True),
        ("manager", "true", True),
        ("manager", "True", False),
        ("address", "Leeds", False),  # objects never match
        ("nothing", "null", False),  # nor does null
        ("missing", "field", False),
    ],
)
def test_attribute_rule_reads_user_attributes(key: str, value: str, expected: bool) -> None:
    assert rule_matches(rule("attribute", key, value), FACTS) is expected


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("work.occupation", "Engineer", True),
        ("work.cscs", "gold", True),
        ("personal.first_name", "Dana", True),
        ("work.occupation", "Welder", False),
        ("work", "Engineer", False),
        ("work.occupation.deeper", "Engineer", False),
        ("contact.mobile", "123", False),
    ],
)
def test_profile_rule_reads_a_dotted_path_into_the_profile(
    key: str, value: str, expected: bool
) -> None:
    assert rule_matches(rule("profile", key, value), FACTS) is expected


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("email", "dana.dev@acme.test", True),  # emails compare case-insensitively
        ("email", "DANA.DEV@ACME.TEST", True),
        ("email", "other@acme.test", False),
        ("email_domain", "acme.test", True),
        ("email_domain", "ACME.test", True),
        ("email_domain", "other.test", False),
        ("id", "00000000-0000-4000-8000-000000000001", True),
        ("id", "00000000-0000-4000-8000-000000000002", False),
        ("phone", "123", False),  # not a well-known field
    ],
)
def test_user_rule_reads_well_known_fields(key: str, value: str, expected: bool) -> None:
    assert rule_matches(rule("user", key, value), FACTS) is expected


def test_unknown_type_or_operator_or_non_string_value_never_matches() -> None:
    assert not rule_matches(rule("<string>", "department", "field"), FACTS)
    assert not rule_matches(rule("attribute", "department", "field", "equals"), FACTS)
    assert not rule_matches(rule("attribute", "level", 3), FACTS)


FIELD = rule("attribute", "department", "field")
OFFICE = rule("attribute", "department", "office")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"gate": "AND", "rules": [FIELD]}, True),
        ({"gate": "AND", "rules": [FIELD, OFFICE]}, False),
        ({"gate": "OR", "rules": [FIELD, OFFICE]}, True),
        ({"gate": "OR", "rules": [OFFICE]}, False),
        ({"gate": "AND", "rules": []}, True),  # no rules: unconditional
        ({"gate": "OR", "rules": []}, True),
        (None, True),
        ({"gate": "XOR", "rules": [FIELD]}, False),  # malformed: fail closed
        ({"gate": "AND", "rules": "everyone"}, False),
        ({"gate": "AND", "rules": ["not a rule"]}, False),
        ({"gate": "OR", "rules": ["not a rule", FIELD]}, True),
    ],
)
def test_gate_combines_rules(condition: dict[str, Any] | None, expected: bool) -> None:
    assert condition_matches(condition, FACTS) is expected


def test_condition_issues_point_into_the_condition() -> None:
    condition = {
        "gate": "XOR",
        "rules": [rule("attribute", "", "x"), rule("attribute", "k", "v", "equals"), "nope"],
    }
    paths = [i["path"] for i in condition_issues(condition, ["bindings", 2, "condition"])]
    assert paths == [
        ["bindings", 2, "condition", "gate"],
        ["bindings", 2, "condition", "rules", 0, "key"],
        ["bindings", 2, "condition", "rules", 1, "operator"],
        ["bindings", 2, "condition", "rules", 2],
    ]
    assert condition_issues({"gate": "AND", "rules": [FIELD]}, []) == []

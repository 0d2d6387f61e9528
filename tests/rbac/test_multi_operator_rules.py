"""Several operators on one condition key, rules kept as written, composite secret actions.

Infisical's Terraform provider documents ``{"environment": {"$eq": "dev", "$in": [...]}}``
and compares what it reads back with what it sent, so both shapes must survive.
"""

from __future__ import annotations

from typing import Any

import pytest

from rolegate.rbac.permissions.boundary import missing_permissions
from rolegate.rbac.permissions.rules import (
    Ability,
    RuleSetValidationError,
    parse_rules,
    rules_from_json,
    rules_to_json,
    unpack,
)

TERRAFORM_EXAMPLE: dict[str, Any] = {
    "subject": "secrets",
    "action": ["read", "edit"],
    "conditions": {"environment": {"$eq": "dev", "$in": ["dev", "prod"]}},
    "inverted": False,
}


def _one(raw: Any) -> Any:
    (rule,) = parse_rules([raw])
    return rule


def test_several_operators_on_one_key_are_accepted() -> None:
    rule = _one(TERRAFORM_EXAMPLE)
    assert rule.conditions == {"environment": {"$eq": "dev", "$in": ("dev", "prod")}}


def test_several_operators_on_one_key_hold_only_together() -> None:
    rule = _one(
        {
            "subject": "secrets",
            "action": "read",
            "conditions": {"environment": {"$in": ["dev", "prod"], "$ne": "prod"}},
        }
    )
    ability = Ability([rule])
    fields = {"secretPath": "/", "secretName": "A", "secretTags": []}
    assert ability.can("read", "secrets", {**fields, "environment": "dev"})
    assert not ability.can("read", "secrets", {**fields, "environment": "prod"})
    assert not ability.can("read", "secrets", {**fields, "environment": "staging"})


def test_each_operator_of_a_key_is_still_validated() -> None:
    with pytest.raises(RuleSetValidationError) as caught:
        parse_rules(
            [
                {
                    "subject": "secrets",
                    "action": "read",
                    "conditions": {"secretPath": {"$eq": "/ok", "$in": ["/a", "b"], "$lt": "x"}},
                }
            ]
        )
    assert [(e.path, e.message) for e in caught.value.errors] == [
        ((0, "conditions", "secretPath", "$in", 1), 'secretPath must start with "/"'),
        ((0, "conditions", "secretPath", "$lt"), 'Operator "$lt" is not allowed for "secretPath"'),
    ]


@pytest.mark.parametrize(
    "conditions",
    [
        {"environment": {"$eq": "prod"}},
        {"environment": "prod"},
        {"environment": {"$eq": "dev", "$in": ["dev", "prod"]}, "secretPath": "/app"},
    ],
)
def test_a_rule_reads_back_exactly_as_it_was_written(conditions: dict[str, Any]) -> None:
    sent = {"subject": "secrets", "action": ["read"], "conditions": conditions, "inverted": False}
    stored = rules_to_json(parse_rules([sent]))
    assert stored == [sent]
    assert [unpack(r) for r in rules_from_json(stored)] == [sent]


def _grant(actor: list[dict[str, Any]], requested: dict[str, Any]) -> list[dict[str, Any]]:
    return missing_permissions(parse_rules(actor), parse_rules([requested]))


DEV_READER = [{"subject": "secrets", "action": "read", "conditions": {"environment": "dev"}}]


def test_boundary_accepts_a_multi_operator_request_inside_the_actor_allow() -> None:
    # environment = dev and environment in {dev, prod}: only dev, which the actor holds.
    assert _grant(DEV_READER, {**TERRAFORM_EXAMPLE, "action": "read"}) == []


def test_boundary_refuses_a_multi_operator_request_reaching_past_the_actor_allow() -> None:
    requested = {
        "subject": "secrets",
        "action": "read",
        "conditions": {"environment": {"$in": ["dev", "prod"], "$ne": "staging"}},
    }
    assert _grant(DEV_READER, requested) == [
        {
            "subject": "secrets",
            "action": "read",
            "conditions": {"environment": {"$in": ["dev", "prod"], "$ne": "staging"}},
        }
    ]


def test_boundary_needs_every_operator_of_a_multi_operator_actor_allow() -> None:
    actor = [
        {
            "subject": "secrets",
            "action": "read",
            "conditions": {"environment": {"$in": ["dev", "prod"], "$ne": "prod"}},
        }
    ]
    assert (
        _grant(
            actor, {"subject": "secrets", "action": "read", "conditions": {"environment": "dev"}}
        )
        == []
    )
    assert _grant(
        actor, {"subject": "secrets", "action": "read", "conditions": {"environment": "prod"}}
    )


def test_boundary_sees_a_deny_overlapping_one_operator_of_the_request() -> None:
    actor = [
        {"subject": "secrets", "action": "read"},
        {
            "subject": "secrets",
            "action": "read",
            "conditions": {"environment": "prod"},
            "inverted": True,
        },
    ]
    overlapping = {
        "subject": "secrets",
        "action": "read",
        "conditions": {"environment": {"$in": ["dev", "prod"], "$ne": "qa"}},
    }
    disjoint = {
        "subject": "secrets",
        "action": "read",
        "conditions": {"environment": {"$in": ["dev", "prod"], "$ne": "prod"}},
    }
    assert _grant(actor, overlapping)
    assert _grant(actor, disjoint) == []


def test_read_on_secrets_is_describe_and_read_value() -> None:
    reader = parse_rules([{"subject": "secrets", "action": "read"}])
    assert Ability(reader).can("describeSecret", "secrets")
    assert Ability(reader).can("readValue", "secrets")
    parts = parse_rules([{"subject": "secrets", "action": ["describeSecret", "readValue"]}])
    assert Ability(parts).can("read", "secrets")
    describe_only = parse_rules([{"subject": "secrets", "action": "describeSecret"}])
    assert not Ability(describe_only).can("read", "secrets")
    assert (
        missing_permissions(reader, parse_rules([{"subject": "secrets", "action": "readValue"}]))
        == []
    )
    assert missing_permissions(
        describe_only, parse_rules([{"subject": "secrets", "action": "read"}])
    ) == [{"subject": "secrets", "action": "read"}]


def test_a_deny_of_read_value_takes_read_away() -> None:
    rules = parse_rules(
        [
            {"subject": "secrets", "action": "read"},
            {"subject": "secrets", "action": "readValue", "inverted": True},
        ]
    )
    assert not Ability(rules).can("read", "secrets")
    assert Ability(rules).can("describeSecret", "secrets")
    assert missing_permissions(rules, parse_rules([{"subject": "secrets", "action": "read"}]))

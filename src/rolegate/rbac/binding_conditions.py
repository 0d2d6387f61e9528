"""Whether a ctrl-hub binding's condition holds for a user's attributes.

A condition is ``{"gate": "AND"|"OR", "rules": [{"type", "operator", "key", "value"}]}``.
ctrl-hub documents one operator, ``has_value``; its meaning here: the user's attribute
``key`` (``users.attributes``) equals ``value``, or is a list containing it. ``type``
(the kind of attribute) is recorded but does not change the lookup. Anything this
module does not understand (an unknown gate or operator, a malformed rule) fails closed:
the binding does not apply. A binding without a condition applies to every member.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HAS_VALUE = "has_value"


def _rule_holds(rule: object, attributes: Mapping[str, Any]) -> bool:
    if not isinstance(rule, Mapping) or rule.get("operator") != HAS_VALUE:
        return False
    key, value = rule.get("key"), rule.get("value")
    if not isinstance(key, str) or not isinstance(value, str):
        return False
    actual = attributes.get(key)
    if isinstance(actual, list):
        return value in actual
    return actual == value


def condition_holds(condition: Mapping[str, Any] | None, attributes: Mapping[str, Any]) -> bool:
    """True when the binding applies to a user with these attributes."""
    if condition is None:
        return True
    rules = condition.get("rules")
    if not isinstance(rules, list):
        return False
    results = [_rule_holds(rule, attributes) for rule in rules]
    gate = condition.get("gate", "AND")
    if gate == "AND":
        return all(results)
    if gate == "OR":
        return any(results)
    return False

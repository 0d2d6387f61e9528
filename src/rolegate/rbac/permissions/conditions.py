"""ctrl-hub binding conditions: does a binding's condition match a principal? (pure)

A condition is ``{"gate": "AND" | "OR", "rules": [rule, ...]}`` and a rule is
``{"type", "operator": "has_value", "key", "value"}``. What a rule reads depends on its
``type`` (documented in docs/ctrlhub.md):

- ``attribute``: ``user.attributes[key]`` (the free-form attributes JSON of the user);
- ``profile``: a dotted path into the user's profile document, e.g. ``work.occupation``;
- ``user``: a well-known field of the user: ``id``, ``email`` or ``email_domain``.

``has_value`` matches when the value found equals ``value``, or, for a list, when one of
its items does. Strings compare exactly (emails and email domains case-insensitively);
numbers and booleans compare by their JSON text (``3``, ``true``); objects and nulls
never match. An unknown ``type`` or operator never matches: a condition we cannot
evaluate grants nothing (fail closed). A condition without rules is unconditional.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GATES = ("AND", "OR")
OPERATORS = ("has_value",)
RULE_TYPES = ("attribute", "profile", "user")
USER_FIELDS = ("id", "email", "email_domain")
UNCONDITIONAL: dict[str, Any] = {"gate": "AND", "rules": []}


@dataclass(frozen=True, slots=True)
class PrincipalFacts:
    """What rules can read about a user."""

    id: str
    email: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    profile: Mapping[str, Any] = field(default_factory=dict)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _candidates(found: Any) -> Iterable[str]:
    """The texts a found value offers for comparison (one level of list expanded)."""
    items: Sequence[Any] = found if isinstance(found, list) else [found]
    for item in items:
        text = _scalar_text(item)
        if text is not None:
            yield text


def _profile_value(profile: Mapping[str, Any], path: str) -> Any:
    current: Any = profile
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def _user_field(facts: PrincipalFacts, key: str) -> str | None:
    if key == "id":
        return facts.id
    if key == "email":
        return facts.email.casefold()
    if key == "email_domain":
        return facts.email.rpartition("@")[2].casefold() or None
    return None


def rule_matches(rule: Mapping[str, Any], facts: PrincipalFacts) -> bool:
    rule_type, key, value = rule.get("type"), rule.get("key"), rule.get("value")
    if rule.get("operator") != "has_value" or not isinstance(key, str):
        return False
    if not isinstance(value, str):
        return False
    if rule_type == "attribute":
        return value in _candidates(facts.attributes.get(key))
    if rule_type == "profile":
        return value in _candidates(_profile_value(facts.profile, key))
    if rule_type == "user":
        found = _user_field(facts, key)
        wanted = value.casefold() if key in ("email", "email_domain") else value
        return found is not None and found == wanted
    return False


def condition_matches(condition: Mapping[str, Any] | None, facts: PrincipalFacts) -> bool:
    """True when the binding applies to the principal. ``None`` means unconditional."""
    if condition is None:
        return True
    rules = condition.get("rules", [])
    gate = condition.get("gate")
    if not isinstance(rules, list) or gate not in GATES:
        return False
    if not rules:
        return True
    results = (isinstance(r, Mapping) and rule_matches(r, facts) for r in rules)
    return all(results) if gate == "AND" else any(results)


def condition_issues(condition: Mapping[str, Any], path: list[Any]) -> list[dict[str, Any]]:
    """Structural problems of a condition, each with a path into it (empty when valid)."""
    issues: list[dict[str, Any]] = []

    def issue(message: str, *where: Any) -> None:
        issues.append({"code": "invalid", "message": message, "path": [*path, *where]})

    if condition.get("gate") not in GATES:
        issue("gate must be one of: AND, OR", "gate")
    rules = condition.get("rules")
    if not isinstance(rules, list):
        issue("rules must be a list", "rules")
        return issues
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            issue("a rule must be an object", "rules", index)
            continue
        if rule.get("operator") not in OPERATORS:
            issue("operator must be one of: has_value", "rules", index, "operator")
        for name in ("type", "key", "value"):
            value = rule.get(name)
            if not isinstance(value, str) or not value:
                issue(f"{name} must be a non-empty string", "rules", index, name)
    return issues

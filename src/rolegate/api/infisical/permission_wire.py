"""Permission rules on the Infisical wire: input in every accepted form, output unpacked.

Input rules are validated by the core (:func:`rolegate.rbac.permissions.rules.parse_rules`)
against the one permission table; this module only places each problem at its path in
the request body, so a 422 names the offending item (``["roles", 0, "permissions", 1,
"conditions", "environment"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NotRequired

from pydantic import SerializerFunctionWrapHandler, model_serializer
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from rolegate.api.infisical.common import InfisicalModel
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.permissions.rules import (
    Rule,
    RuleSetValidationError,
    expand_privilege_permission,
    parse_rules,
)

Path = tuple[str | int, ...]
Issues = list[dict[str, Any]]


class PermissionRuleJSON(TypedDict):
    """What :class:`PermissionRule` serializes to (also its OpenAPI schema)."""

    subject: str
    action: list[str]
    conditions: NotRequired[dict[str, Any]]
    inverted: bool


class PermissionRule(InfisicalModel):
    """One unpacked CASL rule, as Infisical returns it (``conditions`` only when set)."""

    subject: str
    action: list[str]
    conditions: dict[str, Any] | None = None
    inverted: bool = False

    @model_serializer(mode="wrap")
    def _omit_absent_conditions(self, handler: SerializerFunctionWrapHandler) -> PermissionRuleJSON:
        data = handler(self)
        if data.get("conditions") is None:
            data.pop("conditions", None)
        rule: PermissionRuleJSON = data
        return rule


def rules_out(stored: Sequence[dict[str, Any]]) -> list[PermissionRule]:
    """Stored canonical rules (already unpacked) as wire models."""
    return [PermissionRule.model_validate(rule) for rule in stored]


def _collect(
    parse: Callable[[Any], list[Rule]], raw: Any, path: Path, issues: Issues
) -> list[Rule] | None:
    try:
        return parse(raw)
    except RuleSetValidationError as exc:
        issues.extend(
            {"code": "custom", "message": error.message, "path": [*path, *error.path]}
            for error in exc.errors
        )
        return None


def collect_rules(raw: Any, path: Path, issues: Issues) -> list[Rule] | None:
    """Packed and/or unpacked project rules; problems are appended to ``issues``."""
    return _collect(lambda value: parse_rules(value, scope="project"), raw, path, issues)


def collect_privilege_permission(raw: Any, path: Path, issues: Issues) -> list[Rule] | None:
    """Terraform's ``privilegePermission`` expanded to one rule per action."""
    return _collect(expand_privilege_permission, raw, path, issues)


def raise_if_any(issues: Issues) -> None:
    if issues:
        raise InvalidInputError(issues)

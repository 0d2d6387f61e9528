"""Seed entries → stored values: permission rules, temporary windows, template rules.

Each check is the API's own (the core's rule parser, duration parser and template body
rules); a failure becomes a :class:`SeedError` naming the entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.infisical.templates import (
    EnvironmentSpec,
    TemplateRoleSpec,
    check_template_input,
)
from rolegate.rbac.permissions.rules import RuleSetValidationError, parse_rules, rules_to_json
from rolegate.rbac.windows import (
    PERMANENT,
    RELATIVE,
    InvalidWindowError,
    TemporaryWindow,
    window_columns,
)
from rolegate.seed import schema as s
from rolegate.seed.reading import SeedError


def suffix(path: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def rules(raw: list[Any], where: str) -> list[dict[str, Any]]:
    try:
        return rules_to_json(parse_rules(raw))
    except RuleSetValidationError as exc:
        details = "; ".join(f"{where}.permissions{suffix(e.path)}: {e.message}" for e in exc.errors)
        raise SeedError(details) from exc


def window(
    grant: s.SeedRoleGrant | s.SeedPrivilege, where: str, now: dt.datetime
) -> dict[str, Any]:
    """A seeded grant's stored window; a temporary one starts now unless it says when."""
    if not grant.isTemporary:
        return dict(PERMANENT)
    if not grant.temporaryRange:
        raise SeedError(f"{where}: a temporary grant needs temporaryRange")
    start = (
        dt.datetime.fromisoformat(grant.temporaryAccessStartTime.replace("Z", "+00:00"))
        if grant.temporaryAccessStartTime
        else now
    )
    try:
        return window_columns(
            TemporaryWindow(
                is_temporary=True,
                temporary_mode=RELATIVE,
                temporary_range=grant.temporaryRange,
                start=start,
            )
        )
    except InvalidWindowError as exc:
        raise SeedError("; ".join(f"{where}.{p.field}: {p.message}" for p in exc.problems)) from exc


def check_template(spec: s.SeedProjectTemplate, envs: list[s.SeedEnvironment], where: str) -> None:
    """The API's body rules for templates (reserved names, duplicates, positions)."""
    try:
        check_template_input(
            spec.name,
            [TemplateRoleSpec(name=r.name, slug=r.slug, rules=()) for r in spec.roles],
            [
                EnvironmentSpec(name=e.name, slug=e.slug, position=e.position or pos)
                for pos, e in enumerate(envs, start=1)
            ],
        )
    except InvalidInputError as exc:
        raise SeedError(
            "; ".join(f"{where}{suffix(i['path'])}: {i['message']}" for i in exc.issues)
        ) from exc

"""Shared helpers to turn pydantic's validation errors into vendor issue lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Infisical validates with zod; clients that look at ``code`` expect zod's names.
_ZOD_CODES = {
    "missing": "invalid_type",
    "string_type": "invalid_type",
    "int_type": "invalid_type",
    "int_parsing": "invalid_type",
    "bool_type": "invalid_type",
    "bool_parsing": "invalid_type",
    "list_type": "invalid_type",
    "dict_type": "invalid_type",
    "model_type": "invalid_type",
    "model_attributes_type": "invalid_type",
    "uuid_type": "invalid_string",
    "uuid_parsing": "invalid_string",
    "string_too_short": "too_small",
    "too_short": "too_small",
    "string_too_long": "too_big",
    "too_long": "too_big",
    "string_pattern_mismatch": "invalid_string",
    "literal_error": "invalid_enum_value",
    "enum": "invalid_enum_value",
    "datetime_parsing": "invalid_string",
    "datetime_type": "invalid_type",
    "datetime_from_date_parsing": "invalid_string",
    "timezone_aware": "invalid_string",
    "json_invalid": "invalid_json",
    "value_error": "custom",
    "assertion_error": "custom",
}


def body_path(loc: Sequence[Any]) -> list[Any]:
    """``("body", "roles", 0, "role")`` → ``["roles", 0, "role"]``; path/query keep their name."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    return parts


def clean_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value"))
    # pydantic prefixes messages of custom validators; the prefix is noise on the wire.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def zod_issues(errors: Sequence[Any]) -> list[dict[str, Any]]:
    issues = []
    for error in errors:
        kind = str(error.get("type", "custom"))
        issues.append(
            {
                "code": _ZOD_CODES.get(kind, kind),
                "message": clean_message(error),
                "path": body_path(error.get("loc", ())),
            }
        )
    return issues

"""Explanations (core objects) → Infisical wire schemas, and query input → core input."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from rolegate.api.infisical import explain_schemas as s
from rolegate.api.infisical.common import format_timestamp, parse_timestamp
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.explain import project as ex
from rolegate.rbac.permissions.rules import Rule, unpack
from rolegate.rbac.permissions.schema import PROJECT_SUBJECTS, SUBJECTS


def _issue(path: list[str | int], message: str) -> InvalidInputError:
    return InvalidInputError([{"code": "custom", "message": message, "path": path}])


_KEYS = {"identity": "identityId", "user": "userId", "group": "groupId"}


def principal_from(
    prefix: list[str | int],
    identity_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    group_id: uuid.UUID | None,
) -> ex.Principal:
    """Exactly one principal id; the issue's path names the missing or the extra one."""
    candidates: tuple[tuple[ex.PrincipalKind, uuid.UUID | None], ...] = (
        ("identity", identity_id),
        ("user", user_id),
        ("group", group_id),
    )
    given = [(kind, value) for kind, value in candidates if value is not None]
    if len(given) != 1:
        key = _KEYS[given[1][0]] if given else "identityId"
        raise _issue([*prefix, key], "Give exactly one of identityId, userId or groupId")
    kind, value = given[0]
    return ex.Principal(kind, value)


def moment(raw: str | None, path: list[str | int], now: dt.datetime) -> dt.datetime:
    """``at`` as UTC; RFC 3339 with a zone only."""
    if raw is None:
        return now
    if not s.RFC3339.match(raw):
        raise _issue(path, "at must be an RFC 3339 timestamp with a time zone")
    try:
        return parse_timestamp(raw)
    except ValueError as exc:
        raise _issue(path, "at must be an RFC 3339 timestamp with a time zone") from exc


def check_question(body: s.PermissionCheckRequest) -> dict[str, Any]:
    """Validate subject, action and fields against the permission table (422 with paths)."""
    if body.subject not in PROJECT_SUBJECTS:
        raise _issue(["subject"], f'Unknown subject "{body.subject}"')
    spec = SUBJECTS[body.subject]
    if body.action not in spec.actions:
        raise _issue(
            ["action"], f'Action "{body.action}" is not allowed on subject "{body.subject}"'
        )
    fields: dict[str, Any] | None = None
    if body.fields is not None:
        fields = {}
        for key, value in body.fields.items():
            if key not in spec.conditions:
                raise _issue(
                    ["fields", key], f'Field "{key}" is not a condition key of "{body.subject}"'
                )
            multi = key in spec.multi_valued_keys
            if multi != isinstance(value, list):
                kind = "a list of strings" if multi else "a string"
                raise _issue(["fields", key], f'Field "{key}" must be {kind}')
            fields[key] = value
    return {"action": body.action, "subject": body.subject, "fields": fields}


# The responses are built as JSON documents and sent with orjson, not as pydantic models
# that FastAPI validates again and serializes: the wire types in explain_schemas.py
# document them (OpenAPI), and the bytes are the ones pydantic renders for those types
# (test_explain.py: test_responses_are_what_the_wire_models_render).

Document = dict[str, Any]


def _timestamp(value: dt.datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def rule(value: Rule) -> Document:
    """A rule as :class:`~explain_schemas.PermissionRule`."""
    wire = unpack(value)
    return {
        "subject": wire["subject"],
        "action": wire["action"],
        "conditions": wire.get("conditions"),
        "inverted": wire["inverted"],
    }


def _window(source: ex.Source) -> Document:
    return {"start": _timestamp(source.starts_at), "end": _timestamp(source.ends_at)}


def source(value: ex.Source) -> Document:
    """A source as :class:`~explain_schemas.PermissionSource`."""
    group = value.group
    return {
        "type": value.type,
        "id": str(value.id),
        "label": value.label,
        "role": value.role,
        "privilegeSlug": value.privilege,
        "group": None
        if group is None
        else {"id": str(group.id), "name": group.name, "slug": group.slug},
        "isTemporary": value.starts_at is not None or value.ends_at is not None,
        "window": _window(value),
        "active": value.active,
    }


class _Sources:
    """Each source rendered once: every rule of a source repeats it."""

    def __init__(self) -> None:
        self._done: dict[int, Document] = {}

    def __call__(self, value: ex.Source) -> Document:
        found = self._done.get(id(value))
        if found is None:
            found = self._done[id(value)] = source(value)
        return found


def _explained_rule(value: ex.ExplainedRule, sources: _Sources) -> Document:
    rendered = sources(value.source)
    return {
        "rule": rule(value.rule),
        "source": rendered,
        "window": rendered["window"],
        "active": value.active,
        "overridden": value.overridden,
        "overriddenBy": [
            {
                "actions": list(o.actions),
                "fully": o.fully,
                "rule": rule(o.rule),
                "source": sources(o.source),
            }
            for o in value.overridden_by
        ],
    }


def effective_permissions(value: ex.Explanation) -> Document:
    """The explanation as :class:`~explain_schemas.EffectivePermissionsResponse`."""
    sources = _Sources()
    return {
        "projectId": str(value.project_id),
        "principal": {
            "type": value.principal.kind,
            "id": str(value.principal.id),
            "name": value.principal_name,
        },
        "at": format_timestamp(value.at),
        "sources": [sources(item) for item in value.sources],
        "rules": [_explained_rule(item, sources) for item in value.rules],
        "permissions": [rule(item) for item in value.effective_rules],
    }


def check_result(value: ex.CheckResult) -> Document:
    """The answer as :class:`~explain_schemas.PermissionCheckResponse`."""
    sources = _Sources()
    return {
        "allowed": value.allowed,
        "because": [
            {"effect": reason.effect, "rule": rule(reason.rule), "source": sources(reason.source)}
            for reason in value.because
        ],
        "at": format_timestamp(value.at),
    }

"""CASL-style permission rules: parsing, wire forms, evaluation and the grant boundary.

A :class:`Rule` allows (or, when ``inverted``, denies) ``actions`` on ``subject``,
optionally only where ``conditions`` hold. Conditions are normalised on the way in:
every key maps to its operators (``{"environment": {"$eq": "dev"}}``; a plain value is
``$eq``) and ``$in`` operands are tuples, so nothing downstream handles the shorthand.
Several operators on one key are a conjunction, as in CASL's mongo matcher:
``{"$eq": "dev", "$in": ["dev", "prod"]}`` holds where both do. Which keys were written
as a plain value is kept (``Rule.plain``), so a rule reads back exactly as it was sent:
Terraform compares what it sent with what it reads.

Evaluation (:class:`Ability`) differs from CASL on purpose: **deny wins regardless of
order**. A permission is held iff some allow rule matches and no deny rule matches;
CASL's last-rule-wins would make a role mean different things depending on how rule
lists happen to be concatenated. Asked without ``fields`` ("may I edit groups at
all?"), a conditional allow counts as matching and a conditional deny does not deny,
as in CASL; an unconditional deny always denies. Asked with ``fields``, a condition
matches only if its field is present and satisfies the operator, so callers must pass
every field the subject's conditions can name. A list-valued field (``secretTags``)
matches ``$in`` on any overlap (``$eq``/``$glob``: some element; ``$ne``: no element).

``$glob`` is matched by wcmatch configured to behave like picomatch, which Infisical
uses (``isMatch(value, glob, {strictSlashes: false})``): globstar, braces, extglobs and
a leading ``!`` negation on; wildcards do not match a leading dot (picomatch's default
``dot: false``, so no DOTMATCH); FORCEUNIX keeps it case-sensitive with ``/`` on every
platform. Where wcmatch and picomatch disagree, picomatch's rules are emulated by
rewriting the pattern (``a/**`` matches ``a``; a leading ``/**/`` needs a segment; a
leading ``!`` negates the rest). Empty values and empty patterns never match (as in
Infisical). Differential testing against picomatch 4 leaves differences on odd patterns
only, where ours matches less: a bracket expression or ``!(…)`` never matches a leading
dot, and a leading ``*`` or an extglob never matches an empty segment.

The boundary check (:func:`missing_permissions`) answers "does the actor hold every
permission it is about to grant?" by a condition-aware subset test. It is sound but
incomplete: when in doubt, the actor does not hold the permission. Its reasoning about
globs assumes canonical values: non-empty, and paths without empty, ``.`` or ``..``
segments or a trailing slash (other than ``/`` itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from rolegate.rbac.permissions.globs import compiled_glob, glob_matches, split_negation
from rolegate.rbac.permissions.schema import (
    EQ,
    GLOB,
    IMPLIED_ACTIONS,
    IN,
    NE,
    OPERATORS,
    PATH_CONDITION_KEYS,
    SUBJECTS,
    Scope,
    SubjectSpec,
    subjects_in_scope,
    with_implied,
)

ConditionValue: TypeAlias = str | tuple[str, ...]
Condition: TypeAlias = tuple[str, ConditionValue]
Conditions: TypeAlias = Mapping[str, Mapping[str, ConditionValue]]
PathItem: TypeAlias = str | int


@dataclass(frozen=True, slots=True)
class Rule:
    subject: str
    actions: tuple[str, ...]
    conditions: Conditions | None = None
    inverted: bool = False
    #: Condition keys written as a plain value (how they go back out; no meaning).
    plain: frozenset[str] = field(default=frozenset(), compare=False)

    def __hash__(self) -> int:
        # The generated hash would fail on the condition dicts; equal dicts may differ
        # in key order, so hash an unordered view of them.
        frozen = None
        if self.conditions is not None:
            frozen = frozenset(
                (key, op, value)
                for key, spec in self.conditions.items()
                for op, value in spec.items()
            )
        return hash((self.subject, self.actions, frozen, self.inverted))


class RuleValidationError(Exception):
    """One problem in a rule list, located by its path inside the value given."""

    def __init__(self, path: tuple[PathItem, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class RuleSetValidationError(Exception):
    """Every problem found in one input, raised together so an API can list them all."""

    def __init__(self, errors: Sequence[RuleValidationError]) -> None:
        super().__init__("; ".join(f"{list(e.path)}: {e.message}" for e in errors))
        self.errors = list(errors)


# --- evaluation -----------------------------------------------------------------------


def value_matches(op: str, expected: ConditionValue, actual: str) -> bool:
    """One operator against one scalar value."""
    if op == EQ:
        return actual == expected
    if op == NE:
        return actual != expected
    if op == IN:
        return isinstance(expected, tuple) and actual in expected
    if op == GLOB:
        return isinstance(expected, str) and glob_matches(actual, expected)
    # Unreachable for parsed or stored rules; failing loudly beats guessing on a deny.
    raise ValueError(f"Unknown condition operator {op!r}")


def _field_matches(op: str, expected: ConditionValue, actual: object) -> bool:
    if isinstance(actual, str):
        return value_matches(op, expected, actual)
    if isinstance(actual, list | tuple) and all(isinstance(item, str) for item in actual):
        if op == NE:
            return all(value_matches(NE, expected, item) for item in actual)
        return any(value_matches(op, expected, item) for item in actual)
    return False


def _rule_matches(rule: Rule, fields: Mapping[str, Any]) -> bool:
    if rule.conditions is None:
        return True
    for key, spec in rule.conditions.items():
        if key not in fields:
            return False
        actual = fields[key]
        if not all(_field_matches(op, expected, actual) for op, expected in spec.items()):
            return False
    return True


_Index: TypeAlias = dict[str, list[Rule]]  # action -> rules naming it (implied included)


class Ability:
    """Answers "may I?" for one rule set (see the module docstring for the semantics).

    A question only reads the rules of its subject, so each subject's index is built
    when it is first asked about: most abilities answer one question about one subject,
    and indexing every rule of a large role for it was most of the work.
    """

    __slots__ = ("_by_subject", "rules")

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._by_subject: dict[str, tuple[_Index, _Index]] = {}

    def _index(self, subject: str) -> tuple[_Index, _Index]:
        found = self._by_subject.get(subject)
        if found is None:
            allow: _Index = {}
            deny: _Index = {}
            for rule in self.rules:
                if rule.subject != subject:
                    continue
                index = deny if rule.inverted else allow
                for action in with_implied(subject, rule.actions):
                    index.setdefault(action, []).append(rule)
            found = self._by_subject[subject] = (allow, deny)
        return found

    def can(self, action: str, subject: str, fields: Mapping[str, Any] | None = None) -> bool:
        parts = IMPLIED_ACTIONS.get((subject, action))
        if parts is not None:
            # A composite is held where each of its parts is (a deny of one part takes
            # the composite away); rules naming the composite count for every part.
            return all(self.can(part, subject, fields) for part in parts)
        allow, deny = self._index(subject)
        allows = allow.get(action, [])
        denies = deny.get(action, [])
        if fields is None:
            return bool(allows) and all(rule.conditions is not None for rule in denies)
        return any(_rule_matches(r, fields) for r in allows) and not any(
            _rule_matches(r, fields) for r in denies
        )


# --- parsing --------------------------------------------------------------------------

Path: TypeAlias = tuple[PathItem, ...]


def _flag(value: object) -> bool | None:
    """A packed/unpacked ``inverted`` value as a bool, or None when it is not one."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


class _Parser:
    """Collects every error of one input instead of stopping at the first."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.errors: list[RuleValidationError] = []

    def fail(self, path: Path, message: str) -> None:
        self.errors.append(RuleValidationError(path, message))

    def item(self, raw: object, path: Path) -> Rule | None:
        before = len(self.errors)
        rule = None
        if isinstance(raw, Mapping):
            rule = self.unpacked(raw, path)
        elif isinstance(raw, list | tuple):
            rule = self.packed(raw, path)
        else:
            self.fail(path, "A permission must be a packed array or an object")
        return rule if len(self.errors) == before else None

    def packed(self, raw: Sequence[Any], path: Path) -> Rule | None:
        if not 2 <= len(raw) <= 4:
            self.fail(path, "A packed permission is [actions, subject, conditions?, inverted?]")
            return None
        conditions = raw[2] if len(raw) > 2 else None
        if type(conditions) is int and conditions == 0:
            conditions = None  # CASL's packRules writes 0 for "no conditions"
        inverted = _flag(raw[3] if len(raw) > 3 else None)
        if inverted is None:
            self.fail((*path, 3), "inverted must be 0, 1 or a boolean")
        return self.build(raw[1], raw[0], conditions, bool(inverted), path, (1, 0, 2), joined=True)

    def unpacked(self, raw: Mapping[str, Any], path: Path) -> Rule | None:
        missing = [key for key in ("subject", "action") if key not in raw]
        for key in missing:
            self.fail((*path, key), "Required")
        if raw.get("fields"):
            # Ignoring a field restriction would widen an allow rule: refuse it instead.
            self.fail((*path, "fields"), "Field-level permissions are not supported")
        inverted = _flag(raw.get("inverted"))
        if inverted is None:
            self.fail((*path, "inverted"), "inverted must be a boolean")
        if missing:
            return None
        return self.build(
            raw["subject"],
            raw["action"],
            raw.get("conditions"),
            bool(inverted),
            path,
            ("subject", "action", "conditions"),
            joined=False,
        )

    def build(
        self,
        subject: object,
        actions: object,
        conditions: object,
        inverted: bool,
        path: Path,
        keys: tuple[PathItem, PathItem, PathItem],
        *,
        joined: bool,
    ) -> Rule:
        spec = self.subject(subject, (*path, keys[0]))
        name = subject if isinstance(subject, str) else ""
        parsed_actions = self.actions(actions, (*path, keys[1]), spec, name, joined=joined)
        parsed_conditions = None
        plain: frozenset[str] = frozenset()
        if spec is not None:
            parsed_conditions = self.conditions(conditions, (*path, keys[2]), spec, name)
            if parsed_conditions and isinstance(conditions, Mapping):
                plain = frozenset(k for k, v in conditions.items() if isinstance(v, str))
        return Rule(name, parsed_actions, parsed_conditions, inverted, plain)

    def subject(self, raw: object, path: Path) -> SubjectSpec | None:
        if not isinstance(raw, str):
            self.fail(path, "Subject must be a string")
            return None
        spec = SUBJECTS.get(raw)
        if spec is None:
            self.fail(path, f'Unknown subject "{raw}"')
        elif raw not in subjects_in_scope(self.scope):
            self.fail(path, f'Subject "{raw}" cannot be used in {self.scope} permissions')
            spec = None
        return spec

    def actions(
        self, raw: object, path: Path, spec: SubjectSpec | None, subject: str, *, joined: bool
    ) -> tuple[str, ...]:
        items: list[tuple[Path, object]]
        if isinstance(raw, str):
            items = [(path, action) for action in (raw.split(",") if joined else [raw])]
        elif isinstance(raw, list | tuple):
            items = [((*path, j), action) for j, action in enumerate(raw)]
        else:
            self.fail(path, "Actions must be a string or a list of strings")
            return ()
        if not items:
            self.fail(path, "At least one action is required")
        parsed: list[str] = []
        for item_path, action in items:
            if not isinstance(action, str) or not action:
                self.fail(item_path, "An action must be a non-empty string")
            elif spec is not None and action not in spec.actions:
                self.fail(item_path, f'Action "{action}" is not allowed on subject "{subject}"')
            elif action not in parsed:
                parsed.append(action)
        return tuple(parsed)

    def conditions(
        self, raw: object, path: Path, spec: SubjectSpec, subject: str
    ) -> dict[str, dict[str, ConditionValue]] | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.fail(path, "Conditions must be an object")
            return None
        parsed: dict[str, dict[str, ConditionValue]] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or key not in spec.conditions:
                self.fail(
                    (*path, str(key)),
                    f'Condition key "{key}" is not allowed on subject "{subject}"',
                )
                continue
            operators = self.operators(key, value, (*path, key), spec.conditions[key])
            if operators is not None:
                parsed[key] = operators
        return parsed or None

    def operators(
        self, key: str, raw: object, path: Path, allowed: frozenset[str]
    ) -> dict[str, ConditionValue] | None:
        """A key's condition: a plain value (``$eq``) or an object of operators (all hold)."""
        if isinstance(raw, str):
            condition = self.condition(key, EQ, raw, path, allowed)
            return None if condition is None else {EQ: condition[1]}
        if not isinstance(raw, Mapping) or not raw:
            self.fail(path, "A condition must be a string or an object of operators")
            return None
        before = len(self.errors)
        operators: dict[str, ConditionValue] = {}
        for op, operand in raw.items():
            condition = self.condition(key, str(op), operand, (*path, str(op)), allowed)
            if condition is not None:
                operators[condition[0]] = condition[1]
        return operators if len(self.errors) == before else None

    def condition(
        self, key: str, op: str, operand: object, op_path: Path, allowed: frozenset[str]
    ) -> Condition | None:
        if op not in allowed:
            self.fail(op_path, f'Operator "{op}" is not allowed for "{key}"')
            return None
        items: list[tuple[Path, object]] = [(op_path, operand)]
        if op == IN:
            if not isinstance(operand, list | tuple) or not operand:
                self.fail(op_path, '"$in" expects a non-empty list of strings')
                return None
            items = [((*op_path, j), item) for j, item in enumerate(operand)]
        strings: list[str] = []
        for item_path, item in items:
            if not isinstance(item, str):
                self.fail(
                    item_path,
                    '"$in" expects a non-empty list of strings'
                    if op == IN
                    else f'"{op}" expects a string',
                )
            elif key in PATH_CONDITION_KEYS and not item.startswith("/"):
                self.fail(item_path, f'{key} must start with "/"')
            elif op != GLOB or self.glob(item, item_path):
                strings.append(item)
        if len(strings) != len(items):
            return None
        return (IN, tuple(strings)) if op == IN else (op, strings[0])

    def glob(self, pattern: str, path: Path) -> bool:
        if not pattern:
            self.fail(path, "A glob pattern must not be empty")
            return False
        try:
            compiled_glob(split_negation(pattern)[1])
        except Exception as exc:  # wcmatch signals unusable patterns with several types
            self.fail(path, f"Invalid glob pattern: {exc}")
            return False
        return True


def parse_rules(raw: Sequence[Any], *, scope: Scope = "project") -> list[Rule]:
    """Validate packed and/or unpacked rules; raise every problem at once."""
    parser = _Parser(scope)
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence):
        parser.fail((), "Permissions must be a list")
        raise RuleSetValidationError(parser.errors)
    rules = [parser.item(item, (i,)) for i, item in enumerate(raw)]
    if parser.errors:
        raise RuleSetValidationError(parser.errors)
    return [rule for rule in rules if rule is not None]


def expand_privilege_permission(obj: Any) -> list[Rule]:
    """Terraform's ``{actions, subject, conditions}`` as one rule per action."""
    parser = _Parser("project")
    if not isinstance(obj, Mapping):
        parser.fail((), "privilegePermission must be an object")
        raise RuleSetValidationError(parser.errors)
    for key in ("actions", "subject"):
        if key not in obj:
            parser.fail((key,), "Required")
    if parser.errors:
        raise RuleSetValidationError(parser.errors)
    rule = parser.build(
        obj["subject"],
        obj["actions"],
        obj.get("conditions"),
        False,
        (),
        ("subject", "actions", "conditions"),
        joined=False,
    )
    if parser.errors:
        raise RuleSetValidationError(parser.errors)
    return [
        Rule(rule.subject, (action,), rule.conditions, plain=rule.plain) for action in rule.actions
    ]


# --- wire forms -----------------------------------------------------------------------


def wire_conditions(conditions: Conditions, plain: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Conditions as sent: keys in ``plain`` as the bare value, the rest as operators."""
    wire: dict[str, Any] = {}
    for key, spec in conditions.items():
        if key in plain and len(spec) == 1 and isinstance(spec.get(EQ), str):
            wire[key] = spec[EQ]
        else:
            wire[key] = {op: list(value) if op == IN else value for op, value in spec.items()}
    return wire


def unpack(rule: Rule) -> dict[str, Any]:
    """The unpacked wire form: ``{subject, action: [...], conditions?, inverted}``."""
    wire: dict[str, Any] = {"subject": rule.subject, "action": list(rule.actions)}
    if rule.conditions:
        wire["conditions"] = wire_conditions(rule.conditions, rule.plain)
    wire["inverted"] = rule.inverted
    return wire


def pack(rule: Rule) -> list[Any]:
    """CASL's packed form ``[actions, subject, conditions|0, 1|0]``, trailing 0s dropped."""
    conditions = wire_conditions(rule.conditions, rule.plain) if rule.conditions else 0
    packed: list[Any] = [",".join(rule.actions), rule.subject, conditions, int(rule.inverted)]
    while len(packed) > 2 and packed[-1] == 0:
        packed.pop()
    return packed


def rules_to_json(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """The canonical stored form: unpacked rules (exact inverse of rules_from_json)."""
    return [unpack(rule) for rule in rules]


def rules_from_json(stored: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """Decode rules written by :func:`rules_to_json` (validated then; only shape-checked now)."""
    return [_decode(item) for item in stored]


def _decode(item: Mapping[str, Any]) -> Rule:
    try:
        action = item["action"]
        conditions: dict[str, dict[str, ConditionValue]] = {}
        plain: set[str] = set()
        for key, value in (item.get("conditions") or {}).items():
            if isinstance(value, str):
                conditions[key] = {EQ: value}
                plain.add(key)
                continue
            if not value:
                raise ValueError(key)
            operators: dict[str, ConditionValue] = {}
            for op, operand in value.items():
                if op not in OPERATORS:
                    raise ValueError(op)
                operators[op] = tuple(operand) if op == IN else operand
            conditions[key] = operators
        return Rule(
            subject=item["subject"],
            actions=(action,) if isinstance(action, str) else tuple(action),
            conditions=conditions or None,
            inverted=bool(item.get("inverted", False)),
            plain=frozenset(plain),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"Stored permission rule is malformed: {item!r}") from exc


__all__ = [
    "Ability",
    "Rule",
    "RuleSetValidationError",
    "RuleValidationError",
    "expand_privilege_permission",
    "glob_matches",
    "pack",
    "parse_rules",
    "rules_from_json",
    "rules_to_json",
    "unpack",
]

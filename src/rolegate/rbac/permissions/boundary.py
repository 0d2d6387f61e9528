"""The grant boundary: does an actor hold every permission it is about to grant?

A condition-aware subset test, sound but incomplete: when in doubt, the actor does not
hold the permission. Its reasoning about globs assumes canonical values: non-empty, and
paths without empty, ``.`` or ``..`` segments or a trailing slash (other than ``/``).

A key may carry several operators, which all hold (a conjunction). Reasoning stays
sound with them: a request is within an actor's allow when, for every operator the allow
puts on a key, some operator of the request on that key is within it (the request's set
is inside each of its own operators' sets); a deny cannot overlap a request when some
pair of their operators on one key is disjoint. Composite actions (``read`` on secrets,
which is ``describeSecret`` plus ``readValue``) count on the actor's side for each part,
and a requested composite is held only when the composite or every part is.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from rolegate.rbac.permissions.globs import glob_matches, glob_within, globs_disjoint, is_literal
from rolegate.rbac.permissions.rules import (
    Condition,
    Conditions,
    Rule,
    value_matches,
    wire_conditions,
)
from rolegate.rbac.permissions.schema import (
    EQ,
    GLOB,
    IMPLIED_ACTIONS,
    IN,
    NE,
    SUBJECTS,
    with_implied,
)

# Above this many $in combinations a requested rule is checked whole rather than split.
_MAX_SLICES: Final = 256


def _multi_valued(subject: str, key: str) -> bool:
    spec = SUBJECTS.get(subject)
    return spec is None or key in spec.multi_valued_keys  # unknown: assume the worst


def _within(child: Condition, parent: Condition, multi: bool) -> bool:
    """Conservatively: does every value satisfying ``child`` satisfy ``parent``?"""
    if child == parent:
        return True
    (c_op, c_val), (p_op, p_val) = child, parent
    if c_op == IN:  # $in is the union of one $eq per element, on lists too
        return all(_within((EQ, item), parent, multi) for item in c_val)
    if not isinstance(c_val, str):
        return False
    if c_op == GLOB and is_literal(c_val):
        c_op = EQ
    if multi:
        # "contains x" implies only membership-style parents; $ne/$glob children on a
        # list also admit lists holding other values.
        return c_op == EQ and p_op != NE and value_matches(p_op, p_val, c_val)
    if c_op == EQ:
        return value_matches(p_op, p_val, c_val)
    if c_op == GLOB and p_op == NE:
        return not glob_matches(p_val, c_val) if isinstance(p_val, str) else False
    if c_op == GLOB and p_op == GLOB and isinstance(p_val, str):
        return glob_within(c_val, p_val)
    # A $ne child admits every other value, dot-leading ones included, which no glob
    # matches; only the identical $ne (handled above) contains it.
    return False


_RANK: Final = {EQ: 0, IN: 0, GLOB: 1, NE: 2}


def _disjoint(a: Condition, b: Condition, multi: bool) -> bool:
    """Conservatively: can no value satisfy both ``a`` and ``b``?"""
    if multi:
        return False  # one tag list can satisfy any two tag conditions
    (a_op, a_val), (b_op, b_val) = sorted((a, b), key=lambda c: _RANK[c[0]])
    if a_op in (EQ, IN):  # a finite set: test each of its values
        values = (a_val,) if isinstance(a_val, str) else a_val
        return not any(value_matches(b_op, b_val, value) for value in values)
    if a_op == GLOB and b_op == GLOB and isinstance(a_val, str) and isinstance(b_val, str):
        for literal, other in ((a_val, b_val), (b_val, a_val)):
            if is_literal(literal):
                return not glob_matches(literal, other)
        return globs_disjoint(a_val, b_val)
    if a_op == GLOB and isinstance(a_val, str) and is_literal(a_val):
        return not value_matches(b_op, b_val, a_val)
    return False  # $ne against $ne or a real glob: both admit unboundedly many values


# A key's operators as a list of conditions, all of which hold: the request side after
# slicing can hold two ``$eq`` on one key, which a mapping by operator cannot.
KeyConditions = Mapping[str, Sequence[Condition]]


def _as_lists(conditions: Conditions) -> dict[str, list[Condition]]:
    return {key: list(spec.items()) for key, spec in conditions.items()}


def _conditions_within(
    child: KeyConditions | None, parent: Conditions | None, subject: str
) -> bool:
    if parent is None:
        return True
    for key, spec in parent.items():
        if child is None or key not in child:
            return False  # the child admits values of this key the parent does not
        multi = _multi_valued(subject, key)
        for p_cond in spec.items():
            if not any(_within(c_cond, p_cond, multi) for c_cond in child[key]):
                return False
    return True


def _may_overlap(deny: Conditions | None, request: KeyConditions | None, subject: str) -> bool:
    if deny is None or request is None:
        return True
    for key, spec in deny.items():
        if key not in request:
            continue
        multi = _multi_valued(subject, key)
        if any(_disjoint(d, r, multi) for d in spec.items() for r in request[key]):
            return False
    return True


def _slices(conditions: Conditions | None) -> list[KeyConditions | None]:
    """Split each $in into its elements, so that different actor rules may cover them.

    Splitting ``$in`` keeps the key's other operators beside each element, so the
    slices' union is exactly the request (``x in S and P`` is the union of ``x = s and
    P`` over ``s`` in ``S``).
    """
    if conditions is None:
        return [None]
    keys = list(conditions)
    options: list[list[tuple[Condition, ...]]] = []
    for key in keys:
        fixed = tuple((op, v) for op, v in conditions[key].items() if op != IN)
        listed = conditions[key].get(IN)
        if isinstance(listed, tuple):
            options.append([(*fixed, (EQ, item)) for item in listed])
        else:
            options.append([fixed])
    if math.prod(len(option) for option in options) > _MAX_SLICES:
        return [_as_lists(conditions)]
    return [
        {key: list(conds) for key, conds in zip(keys, combo, strict=True)}
        for combo in itertools.product(*options)
    ]


def _covered(
    subject: str,
    conditions: Conditions | None,
    relevant_allows: Sequence[Rule],
    relevant_denies: Sequence[Rule],
) -> bool:
    """The allows and denies given are the actor's rules for this subject and action."""
    if conditions is None:
        # Most requested rules (a role's) carry no conditions: then only an unconditioned
        # allow contains them and any deny may overlap. The general test below agrees; this
        # is the grant check's hot path, run for dozens of pairs per request.
        return not relevant_denies and any(not r.conditions for r in relevant_allows)
    return all(
        any(_conditions_within(part, r.conditions, subject) for r in relevant_allows)
        and not any(_may_overlap(d.conditions, part, subject) for d in relevant_denies)
        for part in _slices(conditions)
    )


_NO_RULES: Final[tuple[Rule, ...]] = ()


def _by_subject_action(rules: Iterable[Rule]) -> dict[tuple[str, str], list[Rule]]:
    """Index rules by (subject, action): a grant checks dozens of pairs against them."""
    index: dict[tuple[str, str], list[Rule]] = {}
    for rule in rules:
        for action in with_implied(rule.subject, rule.actions):
            index.setdefault((rule.subject, action), []).append(rule)
    return index


def missing_permissions(
    actor_rules: Iterable[Rule], requested_rules: Iterable[Rule]
) -> list[dict[str, Any]]:
    """Requested permissions the actor does not hold, one entry per rule and action.

    Each entry is ``{"subject", "action": <one action>, "conditions"?}`` in wire form.
    A requested rule is held when an actor allow rule contains it (every key the allow
    constrains is constrained at least as tightly by the request; each ``$in`` value
    may be contained by a different allow rule) and no actor deny rule may overlap it.
    Requested deny rules only take permissions away, so granting one never exceeds
    what the actor holds; they need no covering.
    """
    actor = list(actor_rules)
    denies = _by_subject_action(rule for rule in actor if rule.inverted)
    # What _covered answers for a requested rule without conditions, per (subject,
    # action): an unconditioned allow and no deny. Most requested rules are a built-in
    # role's, unconditioned, so most checks are one set lookup; the index of the allows
    # is built only when a requested rule has conditions.
    held_plainly = {
        (rule.subject, action)
        for rule in actor
        if not rule.inverted and not rule.conditions
        for action in with_implied(rule.subject, rule.actions)
    }.difference(denies)
    allows: dict[tuple[str, str], list[Rule]] | None = None
    missing: list[dict[str, Any]] = []
    # The same rule object twice (a built-in role requested and held) is checked once.
    for rule in {id(rule): rule for rule in requested_rules}.values():
        if rule.inverted:
            continue
        subject, conditions = rule.subject, rule.conditions
        if conditions is not None and allows is None:
            allows = _by_subject_action(allow for allow in actor if not allow.inverted)
        for action in rule.actions:
            parts = IMPLIED_ACTIONS.get((subject, action), (action,))
            if allows is None or conditions is None:
                held = all((subject, part) in held_plainly for part in parts)
            else:
                held = all(
                    _covered(
                        subject,
                        conditions,
                        allows.get((subject, part), _NO_RULES),
                        denies.get((subject, part), _NO_RULES),
                    )
                    for part in parts
                )
            if held:
                continue
            entry: dict[str, Any] = {"subject": subject, "action": action}
            if conditions:
                entry["conditions"] = wire_conditions(conditions, rule.plain)
            if entry not in missing:
                missing.append(entry)
    return missing


def covers(actor_rules: Iterable[Rule], requested_rules: Iterable[Rule]) -> bool:
    """Whether the actor holds every permission in ``requested_rules``."""
    return not missing_permissions(actor_rules, requested_rules)

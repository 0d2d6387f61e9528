"""The check agrees with the PATCH boundary: properties over generated rule sets.

The boundary (``missing_permissions``) answers "does the actor hold every permission of
this rule?" for a *set* of resources; the check (``explain.decide``, i.e.
``Ability.can``) answers for *one* resource described by ``fields``. They can only be
compared where the two questions coincide. The theorem tested, for any actor rule set
and a requested allow rule R on subject s whose conditions are all ``$eq``:

    if every actor deny rule on s conditions only on keys R constrains, then
    missing_permissions(actor, [R]) == []  ⇔  for every action a of R,
    decide(actor, a, s, fields=R's $eq values) is allowed.

Why the side condition: R with all-``$eq`` conditions denotes the resources agreeing
with it on its keys and *anything* on the others. Allow rules behave the same on both
sides (an allow conditioned on a key R leaves open covers nothing on the boundary side
and does not match fields lacking that key on the check side), but a deny conditioned on
such a key may hit some of R's resources — the boundary refuses — while the fields,
lacking the key, never match it — the check allows. With the side condition every deny
either constrains only keys the fields carry or is unconditional, and both sides then
test the same values with the same operators.

A second, one-directional property holds for every requested rule (any operators):
when the boundary accepts R, the check allows every action of R on every fully
described resource R covers — the boundary never lets an actor grant something it
could not itself do.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rolegate.rbac.explain.project import decide
from rolegate.rbac.permissions.boundary import missing_permissions
from rolegate.rbac.permissions.rules import Ability, Rule
from rolegate.rbac.permissions.schema import EQ, GLOB, IN, NE, SUBJECTS

# A few subjects: two with conditions (one with a list-valued key), two without.
SUBJECT_NAMES = ("secrets", "identity", "groups", "tags")
VALUES: dict[str, tuple[str, ...]] = {
    "environment": ("dev", "prod", "staging"),
    "secretPath": ("/", "/app", "/app/db", "/other"),
    "secretName": ("DB_PASS", "API_KEY", "TOKEN"),
    "secretTags": ("pci", "team-a", "team-b"),
    "identityId": ("id-1", "id-2", "id-3"),
}
GLOBS: dict[str, tuple[str, ...]] = {
    "environment": ("d*", "*", "{dev,prod}", "prod"),
    "secretPath": ("/", "/app/**", "/app/*", "**", "/a*", "{/app,/other}"),
    "secretName": ("*_KEY", "*", "DB_*", "TOKEN"),
}


def operand(key: str, op: str) -> st.SearchStrategy[Any]:
    values = VALUES[key]
    if op == IN:
        return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True).map(tuple)
    if op == GLOB:
        return st.sampled_from(GLOBS[key])
    return st.sampled_from(values)


@st.composite
def conditions(
    draw: st.DrawFn, subject: str, keys: tuple[str, ...] | None = None, eq_only: bool = False
) -> dict[str, dict[str, Any]] | None:
    spec = SUBJECTS[subject]
    allowed = [k for k in spec.conditions if keys is None or k in keys]
    if eq_only:
        allowed = [k for k in allowed if EQ in spec.conditions[k]]
    chosen = draw(st.lists(st.sampled_from(allowed), unique=True)) if allowed else []
    result: dict[str, dict[str, Any]] = {}
    for key in chosen:
        ops = [EQ] if eq_only else sorted(spec.conditions[key])
        # Up to two operators on one key (a conjunction), as Terraform's examples send.
        picked = draw(st.lists(st.sampled_from(ops), min_size=1, max_size=2, unique=True))
        result[key] = {op: draw(operand(key, op)) for op in picked}
    return result or None


@st.composite
def rule(
    draw: st.DrawFn,
    subject: str | None = None,
    inverted: bool | None = None,
    keys: tuple[str, ...] | None = None,
) -> Rule:
    name = subject or draw(st.sampled_from(SUBJECT_NAMES))
    actions = sorted(SUBJECTS[name].actions)
    chosen = draw(st.lists(st.sampled_from(actions), min_size=1, max_size=3, unique=True))
    deny = draw(st.booleans()) if inverted is None else inverted
    return Rule(name, tuple(chosen), draw(conditions(name, keys)), deny)


@st.composite
def eq_request_and_actor(draw: st.DrawFn) -> tuple[Rule, list[Rule]]:
    subject = draw(st.sampled_from(SUBJECT_NAMES))
    actions = sorted(SUBJECTS[subject].actions)
    chosen = tuple(draw(st.lists(st.sampled_from(actions), min_size=1, max_size=3, unique=True)))
    request = Rule(subject, chosen, draw(conditions(subject, eq_only=True)))
    request_keys = tuple(request.conditions or ())
    allows = draw(st.lists(rule(inverted=False), max_size=5))
    # Also allows on the requested subject, so coverage happens often enough to matter.
    allows += draw(st.lists(rule(subject=subject, inverted=False), max_size=3))
    # Side condition: denies on the requested subject only constrain the request's keys.
    denies = draw(st.lists(rule(subject=subject, inverted=True, keys=request_keys), max_size=2))
    denies += draw(
        st.lists(
            rule(inverted=True).filter(lambda r: r.subject != subject),
            max_size=2,
        )
    )
    actor = draw(st.permutations(allows + denies))
    return request, actor


def eq_fields(request: Rule) -> dict[str, str]:
    return {key: spec[EQ] for key, spec in (request.conditions or {}).items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eq_request_and_actor())
def test_check_allows_every_action_exactly_when_the_boundary_accepts_the_grant(
    case: tuple[Rule, list[Rule]],
) -> None:
    request, actor = case
    sourced = [(r, None) for r in actor]
    fields = eq_fields(request)
    boundary_accepts = not missing_permissions(actor, [request])
    check_allows = all(decide(sourced, a, request.subject, fields)[0] for a in request.actions)
    event(f"boundary accepts: {boundary_accepts}")
    assert check_allows == boundary_accepts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eq_request_and_actor())
def test_per_action_the_check_and_the_boundary_agree(case: tuple[Rule, list[Rule]]) -> None:
    request, actor = case
    sourced = [(r, None) for r in actor]
    for action in request.actions:
        single = Rule(request.subject, (action,), request.conditions)
        allowed, reasons = decide(sourced, action, request.subject, eq_fields(request))
        assert allowed == (not missing_permissions(actor, [single]))
        # A decision always names what made it, unless nothing grants the action.
        assert all(effect == ("allow" if allowed else "deny") for effect, _, _ in reasons)
        assert not allowed or reasons


@st.composite
def point(draw: st.DrawFn, subject: str) -> dict[str, Any]:
    """A fully described resource: a value for every key the subject's rules can name."""
    spec = SUBJECTS[subject]
    fields: dict[str, Any] = {}
    for key in spec.conditions:
        if key in spec.multi_valued_keys:
            fields[key] = draw(st.lists(st.sampled_from(VALUES[key]), unique=True, max_size=2))
        else:
            fields[key] = draw(st.sampled_from(VALUES[key]))
    return fields


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.data())
def test_an_accepted_grant_is_allowed_on_every_resource_it_covers(data: st.DataObject) -> None:
    request = data.draw(rule(inverted=False))
    actor = data.draw(st.lists(rule(), max_size=4))
    # The request itself or other allows on its subject, so grants are often accepted,
    # and denies on its subject, so acceptance has to reason about them.
    actor += data.draw(
        st.lists(st.just(request) | rule(subject=request.subject, inverted=False), max_size=2)
    )
    actor += data.draw(st.lists(rule(subject=request.subject, inverted=True), max_size=2))
    accepted = not missing_permissions(actor, [request])
    event(f"boundary accepts: {accepted}")
    assume(accepted)
    resource = data.draw(point(request.subject))
    sourced = [(r, None) for r in actor]
    covered = Ability([request]).can(request.actions[0], request.subject, resource)
    event(f"resource inside the grant: {covered}")
    for action in request.actions:
        if Ability([request]).can(action, request.subject, resource):
            assert decide(sourced, action, request.subject, resource)[0]


def test_the_side_condition_is_needed() -> None:
    """Without it the two questions differ: the documented counterexample."""
    actor = [
        Rule("secrets", ("read",)),
        Rule("secrets", ("read",), {"secretPath": {GLOB: "/app/**"}}, inverted=True),
    ]
    request = Rule("secrets", ("read",), {"environment": {EQ: "dev"}})
    assert missing_permissions(actor, [request])  # some dev secrets are under /app
    assert decide([(r, None) for r in actor], "read", "secrets", {"environment": "dev"})[0]


def test_ne_and_in_denies_are_tested_on_the_same_values() -> None:
    actor = [
        Rule("identity", ("read",)),
        Rule("identity", ("read",), {"identityId": {NE: "id-1"}}, inverted=True),
    ]
    for value, accepted in (("id-1", True), ("id-2", False)):
        request = Rule("identity", ("read",), {"identityId": {EQ: value}})
        assert (not missing_permissions(actor, [request])) is accepted
        assert (
            decide([(r, None) for r in actor], "read", "identity", {"identityId": value})[0]
            is accepted
        )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(rule(), max_size=6),
    st.lists(rule(), min_size=1, max_size=5),
    st.data(),
)
def test_a_grant_of_several_rules_misses_what_each_rule_alone_misses(
    actor: list[Rule], requested: list[Rule], data: st.DataObject
) -> None:
    # The boundary answers an unconditioned rule from a set of plainly held pairs and
    # builds its index of allows only when a conditioned rule comes; a rule object given
    # twice is checked once. None of that may change the answer of the rule alone.
    repeated = requested + data.draw(st.lists(st.sampled_from(requested), max_size=3))
    expected: list[dict[str, Any]] = []
    for one in repeated:
        for entry in missing_permissions(actor, [one]):
            if entry not in expected:
                expected.append(entry)
    assert missing_permissions(actor, repeated) == expected

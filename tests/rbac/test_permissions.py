"""The permission engine: parsing, wire forms, evaluation and the grant boundary."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolegate.rbac.permissions.boundary import covers, missing_permissions
from rolegate.rbac.permissions.rules import (
    Ability,
    Rule,
    RuleSetValidationError,
    expand_privilege_permission,
    glob_matches,
    pack,
    parse_rules,
    rules_from_json,
    rules_to_json,
    unpack,
)
from rolegate.rbac.permissions.schema import PROJECT_SUBJECTS, SUBJECTS, ordered_actions


def rules(*raw: Any) -> list[Rule]:
    return parse_rules(list(raw))


def errors_of(raw: list[Any], **kwargs: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(RuleSetValidationError) as caught:
        parse_rules(raw, **kwargs)
    return [(error.path, error.message) for error in caught.value.errors]


def secrets_read(**conditions: Any) -> list[Rule]:
    return rules({"subject": "secrets", "action": "read", "conditions": conditions or None})


# --- parsing --------------------------------------------------------------------------


def test_packed_and_unpacked_forms_parse_to_the_same_rule() -> None:
    packed = ["read,edit", "secrets", {"environment": "dev", "secretPath": {"$glob": "/"}}]
    unpacked = {
        "subject": "secrets",
        "action": ["read", "edit"],
        "conditions": {"environment": {"$eq": "dev"}, "secretPath": {"$glob": "/"}},
        "inverted": False,
    }
    assert rules(packed) == rules(unpacked)
    assert rules(packed)[0] == Rule(
        "secrets",
        ("read", "edit"),
        {"environment": {"$eq": "dev"}, "secretPath": {"$glob": "/"}},
    )


def test_packed_rule_takes_zero_for_no_conditions_and_one_for_inverted() -> None:
    assert rules(["delete", "secrets", 0, 1]) == [Rule("secrets", ("delete",), None, True)]
    assert rules(["read", "role", None, False]) == [Rule("role", ("read",))]


def test_packed_rule_takes_an_action_list() -> None:
    assert rules([["read", "edit"], "groups"]) == [Rule("groups", ("read", "edit"))]


def test_unpacked_action_may_be_a_single_string() -> None:
    assert rules({"subject": "groups", "action": "edit"}) == [Rule("groups", ("edit",))]


def test_duplicate_actions_collapse_in_order() -> None:
    assert rules(["edit,read,edit", "tags"])[0].actions == ("edit", "read")


def test_empty_conditions_mean_unconditional() -> None:
    assert rules({"subject": "secrets", "action": "read", "conditions": {}})[0].conditions is None


def test_in_operand_is_stored_as_a_tuple() -> None:
    rule = rules(["read", "secrets", {"environment": {"$in": ["dev", "prod"]}}])[0]
    assert rule.conditions == {"environment": {"$in": ("dev", "prod")}}


def test_unknown_keys_of_an_unpacked_rule_are_ignored() -> None:
    assert rules({"subject": "kms", "action": "read", "reason": "why not"}) == [
        Rule("kms", ("read",))
    ]


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (["read", "foo"], (0, 1), 'Unknown subject "foo"'),
        (["fly", "secrets"], (0, 0), 'Action "fly" is not allowed on subject "secrets"'),
        (
            {"subject": "secrets", "action": ["read", "fly"]},
            (0, "action", 1),
            'Action "fly" is not allowed on subject "secrets"',
        ),
        (
            ["grant-privileges", "role"],
            (0, 0),
            'Action "grant-privileges" is not allowed on subject "role"',
        ),
        (
            ["read", "secrets", {"owner": "me"}],
            (0, 2, "owner"),
            'Condition key "owner" is not allowed on subject "secrets"',
        ),
        (
            ["read", "member", {"environment": "dev"}],
            (0, 2, "environment"),
            'Condition key "environment" is not allowed on subject "member"',
        ),
        (
            ["read", "secrets", {"environment": {"$regex": "d.*"}}],
            (0, 2, "environment", "$regex"),
            'Operator "$regex" is not allowed for "environment"',
        ),
        (
            ["read", "identity", {"identityId": {"$glob": "*"}}],
            (0, 2, "identityId", "$glob"),
            'Operator "$glob" is not allowed for "identityId"',
        ),
        (
            ["read", "secrets", {"secretTags": "prod"}],
            (0, 2, "secretTags"),
            'Operator "$eq" is not allowed for "secretTags"',
        ),
        (
            ["read", "secrets", {"secretPath": "app"}],
            (0, 2, "secretPath"),
            'secretPath must start with "/"',
        ),
        (
            ["read", "secrets", {"secretPath": {"$glob": "**/app"}}],
            (0, 2, "secretPath", "$glob"),
            'secretPath must start with "/"',
        ),
        (
            ["read", "secrets", {"secretPath": {"$in": ["/a", "b"]}}],
            (0, 2, "secretPath", "$in", 1),
            'secretPath must start with "/"',
        ),
        (
            ["read", "secrets", {"environment": {"$in": []}}],
            (0, 2, "environment", "$in"),
            '"$in" expects a non-empty list of strings',
        ),
        (
            ["read", "secrets", {"environment": {"$in": "dev"}}],
            (0, 2, "environment", "$in"),
            '"$in" expects a non-empty list of strings',
        ),
        (
            ["read", "secrets", {"environment": {"$ne": 3}}],
            (0, 2, "environment", "$ne"),
            '"$ne" expects a string',
        ),
        (
            ["read", "secrets", {"environment": {}}],
            (0, 2, "environment"),
            "A condition must be a string or an object of operators",
        ),
        (
            ["read", "secrets", {"environment": 7}],
            (0, 2, "environment"),
            "A condition must be a string or an object of operators",
        ),
        (["read", "secrets", "dev"], (0, 2), "Conditions must be an object"),
        (["read", "secrets", 0, 2], (0, 3), "inverted must be 0, 1 or a boolean"),
        (["read"], (0,), "A packed permission is [actions, subject, conditions?, inverted?]"),
        (["", "secrets"], (0, 0), "An action must be a non-empty string"),
        ({"subject": "secrets", "action": []}, (0, "action"), "At least one action is required"),
        ({"action": "read"}, (0, "subject"), "Required"),
        ({"subject": "secrets"}, (0, "action"), "Required"),
        (
            {"subject": "secrets", "action": "read", "fields": ["value"]},
            (0, "fields"),
            "Field-level permissions are not supported",
        ),
        (
            {"subject": "secrets", "action": "read", "inverted": "yes"},
            (0, "inverted"),
            "inverted must be a boolean",
        ),
        ("read", (0,), "A permission must be a packed array or an object"),
        (
            ["read", "secrets", {"secretName": {"$glob": ""}}],
            (0, 2, "secretName", "$glob"),
            "A glob pattern must not be empty",
        ),
    ],
)
def test_invalid_rule_is_reported_with_its_path(
    raw: Any, path: tuple[str | int, ...], message: str
) -> None:
    assert errors_of([raw]) == [(path, message)]


def test_every_error_of_every_rule_is_reported_at_once() -> None:
    found = errors_of(
        [
            ["read", "secrets"],
            {"subject": "secrets", "action": ["read", "fly"], "conditions": {"owner": "x"}},
            ["read", "nope"],
        ]
    )
    assert [path for path, _ in found] == [(1, "action", 1), (1, "conditions", "owner"), (2, 1)]


def test_brace_bomb_glob_is_rejected_as_invalid() -> None:
    [(path, message)] = errors_of([["read", "secrets", {"secretName": {"$glob": "{a,b}" * 12}}]])
    assert path == (0, 2, "secretName", "$glob")
    assert message.startswith("Invalid glob pattern")


def test_permission_list_must_be_a_list() -> None:
    assert errors_of("read,secrets") == [((), "Permissions must be a list")]  # type: ignore[arg-type]


def test_org_subject_is_refused_in_project_permissions_and_accepted_at_org_scope() -> None:
    assert errors_of([["edit", "project-templates"]]) == [
        ((0, 1), 'Subject "project-templates" cannot be used in project permissions')
    ]
    assert parse_rules([["edit", "project-templates"]], scope="org") == [
        Rule("project-templates", ("edit",))
    ]
    assert errors_of([["read", "secrets"]], scope="org")[0][0] == (0, 1)


def test_terraform_privilege_permission_expands_to_one_rule_per_action() -> None:
    expanded = expand_privilege_permission(
        {
            "actions": ["read", "edit"],
            "subject": "secrets",
            "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
        }
    )
    conditions = {"environment": {"$eq": "dev"}, "secretPath": {"$glob": "/"}}
    assert expanded == [
        Rule("secrets", ("read",), conditions),
        Rule("secrets", ("edit",), conditions),
    ]


def test_privilege_permission_errors_have_paths_inside_the_object() -> None:
    with pytest.raises(RuleSetValidationError) as caught:
        expand_privilege_permission(
            {"actions": ["read", "fly"], "subject": "secrets", "conditions": {"x": "1"}}
        )
    assert [e.path for e in caught.value.errors] == [("actions", 1), ("conditions", "x")]
    with pytest.raises(RuleSetValidationError) as caught:
        expand_privilege_permission({"subject": "secrets"})
    assert [(e.path, e.message) for e in caught.value.errors] == [(("actions",), "Required")]


# --- wire forms -----------------------------------------------------------------------

_MIXED = Rule(
    "secrets",
    ("read", "edit"),
    {
        "environment": {"$eq": "dev"},
        "secretPath": {"$glob": "/app/**"},
        "secretTags": {"$in": ("a", "b")},
        "secretName": {"$ne": "ROOT"},
    },
    inverted=True,
    plain=frozenset({"environment"}),
)


def test_unpack_returns_conditions_as_written_and_in_as_a_list() -> None:
    assert unpack(_MIXED) == {
        "subject": "secrets",
        "action": ["read", "edit"],
        "conditions": {
            "environment": "dev",
            "secretPath": {"$glob": "/app/**"},
            "secretTags": {"$in": ["a", "b"]},
            "secretName": {"$ne": "ROOT"},
        },
        "inverted": True,
    }
    assert unpack(Rule("role", ("read",))) == {
        "subject": "role",
        "action": ["read"],
        "inverted": False,
    }


def test_pack_drops_trailing_falsy_items() -> None:
    assert pack(Rule("role", ("read", "edit"))) == ["read,edit", "role"]
    assert pack(Rule("role", ("read",), None, True)) == ["read", "role", 0, 1]
    assert pack(
        Rule(
            "secrets", ("read",), {"environment": {"$eq": "dev"}}, plain=frozenset({"environment"})
        )
    ) == ["read", "secrets", {"environment": "dev"}]


def test_stored_json_decodes_to_the_same_rules() -> None:
    stored = rules_to_json([_MIXED, Rule("kms", ("read",))])
    assert rules_from_json(stored) == [_MIXED, Rule("kms", ("read",))]


def test_malformed_stored_rule_raises_value_error() -> None:
    with pytest.raises(ValueError, match="malformed"):
        rules_from_json([{"subject": "secrets"}])
    with pytest.raises(ValueError, match="malformed"):
        rules_from_json([{"subject": "secrets", "action": ["read"], "conditions": {"e": {}}}])


def test_equal_rules_hash_equal_whatever_the_condition_order() -> None:
    a = Rule("secrets", ("read",), {"environment": {"$eq": "d"}, "secretName": {"$eq": "x"}})
    b = Rule("secrets", ("read",), {"secretName": {"$eq": "x"}, "environment": {"$eq": "d"}})
    assert a == b
    assert len({a, b}) == 1


# --- evaluation -----------------------------------------------------------------------


def test_deny_wins_whatever_the_rule_order() -> None:
    allow, deny = ["read", "secrets"], ["read", "secrets", 0, 1]
    assert not Ability(rules(allow, deny)).can("read", "secrets")
    assert not Ability(rules(deny, allow)).can("read", "secrets")


def test_without_fields_a_conditional_allow_counts_and_a_conditional_deny_does_not() -> None:
    ability = Ability(
        rules(
            ["edit", "secrets", {"environment": "dev"}],
            ["edit", "secrets", {"environment": "prod"}, 1],
        )
    )
    assert ability.can("edit", "secrets")
    assert not ability.can("delete", "secrets")


def test_with_fields_conditions_must_hold() -> None:
    ability = Ability(
        rules(
            ["read", "secrets", {"environment": "dev", "secretPath": {"$glob": "/app/**"}}],
            ["read", "secrets", {"secretName": {"$in": ["ROOT_KEY"]}}, 1],
        )
    )
    fields = {"environment": "dev", "secretPath": "/app/api", "secretName": "DB_URL"}
    assert ability.can("read", "secrets", fields)
    assert not ability.can("read", "secrets", {**fields, "environment": "prod"})
    assert not ability.can("read", "secrets", {**fields, "secretPath": "/other"})
    assert not ability.can("read", "secrets", {**fields, "secretName": "ROOT_KEY"})


def test_a_condition_on_a_missing_field_does_not_match() -> None:
    ability = Ability(rules(["read", "secrets", {"environment": {"$ne": "prod"}}]))
    assert not ability.can("read", "secrets", {"secretPath": "/"})
    assert ability.can("read", "secrets", {"environment": "dev"})
    assert not ability.can("read", "secrets", {"environment": "prod"})


def test_list_field_matches_in_on_any_overlap() -> None:
    ability = Ability(rules(["read", "secrets", {"secretTags": {"$in": ["pci", "gdpr"]}}]))
    assert ability.can("read", "secrets", {"secretTags": ["misc", "gdpr"]})
    assert not ability.can("read", "secrets", {"secretTags": ["misc"]})
    assert not ability.can("read", "secrets", {"secretTags": []})


def test_unknown_action_or_subject_is_never_allowed() -> None:
    ability = Ability(rules(["read", "secrets"]))
    assert not ability.can("fly", "secrets")
    assert not ability.can("read", "nothing")


# Every expectation below was checked against picomatch 4 with {strictSlashes: false}.
@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("/hello", "/hello/**", True),
        ("/hello/world/deep", "/hello/**", True),
        ("/x/y", "/x/y*/**", False),  # no base match after a star
        ("/hello/x", "/hello/*/**", False),
        ("/b", "/**/b", False),  # a leading /**/ needs a segment
        ("/a/b", "/**/b", True),
        ("/", "/**/**", True),
        ("/hello/.env", "/hello/**", False),
        ("/", "/**", True),
        ("/a/b", "**", True),
        ("/a/b", "/*", False),
        ("/hello/world/", "/hello/*", True),
        ("dev", "{dev,prod}", True),
        ("prod", "@(dev|prod)", True),
        ("/c", "!/a/**", True),
        ("/a", "!/a/**", False),
        (".env", "!hello", True),
        ("x", "!!x", True),
        (".x", "!*", True),
        ("b", "!(a)", True),
        ("A", "a", False),
        ("/secret-x", "/secret-*", True),
        ("", "**", False),
        ("dev", "", False),
    ],
)
def test_glob_matches_like_picomatch(value: str, pattern: str, expected: bool) -> None:
    assert glob_matches(value, pattern) is expected


# --- the grant boundary ---------------------------------------------------------------


def test_glob_parent_covers_eq_child_inside_it() -> None:
    assert covers(
        secrets_read(secretPath={"$glob": "/hello/**"}), secrets_read(secretPath="/hello/world")
    )


def test_in_parent_does_not_cover_a_glob_child() -> None:
    assert not covers(
        secrets_read(environment={"$in": ["dev", "staging"]}),
        secrets_read(environment={"$glob": "dev**"}),
    )


def test_eq_parent_does_not_cover_a_wider_in_child() -> None:
    assert not covers(
        secrets_read(environment="dev"), secrets_read(environment={"$in": ["dev", "prod"]})
    )


def test_actor_holding_dev_only_cannot_grant_prod_and_missing_names_it() -> None:
    actor = secrets_read(environment="dev")
    assert covers(actor, secrets_read(environment="dev"))
    assert missing_permissions(actor, secrets_read(environment="prod")) == [
        {"subject": "secrets", "action": "read", "conditions": {"environment": "prod"}}
    ]


def test_conditional_actor_cannot_grant_the_unconditional_permission() -> None:
    assert not covers(secrets_read(environment="dev"), secrets_read())


def test_unconditional_deny_blocks_the_grant() -> None:
    actor = rules(["delete", "secrets"], ["delete", "secrets", 0, 1])
    assert missing_permissions(actor, rules(["delete", "secrets"])) == [
        {"subject": "secrets", "action": "delete"}
    ]


def test_disjoint_deny_does_not_block_but_an_overlapping_one_does() -> None:
    actor = rules(["read", "secrets"], ["read", "secrets", {"environment": "prod"}, 1])
    assert covers(actor, secrets_read(environment="dev"))
    assert not covers(actor, secrets_read())
    assert not covers(actor, secrets_read(environment={"$ne": "dev"}))


def test_deny_on_a_diverging_glob_prefix_does_not_block() -> None:
    actor = rules(
        ["read", "secrets"], ["read", "secrets", {"secretPath": {"$glob": "/prod/**"}}, 1]
    )
    assert covers(actor, secrets_read(secretPath={"$glob": "/dev/**"}))
    assert not covers(actor, secrets_read(secretPath={"$glob": "/pro*"}))


def test_deny_on_tags_is_never_assumed_disjoint() -> None:
    # One secret can carry both tags, so denying "pci" overlaps granting "public".
    actor = rules(["read", "secrets"], ["read", "secrets", {"secretTags": {"$in": ["pci"]}}, 1])
    assert not covers(actor, secrets_read(secretTags={"$in": ["public"]}))


def test_in_child_may_be_covered_by_several_actor_rules() -> None:
    actor = rules(
        ["read", "secrets", {"environment": "dev"}], ["read", "secrets", {"environment": "prod"}]
    )
    assert covers(actor, secrets_read(environment={"$in": ["dev", "prod"]}))


def test_each_action_of_a_requested_rule_is_checked_separately() -> None:
    actor = rules(["read", "groups"])
    assert missing_permissions(actor, rules(["read,edit", "groups"])) == [
        {"subject": "groups", "action": "edit"}
    ]


def test_requested_deny_rules_need_no_covering() -> None:
    assert covers([], rules(["delete", "secrets", 0, 1]))


def test_missing_entries_are_not_repeated() -> None:
    assert missing_permissions([], rules(["read", "kms"], ["read", "kms"])) == [
        {"subject": "kms", "action": "read"}
    ]


@pytest.mark.parametrize(
    ("parent", "child", "expected"),
    [
        ({"$glob": "/hello/**"}, {"$glob": "/hello/wor*"}, True),
        ({"$glob": "/hello/**"}, {"$glob": "/hello/**"}, True),
        ({"$glob": "/hello/**"}, {"$glob": "/hello/a/**"}, True),
        ({"$glob": "/**"}, {"$glob": "/*"}, True),
        ({"$glob": "/hello/**"}, {"$glob": "/hell*"}, False),
        ({"$glob": "/hello/**"}, {"$glob": "/hello/.e*"}, False),  # ** skips dot segments
        ({"$glob": "/hello/*"}, {"$glob": "/hello/a*"}, False),  # conservative
        ({"$eq": "/hello"}, {"$glob": "/hello"}, True),  # a glob without magic is an $eq
        ({"$ne": "/x"}, {"$glob": "/app/**"}, True),  # "/x" is not among its matches
        ({"$ne": "/app/x"}, {"$glob": "/app/**"}, False),
        ({"$ne": "/x"}, {"$ne": "/x"}, True),
        ({"$glob": "/**"}, {"$ne": "/x"}, False),  # $ne admits values no glob matches
        ({"$ne": "/x"}, {"$in": ["/a", "/b"]}, True),
        ({"$ne": "/a"}, {"$in": ["/a", "/b"]}, False),
    ],
)
def test_secret_path_subset(parent: Any, child: Any, expected: bool) -> None:
    assert covers(secrets_read(secretPath=parent), secrets_read(secretPath=child)) is expected


@pytest.mark.parametrize(
    ("parent", "child", "expected"),
    [
        ({"$glob": "**"}, {"$glob": "/app/*"}, True),
        ({"$glob": "**"}, {"$glob": "DB_*"}, True),
        ({"$glob": "**"}, {"$glob": ".*"}, False),  # wildcards skip a leading dot
        ({"$glob": "**"}, {"$glob": "!DB_*"}, False),  # negations are never reasoned about
        ({"$glob": "*"}, {"$glob": "DB_*"}, False),  # conservative: only ** is universal
        ({"$glob": "*"}, "DB_URL", True),
        ({"$glob": "DB_*"}, {"$in": ["DB_URL", "DB_USER"]}, True),
    ],
)
def test_secret_name_subset(parent: Any, child: Any, expected: bool) -> None:
    assert covers(secrets_read(secretName=parent), secrets_read(secretName=child)) is expected


# --- properties -----------------------------------------------------------------------

_SEGMENTS = ("a", "b", "hello", ".env", "x.y")
# Canonical values (see the permissions module docstring): bare names and paths.
_NAMES = (
    list(_SEGMENTS)
    + ["/"]
    + [
        "/" + "/".join(parts)
        for depth in (1, 2, 3)
        for parts in itertools.product(_SEGMENTS, repeat=depth)
    ]
)
_PATTERN_SEGMENTS = ("a", "hello", "*", "**", "?", "h*", ".env", ".*", "{a,b}", "*.y", "[ab]")
_name_patterns = st.one_of(
    st.sampled_from(["**", "/**", "!/a/**", "!hello", "/", "h*"]),
    st.builds(
        lambda lead, parts: lead + "/".join(parts),
        st.sampled_from(["/", ""]),
        st.lists(st.sampled_from(_PATTERN_SEGMENTS), min_size=1, max_size=3),
    ),
)
_name_values = st.sampled_from(_NAMES)
_name_conditions = st.one_of(
    _name_values,
    st.builds(lambda v: {"$ne": v}, _name_values),
    st.builds(lambda vs: {"$in": vs}, st.lists(_name_values, min_size=1, max_size=3)),
    st.builds(lambda g: {"$glob": g}, _name_patterns),
)
_TAG_LISTS = [list(c) for n in range(3) for c in itertools.combinations("pqr", n)]
_tag_conditions = st.builds(
    lambda vs: {"$in": vs}, st.lists(st.sampled_from("pqr"), min_size=1, max_size=2)
)
_fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _matching(condition: Any, key: str, universe: list[Any]) -> list[bool]:
    ability = Ability(secrets_read(**{key: condition}))
    return [ability.can("read", "secrets", {key: value}) for value in universe]


@_fast
@given(parent=_name_conditions, child=_name_conditions)
def test_covered_condition_admits_no_value_the_actor_lacks(parent: Any, child: Any) -> None:
    if covers(secrets_read(secretName=parent), secrets_read(secretName=child)):
        held = _matching(parent, "secretName", _NAMES)
        granted = _matching(child, "secretName", _NAMES)
        assert all(h for h, g in zip(held, granted, strict=True) if g)


@_fast
@given(deny=_name_conditions, child=_name_conditions)
def test_deny_judged_disjoint_shares_no_value_with_the_grant(deny: Any, child: Any) -> None:
    actor = rules(["read", "secrets"], ["read", "secrets", {"secretName": deny}, 1])
    if covers(actor, secrets_read(secretName=child)):
        denied = _matching(deny, "secretName", _NAMES)
        granted = _matching(child, "secretName", _NAMES)
        assert not any(d and g for d, g in zip(denied, granted, strict=True))


@_fast
@given(parent=_tag_conditions, child=_tag_conditions, deny=_tag_conditions)
def test_tag_conditions_are_judged_soundly(parent: Any, child: Any, deny: Any) -> None:
    held = _matching(parent, "secretTags", _TAG_LISTS)
    granted = _matching(child, "secretTags", _TAG_LISTS)
    if covers(secrets_read(secretTags=parent), secrets_read(secretTags=child)):
        assert all(h for h, g in zip(held, granted, strict=True) if g)
    denied = _matching(deny, "secretTags", _TAG_LISTS)
    actor = rules(["read", "secrets"], ["read", "secrets", {"secretTags": deny}, 1])
    if covers(actor, secrets_read(secretTags=child)):
        assert not any(d and g for d, g in zip(denied, granted, strict=True))


@st.composite
def _valid_rules(draw: st.DrawFn) -> Rule:
    subject = draw(st.sampled_from(sorted(PROJECT_SUBJECTS)))
    spec = SUBJECTS[subject]
    actions = draw(st.sets(st.sampled_from(sorted(spec.actions)), min_size=1))
    conditions: dict[str, Any] = {}
    keys = sorted(spec.conditions)
    for key in draw(st.sets(st.sampled_from(keys))) if keys else ():
        if key == "secretTags":
            conditions[key] = draw(_tag_conditions)
        elif key == "secretPath":
            conditions[key] = draw(
                st.one_of(
                    st.sampled_from(["/", "/app", {"$glob": "/app/**"}, {"$ne": "/x"}]),
                    st.builds(
                        lambda v: {"$in": v}, st.lists(st.sampled_from(["/a", "/b"]), min_size=1)
                    ),
                )
            )
        elif key == "secretName":
            conditions[key] = draw(_name_conditions)
        else:
            conditions[key] = draw(
                st.one_of(
                    st.sampled_from(["dev", "prod"]),
                    st.builds(lambda v: {"$in": v}, st.lists(st.sampled_from("xyz"), min_size=1)),
                )
            )
    raw = {"subject": subject, "action": ordered_actions(actions), "conditions": conditions}
    return parse_rules([{**raw, "inverted": draw(st.booleans())}])[0]


@_fast
@given(rule_list=st.lists(_valid_rules(), max_size=4))
def test_every_wire_form_round_trips(rule_list: list[Rule]) -> None:
    assert rules_from_json(rules_to_json(rule_list)) == rule_list
    assert parse_rules([unpack(rule) for rule in rule_list]) == rule_list
    assert parse_rules([pack(rule) for rule in rule_list]) == rule_list


@_fast
@given(rule_list=st.lists(_valid_rules(), max_size=4))
def test_an_allow_only_rule_set_covers_itself(rule_list: list[Rule]) -> None:
    allows = [rule for rule in rule_list if not rule.inverted]
    assert missing_permissions(allows, allows) == []
    assert covers(allows, allows)

"""Built-in project roles and org role rules."""

from __future__ import annotations

import pytest

from rolegate.rbac.permissions.boundary import covers
from rolegate.rbac.permissions.builtin_roles import (
    BUILTIN_PROJECT_ROLES,
    ORG_ROLE_RULES,
    org_role_for_csp_roles,
)
from rolegate.rbac.permissions.rules import Ability, parse_rules, rules_to_json
from rolegate.rbac.permissions.schema import ORG_SUBJECTS, PROJECT_SUBJECTS, SUBJECTS


def test_roles_are_listed_in_infisical_order_with_display_names() -> None:
    assert [(role.slug, role.name) for role in BUILTIN_PROJECT_ROLES.values()] == [
        ("admin", "Admin"),
        ("member", "Developer"),
        ("viewer", "Viewer"),
        ("no-access", "No Access"),
    ]
    assert all(slug == role.slug for slug, role in BUILTIN_PROJECT_ROLES.items())


@pytest.mark.parametrize("slug", list(BUILTIN_PROJECT_ROLES))
def test_builtin_project_rules_pass_project_validation(slug: str) -> None:
    role = BUILTIN_PROJECT_ROLES[slug]
    assert parse_rules(rules_to_json(role.rules)) == list(role.rules)


@pytest.mark.parametrize("role", list(ORG_ROLE_RULES))
def test_org_rules_pass_org_validation(role: str) -> None:
    assert parse_rules(rules_to_json(ORG_ROLE_RULES[role]), scope="org") == list(
        ORG_ROLE_RULES[role]
    )


def test_admin_may_do_everything_in_a_project() -> None:
    admin = Ability(BUILTIN_PROJECT_ROLES["admin"].rules)
    for subject in PROJECT_SUBJECTS:
        for action in SUBJECTS[subject].actions:
            assert admin.can(action, subject), (action, subject)
    assert not admin.can("edit", "project-templates")


def test_viewer_reads_every_project_subject_and_changes_nothing() -> None:
    viewer = Ability(BUILTIN_PROJECT_ROLES["viewer"].rules)
    for subject in PROJECT_SUBJECTS:
        assert viewer.can("read", subject)
        assert not viewer.can("edit", subject)


def test_developer_manages_secrets_but_only_reads_access_control() -> None:
    member = Ability(BUILTIN_PROJECT_ROLES["member"].rules)
    assert member.can("delete", "secrets")
    assert member.can("create", "service-tokens")
    assert member.can("read", "groups")
    assert not member.can("edit", "groups")
    assert not member.can("grant-privileges", "identity")
    assert not member.can("edit", "environments")
    assert not member.can("edit", "role")


def test_no_access_allows_nothing() -> None:
    assert BUILTIN_PROJECT_ROLES["no-access"].rules == ()


def test_stronger_roles_cover_weaker_ones_and_not_the_reverse() -> None:
    admin, member, viewer = (BUILTIN_PROJECT_ROLES[s].rules for s in ("admin", "member", "viewer"))
    assert covers(admin, member)
    assert covers(member, viewer)
    assert not covers(member, admin)
    assert not covers(viewer, member)


def test_org_admin_edits_project_templates_and_org_member_only_reads_them() -> None:
    admin, member = Ability(ORG_ROLE_RULES["admin"]), Ability(ORG_ROLE_RULES["member"])
    assert admin.can("edit", "project-templates")
    assert admin.can("grant-privileges", "groups")
    assert member.can("read", "project-templates")
    assert not member.can("edit", "project-templates")
    assert not member.can("read", "settings")
    assert ORG_ROLE_RULES["no-access"] == ()
    assert {rule.subject for rule in ORG_ROLE_RULES["admin"]} == ORG_SUBJECTS


@pytest.mark.parametrize(
    ("names", "role"),
    [
        (["org_owner"], "admin"),
        (["org_admin"], "admin"),
        (["org_member", "org_owner"], "admin"),
        (["org_member"], "member"),
        ([], "no-access"),
        (["ORG_OWNER", "billing_admin"], "no-access"),
    ],
)
def test_csp_org_roles_map_to_the_strongest_org_role(names: list[str], role: str) -> None:
    assert org_role_for_csp_roles(names) == role

"""Infisical's built-in roles, as rule lists derived from the permission table.

Built-in roles are not rows in the database: their meaning is code, so an upgrade that
adds a subject gives admins (and viewers) the new subject without a data migration.
Every rule here is built from :mod:`rolegate.rbac.permissions.schema`, so a role can
never name an action its subject does not have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from rolegate.rbac.permissions.rules import Rule
from rolegate.rbac.permissions.schema import (
    CREATE,
    DELETE,
    EDIT,
    ORG_SUBJECTS,
    PROJECT_SUBJECTS,
    READ,
    SUBJECTS,
    ordered_actions,
)


@dataclass(frozen=True, slots=True)
class BuiltinRole:
    slug: str
    name: str
    rules: tuple[Rule, ...]


def _in_table_order(subjects: Iterable[str]) -> list[str]:
    # Iterating a frozenset would make role listings differ between processes.
    wanted = set(subjects)
    return [subject for subject in SUBJECTS if subject in wanted]


def _all_actions(subjects: Iterable[str]) -> tuple[Rule, ...]:
    return tuple(
        Rule(subject, ordered_actions(SUBJECTS[subject].actions))
        for subject in _in_table_order(subjects)
    )


def _only(actions: tuple[str, ...], subjects: Iterable[str]) -> tuple[Rule, ...]:
    return tuple(Rule(subject, actions) for subject in _in_table_order(subjects))


_MEMBER_MANAGES: Final = (
    "secrets",
    "secret-folders",
    "secret-imports",
    "integrations",
    "webhooks",
    "service-tokens",
    "tags",
)
_MEMBER_READS: Final = (
    "environments",
    "role",
    "member",
    "groups",
    "identity",
    "settings",
    "audit-logs",
    "ip-allowlist",
    "workspace",
    "kms",
)

#: Built-in project roles by slug, in the order Infisical lists them.
BUILTIN_PROJECT_ROLES: Final[Mapping[str, BuiltinRole]] = MappingProxyType(
    {
        "admin": BuiltinRole("admin", "Admin", _all_actions(PROJECT_SUBJECTS)),
        "member": BuiltinRole(
            "member",
            "Developer",
            _only((READ, CREATE, EDIT, DELETE), _MEMBER_MANAGES) + _only((READ,), _MEMBER_READS),
        ),
        "viewer": BuiltinRole("viewer", "Viewer", _only((READ,), PROJECT_SUBJECTS)),
        "no-access": BuiltinRole("no-access", "No Access", ()),
    }
)

#: Org-level rules of each org role (org roles are built-in only).
ORG_ROLE_RULES: Final[Mapping[str, tuple[Rule, ...]]] = MappingProxyType(
    {
        "admin": _all_actions(ORG_SUBJECTS),
        "member": _only(
            (READ,), ("workspace", "groups", "identity", "member", "role", "project-templates")
        ),
        "no-access": (),
    }
)

# CSP org role names granting each org role; the strongest one a user holds wins.
_CSP_ADMIN_ROLES: Final = frozenset({"org_owner", "org_admin"})
_CSP_MEMBER_ROLES: Final = frozenset({"org_member"})


def org_role_for_csp_roles(names: Iterable[str]) -> str:
    """The org role (a key of :data:`ORG_ROLE_RULES`) for a user's CSP org role names.

    Names are matched exactly, as CSP spells them; unknown names grant nothing.
    """
    held = set(names)
    if held & _CSP_ADMIN_ROLES:
        return "admin"
    if held & _CSP_MEMBER_ROLES:
        return "member"
    return "no-access"

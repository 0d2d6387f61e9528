"""The org grant boundary's rule (pure): which held roles cover which org roles, and how
a change of bindings is reduced to the roles it touches."""

from __future__ import annotations

import pytest

from rolegate.rbac import org_boundary
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.errors import OrgBoundaryError, PermissionDeniedError
from rolegate.rbac.org_grants import OrgGrant

OWNER = OrgGrant("org_owner", builtin=True)
ADMIN = OrgGrant("org_admin", builtin=True)
MEMBER = OrgGrant("org_member", builtin=True)
DEVELOPER = OrgGrant("developer", builtin=True)
AUDITOR = OrgGrant("auditor", builtin=False)
FIXED = [OrgGrant(name, builtin=True) for name in ORG_ROLES]


def test_owner_covers_every_fixed_and_custom_role() -> None:
    held = org_boundary.fixed(["org_owner"])
    assert all(org_boundary.covers(held, role) for role in [*FIXED, AUDITOR])


def test_admin_covers_everything_but_owner() -> None:
    held = org_boundary.fixed(["org_admin"])
    assert [r.name for r in FIXED if not org_boundary.covers(held, r)] == ["org_owner"]
    assert org_boundary.covers(held, AUDITOR)


def test_member_covers_only_what_it_holds() -> None:
    held = org_boundary.fixed(["org_member", "developer"])
    assert [r.name for r in FIXED if org_boundary.covers(held, r)] == ["org_member", "developer"]
    assert not org_boundary.covers(held, AUDITOR)
    assert org_boundary.covers(frozenset({MEMBER, AUDITOR}), AUDITOR)


def test_a_custom_role_named_like_a_fixed_one_covers_nothing_more() -> None:
    held = frozenset({OrgGrant("org_owner", builtin=False)})
    assert not org_boundary.covers(held, OWNER)
    assert not org_boundary.covers(held, ADMIN)


def test_refusal_names_the_missing_roles_strongest_first() -> None:
    with pytest.raises(OrgBoundaryError) as refused:
        org_boundary.require_within(
            org_boundary.fixed(["org_member"]), [AUDITOR, DEVELOPER, OWNER, MEMBER], "grant"
        )
    assert refused.value.missing == ["org_owner", "developer", "auditor"]
    assert isinstance(refused.value, PermissionDeniedError)
    assert "org_owner, developer, auditor" in refused.value.message


def test_nothing_to_check_passes_even_with_nothing_held() -> None:
    org_boundary.require_within(frozenset(), [], "grant")


def test_changed_is_the_roles_of_entries_added_or_removed() -> None:
    before = [(OWNER, "field"), (DEVELOPER, "any")]
    assert org_boundary.changed(before, before) == set()
    assert org_boundary.changed(before, list(reversed(before))) == set()
    assert org_boundary.changed(before, [(DEVELOPER, "any")]) == {OWNER}
    assert org_boundary.changed(before, [(OWNER, "office"), (DEVELOPER, "any")]) == {OWNER}
    assert org_boundary.changed(before, [*before, (OWNER, "field")]) == {OWNER}

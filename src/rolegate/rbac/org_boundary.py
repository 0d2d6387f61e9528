"""The org grant boundary: nobody changes org authority it does not hold (pure).

Every surface that changes who holds an org role (ctrl-hub bindings, members and group
deletes; CSP organization and custom roles) asks this module before its first write:
the roles a request grants, removes, or reaches a member into or out of must all be
covered by what the actor holds. The seed loader writes without an actor and is exempt.

What the actor holds is :func:`rolegate.rbac.org_grants.held_catalogue_roles` (and
``OrgGrant`` for custom roles): assignments active now, directly or through a group, a
conditional binding only when its condition matches the actor. A role covers itself and,
by :data:`rolegate.rbac.catalogue.ORG_ROLE_TIERS`, the tiers below it; org_admin and
above also cover the untiered roles (add-ons and custom roles).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Iterable

from rolegate.rbac.catalogue import COVERS_UNTIERED, ORG_ROLE_TIERS
from rolegate.rbac.errors import OrgBoundaryError
from rolegate.rbac.org_grants import OrgGrant


def fixed(names: Iterable[str]) -> frozenset[OrgGrant]:
    """Fixed catalogue role names (what an access check loaded) as grants."""
    return frozenset(OrgGrant(name=name, builtin=True) for name in names)


def _top_tier(held: Collection[OrgGrant]) -> int:
    """The index of the strongest tier held (past the last tier when none is)."""
    ranks = [ORG_ROLE_TIERS.index(g.name) for g in held if g.builtin and g.name in ORG_ROLE_TIERS]
    return min(ranks, default=len(ORG_ROLE_TIERS))


def covers(held: Collection[OrgGrant], role: OrgGrant) -> bool:
    if role in held:
        return True
    top = _top_tier(held)
    if role.builtin and role.name in ORG_ROLE_TIERS:
        return top <= ORG_ROLE_TIERS.index(role.name)
    return top <= ORG_ROLE_TIERS.index(COVERS_UNTIERED)


def require_within(held: Collection[OrgGrant], roles: Iterable[OrgGrant], action: str) -> None:
    """Refuse (403 on every surface) when ``roles`` holds one the actor does not cover."""
    missing = sorted({r for r in roles if not covers(held, r)}, key=_order)
    if missing:
        names = ", ".join(r.name for r in missing)
        raise OrgBoundaryError(
            f"You may only {action} org roles you hold yourself; you do not hold: {names}",
            missing=[r.name for r in missing],
        )


def changed(
    before: Iterable[tuple[OrgGrant, Hashable]], after: Iterable[tuple[OrgGrant, Hashable]]
) -> set[OrgGrant]:
    """The roles of the entries (role, what else identifies it) added or removed."""
    old, new = Counter(before), Counter(after)
    return {role for role, _ in (old - new) + (new - old)}


def _order(role: OrgGrant) -> tuple[bool, int, str]:
    tier = ORG_ROLE_TIERS.index(role.name) if role.name in ORG_ROLE_TIERS else len(ORG_ROLE_TIERS)
    return (not role.builtin, tier, role.name)

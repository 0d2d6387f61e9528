"""ctrl-hub bindings, explained: which bindings apply to a user at a moment, and why.

A binding applies to a user when the user is a member of the binding's group, the binding
is inside its window and its condition holds for the user's attributes. The verdict comes
from the code that enforces it — :func:`rolegate.rbac.ctrlhub.access.applicable_bindings` for
one group, :func:`rolegate.rbac.explain.org.explain_org_roles` (which judges with
:func:`rolegate.rbac.permissions.conditions.condition_matches`) for all of a user's groups — and the
per-rule results from :func:`rolegate.rbac.permissions.conditions.rule_matches`, the function
``condition_matches`` combines, so the "why" cannot disagree with the "whether".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import access as ctrlhub_access
from rolegate.rbac.ctrlhub import groups_repository as repo
from rolegate.rbac.ctrlhub.groups import authorize_iam_admin
from rolegate.rbac.errors import GroupNotFoundError, UserNotFoundError
from rolegate.rbac.explain import repository as explain_repository
from rolegate.rbac.explain.org import explain_org_roles
from rolegate.rbac.explain.project import GroupRef, Principal
from rolegate.rbac.models import User
from rolegate.rbac.org_grants import facts_of
from rolegate.rbac.permissions.conditions import (
    GATES,
    RULE_TYPES,
    UNCONDITIONAL,
    PrincipalFacts,
    condition_matches,
    rule_matches,
)
from rolegate.rbac.windows import is_open_at


@dataclass(frozen=True, slots=True)
class BindingVerdict:
    """One binding judged for one user at one moment."""

    id: uuid.UUID
    role: str
    condition: Mapping[str, Any]
    group: GroupRef | None  # None: a binding held by the user itself
    member: bool  # the user belongs to the group (always true for the user's own)
    active: bool  # inside its window at ``at``
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    rule_results: tuple[bool, ...]  # rule_matches for each rule, in order
    condition_holds: bool  # condition_matches for the user, member or not
    applies: bool
    reason: str


@dataclass(frozen=True, slots=True)
class BindingsExplanation:
    user: User
    at: dt.datetime
    bindings: tuple[BindingVerdict, ...]

    @property
    def grants(self) -> list[str]:
        """The role names the applying bindings give, each once, in binding order."""
        names: list[str] = []
        for verdict in self.bindings:
            if verdict.applies and verdict.role not in names:
                names.append(verdict.role)
        return names


def _indexes(results: Sequence[bool], wanted: bool) -> str:
    return ", ".join(str(i) for i, r in enumerate(results) if r is wanted)


def _unknown_types(condition: Mapping[str, Any]) -> str:
    rules = condition.get("rules")
    unknown = sorted(
        {
            str(r.get("type"))
            for r in (rules if isinstance(rules, list) else [])
            if isinstance(r, Mapping) and r.get("type") not in RULE_TYPES
        }
    )
    if not unknown:
        return ""
    return f"; rule type {', '.join(unknown)} is not one rolegate reads, so it never matches"


def condition_reason(condition: Mapping[str, Any], results: Sequence[bool], holds: bool) -> str:
    """Why a condition holds or not, in words (the verdict itself is ``holds``)."""
    gate = condition.get("gate")
    if gate not in GATES:
        return f"gate {gate!r} is neither AND nor OR, so the condition grants nothing"
    if not results:
        return "unconditional: the condition has no rules"
    if gate == "AND":
        if holds:
            return "every rule matched (gate AND)"
        reason = f"rule {_indexes(results, False)} did not match (gate AND needs every rule)"
    else:
        if holds:
            return f"rule {_indexes(results, True)} matched (gate OR needs one)"
        reason = "no rule matched (gate OR needs one)"
    return reason + _unknown_types(condition)


def _verdict(
    *,
    binding_id: uuid.UUID,
    role: str,
    condition: Mapping[str, Any] | None,
    group: GroupRef | None,
    member: bool,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    facts: PrincipalFacts,
    at: dt.datetime,
    applies: bool,
    holds: bool,
) -> BindingVerdict:
    shown = condition if condition is not None else UNCONDITIONAL
    rules = shown.get("rules")
    results = tuple(
        isinstance(r, Mapping) and rule_matches(r, facts)
        for r in (rules if isinstance(rules, list) else [])
    )
    active = is_open_at(starts_at, ends_at, at)
    if not member and group is not None:
        would = "would hold" if holds else "would not hold either"
        reason = f"the user is not a member of group {group.name} (the condition {would})"
    elif not active:
        reason = "the binding is outside its time window at this moment"
    else:
        reason = condition_reason(shown, results, holds)
    return BindingVerdict(
        id=binding_id,
        role=role,
        condition=shown,
        group=group,
        member=member,
        active=active,
        starts_at=starts_at,
        ends_at=ends_at,
        rule_results=results,
        condition_holds=holds,
        applies=applies,
        reason=reason,
    )


def _group_key(group: GroupRef | None) -> tuple[bool, str, str]:
    # The user's own bindings first, then by group name.
    return (group is not None, group.name if group else "", str(group.id) if group else "")


async def _user(session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID) -> User:
    user = await explain_repository.get_user(session, user_id, org_id)
    if user is None:
        raise UserNotFoundError(f"User {user_id} not found")
    return user


async def explain_user_bindings(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    at: dt.datetime,
    now: dt.datetime,
) -> BindingsExplanation:
    """Every binding of every group the user is in (and the user's own), judged at ``at``."""
    await authorize_iam_admin(session, actor, org_id, now)
    user = await _user(session, user_id, org_id)
    facts = facts_of(user)
    explanation = await explain_org_roles(session, Principal("user", user.id), org_id, at)
    verdicts = [
        _verdict(
            binding_id=g.id,
            role=g.role,
            condition=g.condition,
            group=g.via_group,
            member=True,
            starts_at=g.starts_at,
            ends_at=g.ends_at,
            facts=facts,
            at=at,
            applies=g.effective,
            holds=g.condition_matches is not False,
        )
        for g in explanation.grants
        if g.kind == repo.BINDING
    ]
    # Group by group (by name), keeping each group's binding order.
    order = {v.id: i for i, v in enumerate(verdicts)}
    verdicts.sort(key=lambda v: (_group_key(v.group), order[v.id]))
    return BindingsExplanation(user=user, at=at, bindings=tuple(verdicts))


async def explain_group_bindings(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    at: dt.datetime,
    now: dt.datetime,
) -> BindingsExplanation:
    """One group's bindings judged for one user (who need not be a member) at ``at``."""
    await authorize_iam_admin(session, actor, org_id, now)
    group = await repository.get_group(session, group_id, org_id)
    if group is None:
        raise GroupNotFoundError(f"Group {group_id} not found")
    user = await _user(session, user_id, org_id)
    facts = facts_of(user)
    applying = {
        ra.id for ra, _ in await ctrlhub_access.applicable_bindings(session, group.id, user.id, at)
    }
    member = await repo.is_member(session, group.id, user.id)
    ref = GroupRef(group.id, group.name, group.slug)
    verdicts = []
    for ra, role in (await repo.bindings_of(session, [group.id]))[group.id]:
        verdicts.append(
            _verdict(
                binding_id=ra.id,
                role=role.name if role is not None else ra.role_key,
                condition=ra.condition,
                group=ref,
                member=member,
                starts_at=ra.starts_at,
                ends_at=ra.ends_at,
                facts=facts,
                at=at,
                applies=ra.id in applying,
                holds=condition_matches(ra.condition, facts),
            )
        )
    return BindingsExplanation(user=user, at=at, bindings=tuple(verdicts))

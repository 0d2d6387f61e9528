"""Effective access, explained: what a principal may do in a project at a moment, and why.

Two questions, answered from the rows evaluation reads and by the engine enforcement
uses, so an explanation cannot disagree with the server:

- :func:`explain` lists every rule that reaches the principal in a project — through a
  direct role, a group's role or an additional privilege — with its source, its window,
  whether it is active at ``at`` and which active deny rules override it. The rows come
  from :func:`rolegate.rbac.repository.load_project_rule_sources` with ``now=None`` (every
  window) and are turned into rules by :func:`rolegate.rbac.evaluation.source_rules`.
- :func:`check` answers "may the principal do ``action`` on ``subject`` (with these
  ``fields``) at ``at``?" by building :class:`~rolegate.rbac.permissions.rules.Ability` from
  exactly the rules :func:`rolegate.rbac.evaluation.project_rules` gives the PATCH
  boundary, and names the rules that decided it.

Override analysis uses the boundary engine too (:func:`missing_permissions`): a deny
overrides an allow for an action when the two may overlap; *fully* when every resource
the allow covers is denied. Both answers are the engine's conservative ones: "partially"
may be reported where a glob analysis cannot prove two conditions disjoint.

Org-level grants (CSP and ctrl-hub dialects) are explained by
:mod:`rolegate.rbac.explain.org`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import (
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProjectNotFoundError,
)
from rolegate.rbac.evaluation import actor_project_rules, source_rules
from rolegate.rbac.explain import repository as repo
from rolegate.rbac.models import Project
from rolegate.rbac.permissions.boundary import covers, missing_permissions
from rolegate.rbac.permissions.rules import Ability, Rule
from rolegate.rbac.permissions.schema import IMPLIED_ACTIONS, with_implied
from rolegate.rbac.repository import RuleSource
from rolegate.rbac.windows import is_open_at

PrincipalKind = Literal["identity", "user", "group"]

#: The project subject a caller must be able to ``read`` to explain each kind of principal.
TARGET_SUBJECT: Mapping[PrincipalKind, str] = {
    "identity": "identity",
    "user": "member",
    "group": "groups",
}

_SOURCE_ORDER = {"role": 0, "group-role": 1, "privilege": 2}


class PrincipalNotFoundError(NotFoundError):
    """The identity, user or group does not exist in the caller's organization."""


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: uuid.UUID
    name: str
    slug: str


# --- project level --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """One grant that gives the principal rules: a role row or an additional privilege."""

    type: str  # "role" | "group-role" | "privilege"
    id: uuid.UUID  # the role assignment or additional privilege row
    role: str | None  # built-in or custom role slug (roles); None for privileges
    privilege: str | None  # privilege slug
    group: GroupRef | None  # the group whose role this is (group-role)
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    active: bool

    @property
    def label(self) -> str:
        if self.type == "privilege":
            return f"additional privilege {self.privilege}"
        if self.type == "group-role" and self.group is not None:
            return f"group {self.group.name}'s role {self.role}"
        return f"direct role {self.role}"


@dataclass(frozen=True, slots=True)
class Override:
    """An active deny rule that takes away (some of) an allow rule's permissions."""

    source: Source
    rule: Rule
    actions: tuple[str, ...]  # the allow rule's actions it may deny
    fully: bool  # every resource the allow rule covers for those actions is denied


@dataclass(frozen=True, slots=True)
class ExplainedRule:
    rule: Rule
    source: Source
    overridden_by: tuple[Override, ...] = ()
    fully_overridden: bool = False

    @property
    def active(self) -> bool:
        return self.source.active

    @property
    def overridden(self) -> str | None:
        """``"fully"``, ``"partially"`` or None (deny rules are never overridden)."""
        if self.fully_overridden:
            return "fully"
        return "partially" if self.overridden_by else None


@dataclass(frozen=True, slots=True)
class Explanation:
    project_id: uuid.UUID
    project_slug: str | None  # when the caller read the project row (the CLI does)
    principal: Principal
    principal_name: str
    at: dt.datetime
    sources: tuple[Source, ...]
    rules: tuple[ExplainedRule, ...]

    @property
    def effective_rules(self) -> list[Rule]:
        """The rules evaluation uses at ``at`` (deny rules included)."""
        return [item.rule for item in self.rules if item.active]


async def _load_sources(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, now: dt.datetime | None
) -> list[RuleSource]:
    if principal.kind == "group":
        sources = await repo.group_rule_sources(session, principal.id, project_id)
        if now is not None:
            sources = [s for s in sources if is_open_at(s.starts_at, s.ends_at, now)]
        return sources
    return await repository.load_project_rule_sources(
        session, kind=principal.kind, principal_id=principal.id, project_id=project_id, now=now
    )


def _source(raw: RuleSource, groups: Mapping[uuid.UUID, GroupRef], at: dt.datetime) -> Source:
    is_privilege = raw.source == "privilege"
    return Source(
        type=raw.source,
        id=raw.source_id,
        role=None
        if is_privilege
        else (raw.role_slug if raw.role_key == "custom" else raw.role_key),
        privilege=raw.role_key if is_privilege else None,
        group=groups.get(raw.group_id) if raw.group_id else None,
        starts_at=raw.starts_at,
        ends_at=raw.ends_at,
        active=is_open_at(raw.starts_at, raw.ends_at, at),
    )


async def _sourced(
    session: AsyncSession, raw_sources: Sequence[RuleSource], at: dt.datetime
) -> list[tuple[Source, RuleSource]]:
    """Each raw source explained (group names resolved), in a stable reading order."""
    groups = await repo.groups_by_id(session, [s.group_id for s in raw_sources if s.group_id])
    refs = {gid: GroupRef(g.id, g.name, g.slug) for gid, g in groups.items()}
    return _in_order(raw_sources, refs, at)


def _in_order(
    raw_sources: Sequence[RuleSource], refs: Mapping[uuid.UUID, GroupRef], at: dt.datetime
) -> list[tuple[Source, RuleSource]]:
    return sorted(
        ((_source(raw, refs, at), raw) for raw in raw_sources), key=lambda p: _sort_key(p[0])
    )


def _sort_key(source: Source) -> tuple[Any, ...]:
    return (
        _SOURCE_ORDER.get(source.type, 9),
        source.group.name if source.group else "",
        source.role or source.privilege or "",
        source.starts_at or dt.datetime.min.replace(tzinfo=dt.UTC),
        str(source.id),
    )


def _as_allow(rule: Rule) -> Rule:
    return Rule(rule.subject, rule.actions, rule.conditions, inverted=False)


def _overrides(
    rule: Rule, denies: Sequence[tuple[Rule, Source]]
) -> tuple[tuple[Override, ...], bool]:
    """Which active denies may take ``rule``'s permissions away, and whether all of them go."""
    found: list[Override] = []
    fully_per_action: dict[str, bool] = {}
    for action in rule.actions:
        single = Rule(rule.subject, (action,), rule.conditions)
        everything = Rule(rule.subject, (action,))
        overlapping = []
        for deny, source in denies:
            if deny.subject != rule.subject or action not in deny.actions:
                continue
            # With an unconditional allow beside it, the engine refuses `single` exactly
            # when the deny may overlap it.
            if missing_permissions([everything, deny], [single]):
                overlapping.append((deny, source))
        # Fully denied when the overlapping denies, read as allows, cover the rule.
        fully_per_action[action] = bool(overlapping) and covers(
            [_as_allow(d) for d, _ in overlapping], [single]
        )
        for deny, source in overlapping:
            existing = next((o for o in found if o.rule is deny and o.source is source), None)
            fully = covers([_as_allow(deny)], [single])
            if existing is None:
                found.append(Override(source, deny, (action,), fully))
            else:
                found[found.index(existing)] = Override(
                    source, deny, (*existing.actions, action), existing.fully and fully
                )
    return tuple(found), bool(fully_per_action) and all(fully_per_action.values())


async def explain(
    session: AsyncSession,
    project: Project,
    principal: Principal,
    at: dt.datetime,
    *,
    name: str | None = None,
) -> Explanation:
    """Every rule reaching ``principal`` in ``project``, explained at ``at``.

    Tenancy and authorization are the caller's job (see :func:`explain_for_actor`).
    ``name`` is the principal's, when the caller has just read it in the project's org.
    """
    if name is None:
        name = await _principal_name(session, principal, project.org_id)
    raw_sources = await _load_sources(session, principal, project.id, None)
    pairs = await _sourced(session, raw_sources, at)
    return _explanation(project.id, project.slug, principal, name, at, pairs)


def _explanation(
    project_id: uuid.UUID,
    project_slug: str | None,
    principal: Principal,
    name: str,
    at: dt.datetime,
    pairs: Sequence[tuple[Source, RuleSource]],
) -> Explanation:
    sourced_rules = [(rule, source) for source, raw in pairs for rule in source_rules(raw)]
    active_denies = [(r, s) for r, s in sourced_rules if r.inverted and s.active]
    explained = []
    for rule, source in sourced_rules:
        if rule.inverted:
            explained.append(ExplainedRule(rule, source))
            continue
        overrides, fully = _overrides(rule, active_denies)
        explained.append(ExplainedRule(rule, source, overrides, fully))
    return Explanation(
        project_id=project_id,
        project_slug=project_slug,
        principal=principal,
        principal_name=name,
        at=at,
        sources=tuple(source for source, _ in pairs),
        rules=tuple(explained),
    )


@dataclass(frozen=True, slots=True)
class Reason:
    effect: str  # "allow" | "deny"
    rule: Rule
    source: Source


@dataclass(frozen=True, slots=True)
class CheckResult:
    allowed: bool
    because: tuple[Reason, ...]  # matching allows when allowed, matching denies when not
    at: dt.datetime


S = TypeVar("S")


def decide(
    sourced: Sequence[tuple[Rule, S]],
    action: str,
    subject: str,
    fields: Mapping[str, Any] | None,
) -> tuple[bool, list[tuple[str, Rule, S]]]:
    """The enforcement engine's answer for these rules, and the rules that decided it.

    ``allowed`` is :meth:`Ability.can` over every rule, nothing else. The reasons are the
    allow rules that match when allowed, the deny rules that match when refused (none
    when simply nothing grants it).
    """
    allowed = Ability(rule for rule, _ in sourced).can(action, subject, fields)
    # A composite action (``read`` on secrets) is decided by its parts: a rule naming a
    # part, or naming the composite, can be what allowed or refused it.
    parts = IMPLIED_ACTIONS.get((subject, action), (action,))
    reasons: list[tuple[str, Rule, S]] = []
    for rule, source in sourced:
        named = with_implied(rule.subject, rule.actions)
        if rule.subject != subject or (action not in named and not set(parts) & set(named)):
            continue
        if (
            allowed
            and not rule.inverted
            and any(Ability([rule]).can(p, subject, fields) for p in parts)
        ):
            reasons.append(("allow", rule, source))
        elif (
            not allowed
            and rule.inverted
            and any(_deny_matches(rule, p, subject, fields) for p in parts)
        ):
            reasons.append(("deny", rule, source))
    return allowed, reasons


def _deny_matches(rule: Rule, action: str, subject: str, fields: Mapping[str, Any] | None) -> bool:
    # Mirrors Ability.can: without fields only an unconditional deny denies.
    if fields is None:
        return rule.conditions is None
    return Ability([_as_allow(rule)]).can(action, subject, fields)


async def check(
    session: AsyncSession,
    project: Project,
    principal: Principal,
    *,
    action: str,
    subject: str,
    fields: Mapping[str, Any] | None,
    at: dt.datetime,
) -> CheckResult:
    """May ``principal`` do ``action`` on ``subject`` at ``at``? The enforcement engine says.

    ``fields`` None asks "at all?" (a conditional allow counts, a conditional deny does
    not deny), as the server's own "may I edit groups?" checks do; a mapping asks about
    one resource and must name every field the subject's conditions can name.
    """
    # The rows evaluation.project_rules reads for the boundary, filtered on `at` in SQL.
    raw_sources = await _load_sources(session, principal, project.id, at)
    pairs = await _sourced(session, raw_sources, at)
    return _check_result(pairs, action, subject, fields, at)


def _check_result(
    pairs: Sequence[tuple[Source, RuleSource]],
    action: str,
    subject: str,
    fields: Mapping[str, Any] | None,
    at: dt.datetime,
) -> CheckResult:
    sourced = [(rule, source) for source, raw in pairs for rule in source_rules(raw)]
    # `sourced` holds the rules of evaluation.flatten(raw_sources), reordered for reading;
    # deny wins regardless of order, so Ability answers the same for both.
    allowed, reasons = decide(sourced, action, subject, fields)
    because = tuple(Reason(effect, rule, source) for effect, rule, source in reasons)
    return CheckResult(allowed=allowed, because=because, at=at)


# --- tenancy and authorization for API callers ----------------------------------------


async def _principal_name(session: AsyncSession, principal: Principal, org_id: uuid.UUID) -> str:
    if principal.kind == "identity":
        identity = await repository.get_identity(session, principal.id, org_id)
        if identity is not None:
            return identity.name
    elif principal.kind == "user":
        user = await repo.get_user(session, principal.id, org_id)
        if user is not None:
            return user.email
    else:
        group = await repository.get_group(session, principal.id, org_id)
        if group is not None:
            return group.name
    raise PrincipalNotFoundError(f"Failed to find {principal.kind} with ID {principal.id}")


async def authorize(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    principal: Principal,
    now: dt.datetime,
) -> Project:
    """The project, once the actor may read the principal there (404 / 403 otherwise).

    Order: the project in the actor's org → ``read`` on the principal's kind → the
    principal in the actor's org. A principal of another org is a 404, like a project.
    """
    project, _ = await _authorize_named(session, actor, project_id, principal, now)
    return project


async def _authorize_named(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    principal: Principal,
    now: dt.datetime,
) -> tuple[Project, str]:
    """:func:`authorize`, with the principal's name it read on the way."""
    project = await repository.get_project(session, project_id, actor.org_id)
    if project is None:
        raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
    subject = TARGET_SUBJECT[principal.kind]
    fields = {"identityId": str(principal.id)} if principal.kind == "identity" else {}
    rules = await actor_project_rules(session, actor, project.id, now)
    if not Ability(rules).can("read", subject, fields):
        raise PermissionDeniedError(f"You are not allowed to read on {subject}")
    return project, await _principal_name(session, principal, actor.org_id)


class ProjectGrant(Protocol):
    """The actor's access to a project, loaded by the caller (an API's token check)."""

    @property
    def project_id(self) -> uuid.UUID: ...
    @property
    def found(self) -> bool: ...  # the project exists in the actor's org
    @property
    def rules(self) -> Sequence[Rule]: ...  # the actor's rules there, now


async def _authorized_principal(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    principal: Principal,
    now: dt.datetime,
    access: ProjectGrant | None,
) -> repo.PrincipalSources:
    """:func:`authorize`'s checks in its order, then the principal's name and every rule
    source it has in the project, in one statement.

    With ``access`` (the actor's rules in the project, read by the token check) the
    project and the actor's rules are not read again.
    """
    if access is not None and access.project_id == project_id:
        if not access.found:
            raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
        rules: Sequence[Rule] = access.rules
    else:
        project = await repository.get_project(session, project_id, actor.org_id)
        if project is None:
            raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
        rules = await actor_project_rules(session, actor, project_id, now)
    subject = TARGET_SUBJECT[principal.kind]
    fields = {"identityId": str(principal.id)} if principal.kind == "identity" else {}
    if not Ability(rules).can("read", subject, fields):
        raise PermissionDeniedError(f"You are not allowed to read on {subject}")
    found = await repo.principal_sources(
        session,
        kind=principal.kind,
        principal_id=principal.id,
        org_id=actor.org_id,
        project_id=project_id,
    )
    if found is None:
        raise PrincipalNotFoundError(f"Failed to find {principal.kind} with ID {principal.id}")
    return found


def _group_refs(found: repo.PrincipalSources) -> dict[uuid.UUID, GroupRef]:
    return {gid: GroupRef(gid, name, slug) for gid, (name, slug) in found.groups.items()}


async def explain_for_actor(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    principal: Principal,
    at: dt.datetime,
    now: dt.datetime,
    access: ProjectGrant | None = None,
) -> Explanation:
    """:func:`authorize` then :func:`explain`, reading the principal once: its name and
    its rule sources (every window) come in one statement, in the actor's org."""
    found = await _authorized_principal(session, actor, project_id, principal, now, access)
    pairs = _in_order(found.sources, _group_refs(found), at)
    return _explanation(project_id, None, principal, found.name, at, pairs)


async def check_for_actor(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    principal: Principal,
    action: str,
    subject: str,
    fields: Mapping[str, Any] | None,
    at: dt.datetime,
    now: dt.datetime,
    access: ProjectGrant | None = None,
) -> CheckResult:
    """:func:`authorize` then :func:`check`; the principal's sources are read with every
    window and those open at ``at`` kept (:func:`is_open_at`, the twin of the SQL filter
    :func:`check` applies)."""
    found = await _authorized_principal(session, actor, project_id, principal, now, access)
    open_sources = [s for s in found.sources if is_open_at(s.starts_at, s.ends_at, at)]
    pairs = _in_order(open_sources, _group_refs(found), at)
    return _check_result(pairs, action, subject, fields, at)


async def explain_by_reference(
    session: AsyncSession, *, project: str, kind: PrincipalKind, ref: str, at: dt.datetime
) -> Explanation:
    """For operators (the CLI): a project by id or slug, a principal by id or name/email/slug."""
    projects = await repo.find_projects(session, project)
    if not projects:
        raise ProjectNotFoundError(f"Failed to find project with ID or slug {project}")
    if len(projects) > 1:
        raise BadRequestError(
            f"The slug {project} names projects in several organizations; give the project ID"
        )
    found_project = projects[0]
    finders = {"identity": repo.find_identity, "user": repo.find_user, "group": repo.find_group}
    found = await finders[kind](session, ref, found_project.org_id)
    if found is None:
        raise PrincipalNotFoundError(
            f"Failed to find {kind} {ref} in the organization of project {found_project.slug}"
        )
    return await explain(session, found_project, Principal(kind, found.id), at)

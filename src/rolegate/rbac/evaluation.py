"""From stored grants to rules: what a principal may do in a project or an org, now."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.org_grants import held_catalogue_roles
from rolegate.rbac.permissions.builtin_roles import (
    BUILTIN_PROJECT_ROLES,
    ORG_ROLE_RULES,
    org_role_for_csp_roles,
)
from rolegate.rbac.permissions.rules import Rule, rules_from_json
from rolegate.rbac.repository import RuleSource


def role_rules(role_key: str, custom_permissions: list[dict[str, object]] | None) -> list[Rule]:
    """Rules of one role: a built-in by slug, or a custom role's stored rules."""
    if role_key == "custom":
        return rules_from_json(custom_permissions or [])
    builtin = BUILTIN_PROJECT_ROLES.get(role_key)
    return list(builtin.rules) if builtin else []


def source_rules(source: RuleSource) -> list[Rule]:
    if source.source == "privilege":
        return rules_from_json(source.permissions or [])
    return role_rules(source.role_key, source.permissions)


def flatten(sources: Iterable[RuleSource]) -> list[Rule]:
    return [rule for source in sources for rule in source_rules(source)]


async def project_rules(
    session: AsyncSession,
    *,
    kind: str,
    principal_id: uuid.UUID,
    project_id: uuid.UUID,
    now: dt.datetime,
) -> list[Rule]:
    sources = await repository.load_project_rule_sources(
        session, kind=kind, principal_id=principal_id, project_id=project_id, now=now
    )
    return flatten(sources)


async def actor_project_rules(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, now: dt.datetime
) -> list[Rule]:
    return await project_rules(
        session, kind=actor.kind, principal_id=actor.id, project_id=project_id, now=now
    )


async def actor_org_rules(session: AsyncSession, actor: Actor, now: dt.datetime) -> list[Rule]:
    """Org-level rules: a machine identity's org role, or a user's CSP org roles."""
    if actor.kind == "identity":
        org_role = actor.org_role or "no-access"
    else:
        keys = await held_catalogue_roles(session, actor.id, actor.org_id, now)
        org_role = org_role_for_csp_roles(keys)
    return list(ORG_ROLE_RULES.get(org_role, ()))

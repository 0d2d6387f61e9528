"""SQL for "who is acting and what may they do in this project", each in one query.

A PATCH used to spend three round trips before it touched its target: the token check,
the project lookup and the rule load. Here they are one statement: the rule sources
(:func:`repository.project_rule_sources_query`) are joined to the project row, and for a
bearer token, to the live token and its identity.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.models import AccessToken, Identity, Project
from rolegate.rbac.repository import RuleSource


@dataclass(frozen=True, slots=True)
class ProjectRuleRows:
    project_found: bool  # the project exists in the principal's org
    sources: list[RuleSource]


@dataclass(frozen=True, slots=True)
class LiveIdentity:
    org_id: uuid.UUID
    org_role: str
    project: ProjectRuleRows | None  # None when no project was asked for


def _sources_of(rows: Sequence[Mapping[Any, Any]]) -> list[RuleSource]:
    return [repository.rule_source_from_row(row) for row in rows if row["source_id"] is not None]


async def project_rules(
    session: AsyncSession,
    *,
    kind: str,
    principal_id: uuid.UUID,
    org_id: uuid.UUID,
    project_id: uuid.UUID,
    now: dt.datetime,
) -> ProjectRuleRows:
    """Whether the project exists in ``org_id``, and the principal's rule sources there."""
    src = repository.project_rule_sources_query(
        kind=kind, principal_id=principal_id, project_id=project_id, now=now
    ).subquery("src")
    stmt = (
        select(Project.id.label("project_id"), *src.c)
        .select_from(Project)
        .outerjoin(src, true())
        .where(Project.id == project_id, Project.org_id == org_id)
    )
    rows = [row._mapping for row in (await session.execute(stmt)).all()]
    return ProjectRuleRows(project_found=bool(rows), sources=_sources_of(rows))


def _live_identity_query(with_project: bool) -> ClauseElement:
    """Built once per shape, with named parameters (statement building is per-request
    Python work; executing a prebuilt statement only binds values)."""
    token, identity = AccessToken, Identity
    stmt: Any = (
        select(identity.org_id.label("org_id"), identity.org_role.label("org_role"))
        .select_from(token)
        .join(identity, identity.id == token.principal_id)
        .where(
            token.id == bindparam("token_id"),
            token.surface == bindparam("surface"),
            token.revoked_at.is_(None),
            token.expires_at > bindparam("now"),
            identity.id == bindparam("identity_id"),
        )
    )
    if with_project:
        src = repository.project_rule_sources_query(
            kind="identity",
            principal_id=bindparam("identity_id"),
            project_id=bindparam("project_id"),
            now=bindparam("now"),
        ).subquery("src")
        stmt = (
            stmt.add_columns(Project.id.label("project_id"), *src.c)
            .outerjoin(
                Project,
                and_(Project.id == bindparam("project_id"), Project.org_id == identity.org_id),
            )
            # Rules only count inside the identity's own org.
            .outerjoin(src, Project.id.is_not(None))
        )
    query: ClauseElement = stmt
    return query


# Every request with a bearer token runs one of these first, so they run directly on
# asyncpg (see rolegate/db_direct.py): keyed by "was a project asked for".
_LIVE_IDENTITY = {shape: DirectStatement(_live_identity_query(shape)) for shape in (False, True)}


async def live_identity(
    session: AsyncSession,
    *,
    token_id: uuid.UUID,
    identity_id: uuid.UUID,
    surface: str,
    project_id: uuid.UUID | None,
    now: dt.datetime,
) -> LiveIdentity | None:
    """The token's identity if the token is live, with its rules in ``project_id``.

    None when the token is revoked, expired or unknown, or its identity is gone.
    """
    params: dict[str, Any] = {
        "token_id": token_id,
        "surface": surface,
        "now": now,
        "identity_id": identity_id,
    }
    if project_id is not None:
        params["project_id"] = project_id
    rows = await _LIVE_IDENTITY[project_id is not None].fetch(session, params)
    if not rows:
        return None
    first = rows[0]
    project = None
    if project_id is not None:
        project = ProjectRuleRows(
            project_found=first["project_id"] is not None, sources=_sources_of(rows)
        )
    return LiveIdentity(org_id=first["org_id"], org_role=first["org_role"], project=project)

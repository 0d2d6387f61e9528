"""SQL for project templates and for creating a project from one."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.models import Environment, Project, ProjectTemplate, Role

UNIQUE_VIOLATION = "23505"


# Endpoint C's statements come back as plain rows, not ORM objects (as endpoint A's do:
# bench/README.md, "What paid off").


@dataclass(frozen=True, slots=True)
class TemplateRow:
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str | None
    roles: list[dict[str, Any]]
    environments: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LockedTemplate:
    template: TemplateRow
    name_taken: bool  # another template of the org already has the name asked for


_templates = cast(Table, ProjectTemplate.__table__)
_COLUMNS = tuple(field.name for field in fields(TemplateRow))
_other = _templates.alias("other")

# Built once with named parameters. The name check rides on the lock: it reads the other
# templates as of this statement, which is what a separate check after the lock read too
# (renames of *other* templates do not wait for this row's lock); a rename that commits
# in between is caught by the unique constraint in :func:`write_template`.
_LOCK_TEMPLATE = DirectStatement(
    select(
        *(_templates.c[name] for name in _COLUMNS),
        select(_other.c.id)
        .where(
            _other.c.org_id == bindparam("org_id"),
            _other.c.name == bindparam("new_name", type_=_templates.c.name.type),
            _other.c.id != bindparam("template_id"),
        )
        .exists()
        .label("name_taken"),
    )
    .where(_templates.c.id == bindparam("template_id"), _templates.c.org_id == bindparam("org_id"))
    .with_for_update(of=_templates)
)

_updated = (
    update(_templates)
    .where(_templates.c.id == bindparam("template_id"))
    .values(
        {
            name: bindparam(name, type_=_templates.c[name].type)
            for name in ("name", "description", "roles", "environments", "updated_at")
        }
    )
    .returning(*(_templates.c[name] for name in _COLUMNS))
    .cte("updated")
)
_WRITE_TEMPLATE = DirectStatement(select(*_updated.c).add_cte(repository.AUDIT_INSERT.cte("audit")))


async def get_template(
    session: AsyncSession, template_id: uuid.UUID, org_id: uuid.UUID, *, lock: bool = False
) -> ProjectTemplate | None:
    stmt = (
        select(ProjectTemplate)
        .where(ProjectTemplate.id == template_id, ProjectTemplate.org_id == org_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_template_by_name(
    session: AsyncSession, name: str, org_id: uuid.UUID
) -> ProjectTemplate | None:
    stmt = select(ProjectTemplate).where(
        ProjectTemplate.name == name, ProjectTemplate.org_id == org_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_templates(session: AsyncSession, org_id: uuid.UUID) -> list[ProjectTemplate]:
    stmt = (
        select(ProjectTemplate)
        .where(ProjectTemplate.org_id == org_id)
        .order_by(ProjectTemplate.name)
    )
    return list((await session.execute(stmt)).scalars())


async def insert_template(session: AsyncSession, values: dict[str, Any]) -> ProjectTemplate | None:
    """Insert a template; None when its name is taken in the org."""
    stmt = (
        pg_insert(ProjectTemplate)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["org_id", "name"])
        .returning(ProjectTemplate)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_template(
    session: AsyncSession, template_id: uuid.UUID, org_id: uuid.UUID, new_name: str | None
) -> LockedTemplate | None:
    """The template of ``org_id``, row-locked until the transaction ends, and whether
    ``new_name`` (None: no rename asked) is another template's name, in one statement."""
    params = {"template_id": template_id, "org_id": org_id, "new_name": new_name}
    rows = await _LOCK_TEMPLATE.fetch(session, params)
    if not rows:
        return None
    row = rows[0]
    return LockedTemplate(
        template=TemplateRow(*(row[name] for name in _COLUMNS)), name_taken=row["name_taken"]
    )


async def write_template(
    session: AsyncSession, template: TemplateRow, audit: dict[str, Any]
) -> TemplateRow | None:
    """Store ``template`` (every column but the id, org and creation time) and write the
    audit event (``audit``: :func:`repository.audit_params`), in one statement.

    Returns the row as stored; None when its name collides with another template's (a
    concurrent rename or create that won the race). No savepoint: the caller answers
    with an error, and the route rolls the failed transaction back.
    """
    params = {
        "template_id": template.id,
        "name": template.name,
        "description": template.description,
        "roles": template.roles,
        "environments": template.environments,
        "updated_at": template.updated_at,
        **audit,
    }
    try:
        rows = await _WRITE_TEMPLATE.fetch(session, params)
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            return None
        raise
    return TemplateRow(*(rows[0][name] for name in _COLUMNS))


async def delete_template(session: AsyncSession, template_id: uuid.UUID) -> None:
    await session.execute(delete(ProjectTemplate).where(ProjectTemplate.id == template_id))


# --- projects created from a template ------------------------------------------------


async def insert_project(session: AsyncSession, values: dict[str, Any]) -> Project | None:
    """Insert a project; None when its slug is taken in the org."""
    stmt = (
        pg_insert(Project)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["org_id", "slug"])
        .returning(Project)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_rows(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(model), rows)


async def project_environments(session: AsyncSession, project_id: uuid.UUID) -> list[Environment]:
    stmt = (
        select(Environment)
        .where(Environment.project_id == project_id)
        .order_by(Environment.position, Environment.slug)
    )
    return list((await session.execute(stmt)).scalars())


async def project_roles(session: AsyncSession, project_id: uuid.UUID) -> list[Role]:
    stmt = (
        select(Role)
        .where(Role.scope == "project", Role.project_id == project_id)
        .order_by(Role.slug)
    )
    return list((await session.execute(stmt)).scalars())

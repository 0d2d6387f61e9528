"""SQL for project templates and for creating a project from one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import Environment, Project, ProjectTemplate, Role

UNIQUE_VIOLATION = "23505"


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


async def update_template(
    session: AsyncSession, template_id: uuid.UUID, values: dict[str, Any]
) -> bool:
    """Apply ``values``; False when a rename collides with another template's name.

    The statement runs in a savepoint so that a unique violation (a concurrent rename
    that won the race) leaves the request's transaction usable for the error answer.
    """
    try:
        async with session.begin_nested():
            await session.execute(
                update(ProjectTemplate).where(ProjectTemplate.id == template_id).values(**values)
            )
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            return False
        raise
    return True


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

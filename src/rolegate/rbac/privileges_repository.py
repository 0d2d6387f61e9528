"""SQL for identity additional privileges (Infisical endpoint B and its siblings)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AdditionalPrivilege, Identity, ProjectMembership


async def identity_membership(
    session: AsyncSession,
    project_id: uuid.UUID,
    identity_id: uuid.UUID,
    org_id: uuid.UUID,
    *,
    lock: bool = False,
) -> tuple[ProjectMembership, Identity] | None:
    """The identity's membership in the project; with ``lock``, row-locked until commit.

    Writes lock the membership (the privileges' parent row), so that two requests on
    privileges of one identity, slug renames included, serialize.
    """
    stmt = (
        select(ProjectMembership, Identity)
        .join(Identity, Identity.id == ProjectMembership.identity_id)
        .where(
            ProjectMembership.project_id == project_id,
            ProjectMembership.identity_id == identity_id,
            Identity.org_id == org_id,
        )
    )
    if lock:
        stmt = stmt.with_for_update(of=ProjectMembership)
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


async def get_privilege(
    session: AsyncSession, membership_id: uuid.UUID, slug: str
) -> AdditionalPrivilege | None:
    stmt = (
        select(AdditionalPrivilege)
        .where(
            AdditionalPrivilege.project_membership_id == membership_id,
            AdditionalPrivilege.slug == slug,
        )
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_privilege_by_id(
    session: AsyncSession, privilege_id: uuid.UUID
) -> AdditionalPrivilege:
    stmt = (
        select(AdditionalPrivilege)
        .where(AdditionalPrivilege.id == privilege_id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def list_privileges(
    session: AsyncSession, membership_id: uuid.UUID
) -> list[AdditionalPrivilege]:
    stmt = (
        select(AdditionalPrivilege)
        .where(AdditionalPrivilege.project_membership_id == membership_id)
        .order_by(AdditionalPrivilege.created_at, AdditionalPrivilege.slug)
    )
    return list((await session.execute(stmt)).scalars())


async def insert_privilege(
    session: AsyncSession, values: dict[str, Any]
) -> AdditionalPrivilege | None:
    """Insert a privilege; None when its slug is already taken in the membership."""
    stmt = (
        pg_insert(AdditionalPrivilege)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["project_membership_id", "slug"])
        .returning(AdditionalPrivilege)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_privilege(
    session: AsyncSession, privilege_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        update(AdditionalPrivilege).where(AdditionalPrivilege.id == privilege_id).values(**values)
    )


async def delete_privilege(session: AsyncSession, privilege_id: uuid.UUID) -> None:
    await session.execute(delete(AdditionalPrivilege).where(AdditionalPrivilege.id == privilege_id))

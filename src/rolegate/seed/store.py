"""The loader's row helpers: match by id or natural key, insert or update, count."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db import Base
from rolegate.rbac.models import CspApiToken, Organization, Role, RoleAssignment, SessionToken, User
from rolegate.rbac.secrets import SecretHasher, token_digest

M = TypeVar("M", bound=Base)


class SeedStore:
    """One load's session, its clock, and how many rows of each table it upserted."""

    def __init__(
        self, session: AsyncSession, secrets: SecretHasher, now: dt.datetime | None = None
    ) -> None:
        self.session = session
        self.secrets = secrets
        self.now = now or dt.datetime.now(dt.UTC)
        self.counts: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    async def find(self, model: type[M], id_: uuid.UUID | None, **natural: Any) -> M | None:
        if id_ is not None:
            found = await self.session.get(model, id_)
            if found is not None:
                return found
        stmt = select(model).filter_by(**natural)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def upsert(
        self, model: type[M], id_: uuid.UUID | None, natural: dict[str, Any], values: dict[str, Any]
    ) -> M:
        row = await self.find(model, id_, **natural)
        if row is None:
            row = model(id=id_ or uuid.uuid4(), **natural, **values)
            self.session.add(row)
        else:
            for key, value in {**natural, **values}.items():
                setattr(row, key, value)
        await self.session.flush()
        self._count(model.__tablename__)
        return row

    async def ensure_token(
        self, model: type[CspApiToken] | type[SessionToken], user: User, token: str
    ) -> None:
        stmt = pg_insert(model).values(
            id=uuid.uuid4(), user_id=user.id, token_hash=token_digest(token)
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["token_hash"], set_={"user_id": user.id})
        )

    async def ensure_org_assignment(
        self,
        org: Organization,
        kind: str,
        key: str,
        role: Role | None,
        *,
        user_id: uuid.UUID | None = None,
        group_id: uuid.UUID | None = None,
    ) -> None:
        holder = (
            RoleAssignment.user_id == user_id if user_id else RoleAssignment.group_id == group_id
        )
        stmt = select(RoleAssignment.id).where(
            holder,
            RoleAssignment.kind == kind,
            RoleAssignment.role_key == key,
            RoleAssignment.role_id.is_(None) if role is None else RoleAssignment.role_id == role.id,
        )
        if (await self.session.execute(stmt)).first() is None:
            self.session.add(
                RoleAssignment(
                    id=uuid.uuid4(),
                    org_id=org.id,
                    surface="csp",
                    kind=kind,
                    user_id=user_id,
                    group_id=group_id,
                    role_key=key,
                    role_id=role.id if role else None,
                    created_by="seed",
                    updated_by="seed",
                )
            )

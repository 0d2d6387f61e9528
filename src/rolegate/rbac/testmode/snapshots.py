"""Snapshots of the whole store, kept in PostgreSQL: what reset and restore put back.

A snapshot is a schema (``rolegate_snapshot_<name>``) holding a copy of every table of
the store; restoring it is one transaction of ``TRUNCATE`` and ``INSERT … SELECT`` per
table. Why not a template database cloned per reset: ``CREATE DATABASE … TEMPLATE``
needs every connection to the template closed, so a running server would have to drop
its pool (and every other worker's and replica's) for each reset. The copy works under
a live server, from any worker, and costs a few statements per table. The reset baseline
is the snapshot ``seed``, taken by ``serve``/``seed`` after loading the seed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.errors import BadRequestError, NotFoundError
from rolegate.rbac.testmode import snapshots_repository as repo

SEED = "seed"
_NAME = re.compile(r"[a-z0-9_]{1,40}", re.ASCII)


class SnapshotNotFoundError(NotFoundError):
    pass


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BadRequestError("A snapshot name is 1 to 40 characters of a-z, 0-9 and _")
    return name


def insert_order(tables: Iterable[str], references: Mapping[str, set[str]]) -> list[str]:
    """Tables ordered so that every table comes after the tables its rows reference.

    A self-reference needs no order (PostgreSQL checks it at the end of the statement);
    a cycle between tables would, and the store has none, so it is refused loudly.
    """
    pending = {t: {r for r in references.get(t, set()) if r != t} for t in tables}
    ordered: list[str] = []
    while pending:
        ready = sorted(t for t, needs in pending.items() if not needs & pending.keys())
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(pending)}")
        ordered.extend(ready)
        for table in ready:
            del pending[table]
    return ordered


async def take(session: AsyncSession, name: str) -> None:
    """Copy every table of the store into the snapshot ``name`` (replacing one there)."""
    tables = await repo.store_tables(session)
    await repo.copy_out(session, repo.schema_of(name), tables)


async def restore(session: AsyncSession, name: str) -> None:
    schema = repo.schema_of(name)
    saved = await repo.snapshot_tables(session, schema)
    if saved is None:
        raise SnapshotNotFoundError(f"No snapshot named {name!r}")
    tables = await repo.store_tables(session)
    order = insert_order(tables, await repo.references(session))
    await repo.copy_in(session, schema, order, saved)


async def reset_to_seed(session: AsyncSession) -> bool:
    """Restore the seed snapshot; without one (a store never seeded in test mode), empty
    the store. True when a seed snapshot was there."""
    schema = repo.schema_of(SEED)
    saved = await repo.snapshot_tables(session, schema)
    tables = await repo.store_tables(session)
    order = insert_order(tables, await repo.references(session))
    await repo.copy_in(session, schema, order, saved or set())
    return saved is not None


async def names(session: AsyncSession) -> list[str]:
    return await repo.snapshot_names(session)

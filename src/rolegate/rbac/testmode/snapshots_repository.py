"""The snapshots' SQL: which tables make the store, and copying them out and back in.

The store is the ``public`` schema (where the migrations put it). Identifiers are built
from the catalog and from names checked against ``[a-z0-9_]``; they are quoted all the
same, and that is why the f-strings below are safe (S608).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PREFIX = "rolegate_snapshot_"
# Not part of the store: the migration state, and test mode's own clock and journal.
_NOT_STORE = frozenset({"alembic_version", "simulated_clock", "journaled_requests"})


def schema_of(name: str) -> str:
    return PREFIX + name


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _tables_in(session: AsyncSession, schema: str) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ),
        {"schema": schema},
    )
    return [row[0] for row in rows]


async def store_tables(session: AsyncSession) -> list[str]:
    return [t for t in await _tables_in(session, "public") if t not in _NOT_STORE]


async def references(session: AsyncSession) -> dict[str, set[str]]:
    """table -> the tables its foreign keys point at (within the store)."""
    rows = await session.execute(
        text(
            "SELECT child.relname, parent.relname FROM pg_constraint con"
            " JOIN pg_class child ON child.oid = con.conrelid"
            " JOIN pg_class parent ON parent.oid = con.confrelid"
            " WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace"
        )
    )
    found: dict[str, set[str]] = {}
    for child, parent in rows:
        found.setdefault(child, set()).add(parent)
    return found


async def snapshot_tables(session: AsyncSession, schema: str) -> set[str] | None:
    """The tables saved in ``schema``; None when there is no such snapshot."""
    exists = await session.scalar(
        text("SELECT count(*) FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    )
    if not exists:
        return None
    return set(await _tables_in(session, schema))


async def snapshot_names(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT substr(nspname, :skip) FROM pg_namespace"
            " WHERE starts_with(nspname, :prefix) ORDER BY nspname"
        ),
        {"skip": len(PREFIX) + 1, "prefix": PREFIX},
    )
    return [row[0] for row in rows]


async def _script(session: AsyncSession, statements: list[str]) -> None:
    """Run ``statements`` in one round trip (the simple-query protocol takes several).

    Inside the session's transaction: the callers ran a statement through the session
    before, so the driver connection has begun it.
    """
    if not statements:
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.execute(";\n".join(statements))  # type: ignore[union-attr]


async def copy_out(session: AsyncSession, schema: str, tables: Iterable[str]) -> None:
    quoted = _quote(schema)
    await _script(
        session,
        [f"DROP SCHEMA IF EXISTS {quoted} CASCADE", f"CREATE SCHEMA {quoted}"]
        + [f"CREATE TABLE {quoted}.{_quote(t)} AS TABLE public.{_quote(t)}" for t in tables],
    )


async def copy_in(session: AsyncSession, schema: str, order: list[str], saved: set[str]) -> None:
    """Empty every table in ``order`` and refill those saved in ``schema``, parents first.

    ``DELETE``, children first, rather than ``TRUNCATE``: a test store is small, and
    truncating creates and unlinks files for every table and index, several times the
    work of deleting a few hundred rows.
    """
    await _script(
        session,
        [f"DELETE FROM public.{_quote(t)}" for t in reversed(order)]  # noqa: S608 - quoted
        + [
            f"INSERT INTO public.{_quote(t)} SELECT * FROM {_quote(schema)}.{_quote(t)}"  # noqa: S608
            for t in order
            if t in saved
        ],
    )

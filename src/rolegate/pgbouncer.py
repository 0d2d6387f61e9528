"""The statement timeout behind PgBouncer's transaction pooling, set in every transaction.

PgBouncer lends a server connection for one transaction at a time and refuses startup
parameters it does not track, so the timeout cannot be a connection setting. ``SET
LOCAL`` lasts exactly one transaction, which is what a lent connection may carry; it is
sent in the same simple-query message as the transaction's ``BEGIN``, so it costs no
round trip of its own (a separate statement would add one to every request).

The hook is asyncpg's: SQLAlchemy's driver adapter opens every transaction with
``Connection.transaction().start()``, which sends ``BEGIN ...;`` through
:meth:`asyncpg.Connection.execute` (the ORM's, Core's and db_direct's transactions all
pass there). Savepoints are ``SAVEPOINT ...`` and keep the outer transaction's setting.
"""

from __future__ import annotations

from typing import Any

import asyncpg


class _TimeoutPerTransaction(asyncpg.Connection):  # type: ignore[misc]
    __slots__ = ()
    set_timeout: str = ""

    # asyncpg's signature, overridden.
    async def execute(
        self,
        query: str,
        *args: Any,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> str:
        if not args and query.startswith("BEGIN") and not self.is_in_transaction():
            query = f"{query} {self.set_timeout}"
        result: str = await super().execute(query, *args, timeout=timeout)
        return result


def timeout_per_transaction(timeout_ms: int) -> type[asyncpg.Connection]:
    """An asyncpg connection class whose transactions start with ``timeout_ms``."""
    statement = f"SET LOCAL statement_timeout = {int(timeout_ms)};"
    return type(
        "TimeoutPerTransaction",
        (_TimeoutPerTransaction,),
        {"__slots__": (), "set_timeout": statement},
    )

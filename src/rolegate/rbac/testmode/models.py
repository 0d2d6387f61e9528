"""Test mode's two tables. They live beside the RBAC tables (one migration chain, one
drift check) but are never part of a snapshot: restoring the store leaves the clock and
the journal alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Integer,
    Interval,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rolegate.db import Base


class SimulatedClock(Base):
    """At most one row: no row is real time. Kept in PostgreSQL so that every worker and
    every replica of one test server agrees on what time it is."""

    __tablename__ = "simulated_clock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    # Added to the database's clock_timestamp(): time keeps running, shifted.
    offset: Mapped[dt.timedelta] = mapped_column(Interval, nullable=False)
    # Set: time stands still at this instant (advancing moves it).
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class JournaledRequest(Base):
    __tablename__ = "journaled_requests"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    surface: Mapped[str] = mapped_column(String(16), nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    query: Mapped[str] = mapped_column(Text, nullable=False)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer, nullable=False)

"""test mode: the simulated clock and the request journal

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-02 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "simulated_clock",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("offset", sa.Interval(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_simulated_clock_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulated_clock")),
    )
    op.create_table(
        "journaled_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journaled_requests")),
    )


def downgrade() -> None:
    # Snapshots (api/testmode) are schemas of their own; they go with the feature.
    op.execute(
        """
        DO $$
        DECLARE name text;
        BEGIN
          FOR name IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rolegate\\_snapshot\\_%'
          LOOP
            EXECUTE format('DROP SCHEMA %I CASCADE', name);
          END LOOP;
        END $$
        """
    )
    op.drop_table("journaled_requests")
    op.drop_table("simulated_clock")

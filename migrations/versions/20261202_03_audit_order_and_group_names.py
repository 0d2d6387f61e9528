"""audit events in commit order; CSP group names unique under concurrency

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02 15:40:00

- ``audit_events.seq``: drawn when the event is inserted, under the row locks of the
  change it records, so events list in commit order; ``created_at`` becomes the clock
  at the insert (``clock_timestamp()``) instead of the transaction's start. Existing
  events are numbered by their ``created_at``.
- ``groups.unique_name`` and a unique index on the org and the case-folded name of the
  groups that claim it (the ones CSP creates). Groups CSP created before this revision
  (a ``csp.group.create`` event names them) claim their name when no other group of
  the org has it; duplicates a race left behind stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
    )
    op.execute(
        "UPDATE audit_events AS e SET seq = o.n"
        " FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n"
        " FROM audit_events) AS o WHERE e.id = o.id"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('audit_events', 'seq'),"
        " coalesce(max(seq), 0) + 1, false) FROM audit_events"
    )
    op.create_unique_constraint(op.f("uq_audit_events_seq"), "audit_events", ["seq"])
    op.create_index("ix_audit_events_org_id_seq", "audit_events", ["org_id", "seq"])
    op.alter_column("audit_events", "created_at", server_default=sa.text("clock_timestamp()"))

    op.add_column(
        "groups",
        sa.Column("unique_name", sa.Boolean(), server_default="false", nullable=False),
    )
    op.execute(
        "UPDATE groups AS g SET unique_name = true"
        " WHERE g.id::text IN (SELECT target_id FROM audit_events"
        " WHERE action = 'csp.group.create')"
        " AND NOT EXISTS (SELECT 1 FROM groups AS o WHERE o.org_id = g.org_id"
        " AND lower(o.name) = lower(g.name) AND o.id <> g.id)"
    )
    op.create_index(
        "uq_groups_org_id_lower_name",
        "groups",
        ["org_id", sa.text("lower(name)")],
        unique=True,
        postgresql_where=sa.text("unique_name"),
    )


def downgrade() -> None:
    op.drop_index("uq_groups_org_id_lower_name", table_name="groups")
    op.drop_column("groups", "unique_name")

    op.alter_column("audit_events", "created_at", server_default=sa.text("now()"))
    op.drop_index("ix_audit_events_org_id_seq", table_name="audit_events")
    op.drop_constraint(op.f("uq_audit_events_seq"), "audit_events", type_="unique")
    op.drop_column("audit_events", "seq")

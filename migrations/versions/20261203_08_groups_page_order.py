"""an index for ctrl-hub's paged group list: an org's groups by name, then id

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03 10:00:00

``GET /v3/orgs/{org_id}/iam/groups`` pages with ``limit``/``offset`` in the order
``name, id``; with this index a page is read off the index in that order instead of
sorting every group of the org for each request.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_groups_org_id_name_id", "groups", ["org_id", "name", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_groups_org_id_name_id", table_name="groups")

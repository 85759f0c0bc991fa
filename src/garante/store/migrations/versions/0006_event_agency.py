"""events name their reporting agency and keep what it signed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: events recorded before this revision named no agency and signed nothing.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("statement", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
        batch_op.create_foreign_key("fk_events_agency_id", "agencies", ["agency_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("fk_events_agency_id", type_="foreignkey")
        batch_op.drop_column("signature")
        batch_op.drop_column("statement")
        batch_op.drop_column("agency_id")

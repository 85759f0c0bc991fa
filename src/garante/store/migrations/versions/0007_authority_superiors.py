"""authority superiors

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authority_superiors",
        sa.Column("superior_id", sa.String(length=64), nullable=False),
        sa.Column("subordinate_id", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["superior_id"], ["authorities.id"]),
        sa.ForeignKeyConstraint(["subordinate_id"], ["authorities.id"]),
        sa.PrimaryKeyConstraint("superior_id", "subordinate_id"),
    )
    op.create_index(
        "ix_authority_superiors_subordinate_id", "authority_superiors", ["subordinate_id"]
    )


def downgrade() -> None:
    op.drop_table("authority_superiors")

"""how far the log's tree is integrated

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

Write transactions now store only their entries; an integrator computes the subtree nodes in
batches afterwards. ``ledger_integration`` holds, in one row, the size up to which the nodes
are stored. Every log before this revision stored its nodes with its entries, so it starts
integrated up to its size.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_integration",
        sa.Column("id", _BIGINT, autoincrement=False, nullable=False),
        sa.Column("size", _BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO ledger_integration (id, size) "
        "SELECT 1, COUNT(*) FROM ledger_subtrees WHERE level = 0"
    )


def downgrade() -> None:
    op.drop_table("ledger_integration")

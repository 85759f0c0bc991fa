"""a Garante upstream: its log's verifier key, and the last checkpoint a pull verified

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

A source of kind ``garante`` is another Garante's partner feed: ``log_key`` is the upstream
log's verifier key (the trust anchor each delivery and checkpoint is checked with), logged
with the source; ``upstream_checkpoint`` is how far a pull verified the upstream's log (size,
root, signed note and this node's cosignature), pull state like the position, not logged.
``source_ingests.terms``: what an item from a Garante upstream was released under (logged with
its ``item.ingested`` entry).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("log_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("upstream_checkpoint", sa.JSON(), nullable=True))
    with op.batch_alter_table("source_ingests") as batch:
        batch.add_column(sa.Column("terms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_ingests") as batch:
        batch.drop_column("terms")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("upstream_checkpoint")
        batch.drop_column("log_key")

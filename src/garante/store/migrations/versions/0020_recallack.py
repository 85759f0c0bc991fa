"""a recall's acknowledgement deadline

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

``feed_releases.recall_ack_by``: the instant by which the partner must acknowledge the recall of
a delivered release (from the recall act, or the agreement that started the release); past it
and unacknowledged, the system holds the partner. The ``release.recalled`` entry states it too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_releases") as batch:
        batch.add_column(sa.Column("recall_ack_by", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_releases") as batch:
        batch.drop_column("recall_ack_by")

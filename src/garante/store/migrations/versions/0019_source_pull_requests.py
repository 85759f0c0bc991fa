"""a pull asked for through the API, waiting for the server's schedule

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

``sources.pull_requested_at``: when an analyst asked for a pull through the API (which answers
at once); ``garante serve``'s schedule pulls the source next and clears it. Pull state, like
``last_*``: not logged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("pull_requested_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("pull_requested_at")

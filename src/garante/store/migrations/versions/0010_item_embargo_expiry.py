"""item embargo and expiry

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

``items.embargo_until``: nothing of the item is released before it (requests are held and decided
again when it passes). ``items.expires_at``: from it on nothing more is delivered, and partners
that received the item get revoked versions. Both are null for existing items: no embargo, no
expiry, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("items", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_items_expires_at", "items", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_items_expires_at", table_name="items")
    op.drop_column("items", "expires_at")
    op.drop_column("items", "embargo_until")

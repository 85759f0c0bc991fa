"""item versions and upstream revocations

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

``items.version``: the current version's number (1 for every item so far);
``items.revoked_at`` and ``revoked_reason``: the upstream revocation that ended the item.
``source_ingests.item_version`` and ``tlp``: for a later upstream version that became an item's
next version (status ``revised``), its number and TLP: with its opening already kept there,
the rows of an item are its history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # no 32-bit integers on PostgreSQL


def upgrade() -> None:
    op.add_column("items", sa.Column("version", _INT, nullable=False, server_default="1"))
    op.add_column("items", sa.Column("revoked_at", _WHEN, nullable=True))
    op.add_column("items", sa.Column("revoked_reason", sa.Text(), nullable=True))
    op.add_column("source_ingests", sa.Column("item_version", _INT, nullable=True))
    op.add_column("source_ingests", sa.Column("tlp", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): rebuilding ``items`` as a batch would trip
    # the foreign keys that name it.
    for table, column in (
        ("source_ingests", "tlp"),
        ("source_ingests", "item_version"),
        ("items", "revoked_reason"),
        ("items", "revoked_at"),
        ("items", "version"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

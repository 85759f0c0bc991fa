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


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("revoked_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("revoked_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("source_ingests") as batch:
        batch.add_column(sa.Column("item_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("tlp", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_ingests") as batch:
        batch.drop_column("tlp")
        batch.drop_column("item_version")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("revoked_reason")
        batch.drop_column("revoked_at")
        batch.drop_column("version")

"""sources of items, what each ingested, and items held for review

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

``sources``: where items come from (a TAXII 2.1 collection for now), its credentials (kept
here only), the terms its items are ingested under and how far its pulls got.
``source_ingests``: each upstream version taken, and the item it became; unique on (source,
upstream id, upstream version), so the same version pulled twice is one item.
``items.review``: why an ingested item is held for review (null for every other item, which is
every item stored before this revision).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("collection", sa.String(length=200), nullable=True),
        sa.Column("auth", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("credentials_salt", sa.LargeBinary(length=16), nullable=True),
        sa.Column("originator", sa.String(length=64), nullable=False),
        sa.Column("interval", _BIGINT, nullable=False),
        sa.Column("grouping", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("tlp", sa.String(length=16), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("added_at", _WHEN, nullable=False),
        sa.Column("paused_at", _WHEN, nullable=True),
        sa.Column("removed_at", _WHEN, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("position_added", sa.String(length=64), nullable=True),
        sa.Column("position_next", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", _WHEN, nullable=True),
        sa.Column("last_success_at", _WHEN, nullable=True),
        sa.Column("last_error_at", _WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["originator"], ["agencies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "source_ingests",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("upstream_id", sa.String(length=200), nullable=False),
        sa.Column("upstream_version", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content_commitment", sa.String(length=64), nullable=False),
        sa.Column("commitment_salt", sa.LargeBinary(length=16), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("bundle", sa.Text(), nullable=True),
        sa.Column("ingested_by", sa.String(length=128), nullable=False),
        sa.Column("ingested_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_source_ingests_upstream",
        "source_ingests",
        ["source_id", "upstream_id", "upstream_version"],
        unique=True,
    )
    op.create_index("ix_source_ingests_item_id", "source_ingests", ["item_id"])
    op.add_column("items", sa.Column("review", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE items DROP COLUMN review")
    op.drop_index("ix_source_ingests_item_id", table_name="source_ingests")
    op.drop_index("ix_source_ingests_upstream", table_name="source_ingests")
    op.drop_table("source_ingests")
    op.drop_table("sources")

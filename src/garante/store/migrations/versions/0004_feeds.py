"""partner feeds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_releases",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("trace_token", sa.String(length=64), nullable=False),
        sa.Column("undertaking_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["agencies.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["release_requests.id"]),
        sa.PrimaryKeyConstraint("request_id"),
        sa.UniqueConstraint("trace_token"),
    )
    op.create_index("ix_feed_releases_partner_id", "feed_releases", ["partner_id"])
    op.create_table(
        "feed_objects",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("date_added", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["agencies.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["release_requests.id"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_feed_objects_request_id", "feed_objects", ["request_id"])
    op.create_index(
        "ix_feed_objects_page",
        "feed_objects",
        ["partner_id", "visible", "is_latest", "date_added", "seq"],
    )
    op.create_index(
        "ix_feed_objects_object",
        "feed_objects",
        ["partner_id", "object_id", "version"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("feed_objects")
    op.drop_table("feed_releases")

"""a partner node acknowledges upstream: its signing key, and the outbox of acknowledgements

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

``sources.signing_key``: the node agency's Ed25519 private key (PEM) a source of kind
``garante`` signs its acknowledgements with, kept here only (never logged, never shown), as a
source's secret is. ``upstream_acks``: each acknowledgement the node signed for its upstream,
kept until the upstream accepted it (``accepted_at``), with the last error of the attempts
before; one of each kind per upstream release. Pull state, not logged: the upstream logs what
it accepts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_WHEN = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit on PostgreSQL


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("signing_key", sa.Text(), nullable=True))
    op.create_table(
        "upstream_acks",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("agency_id", sa.String(length=128), nullable=False),
        sa.Column("acknowledged_at", _WHEN, nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("queued_at", _WHEN, nullable=False),
        sa.Column("accepted_at", _WHEN, nullable=True),
        sa.Column("attempts", _ID, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_upstream_acks_release",
        "upstream_acks",
        ["source_id", "request_id", "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_upstream_acks_release", table_name="upstream_acks")
    op.drop_table("upstream_acks")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("signing_key")

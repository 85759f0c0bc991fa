"""standing agreements

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

``agreements``: a partner's standing request (purposes, scope, validity) at its latest version,
with the statement the partner may countersign. ``release_requests.agreement_id``: the agreement
that started a request; null for requests made by hand, which is every request stored before
this revision. An index on (item, recipient, purpose) finds whether a request exists already,
which the fan-out asks before starting one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("tlp_ceiling", sa.String(length=16), nullable=False),
        sa.Column("originators", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", _BIGINT, nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("made_by", sa.String(length=128), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["agencies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agreements_partner_id", "agreements", ["partner_id"])
    op.create_index("ix_agreements_ended_at", "agreements", ["ended_at"])
    # A plain ADD COLUMN ... REFERENCES, which SQLite takes for a nullable column (Alembic
    # would ask for a batch rebuild there, and rebuilding ``release_requests`` would trip the
    # foreign keys that reference it).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE release_requests ADD COLUMN agreement_id VARCHAR(128) "
            "REFERENCES agreements (id)"
        )
    else:
        op.add_column(
            "release_requests",
            sa.Column(
                "agreement_id",
                sa.String(length=128),
                sa.ForeignKey("agreements.id", name="fk_release_requests_agreement_id"),
                nullable=True,
            ),
        )
    op.create_index(
        "ix_release_requests_item", "release_requests", ["item_id", "recipient_id", "purpose"]
    )


def downgrade() -> None:
    op.drop_index("ix_release_requests_item", table_name="release_requests")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            "fk_release_requests_agreement_id", "release_requests", type_="foreignkey"
        )
    op.execute("ALTER TABLE release_requests DROP COLUMN agreement_id")
    op.drop_index("ix_agreements_ended_at", table_name="agreements")
    op.drop_index("ix_agreements_partner_id", table_name="agreements")
    op.drop_table("agreements")

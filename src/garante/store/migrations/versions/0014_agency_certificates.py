"""client certificates that authenticate partners

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

``agency_certificates``: a client certificate (SHA-256 of its DER encoding, hex) that
authenticates as an agency's partner principal behind a trusted proxy; a removed one keeps its
row with ``removed_at``, so a fingerprint is never registered twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agency_certificates",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("removed_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.PrimaryKeyConstraint("fingerprint"),
    )
    op.create_index(
        "ix_agency_certificates_agency_id", "agency_certificates", ["agency_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_agency_certificates_agency_id", table_name="agency_certificates")
    op.drop_table("agency_certificates")

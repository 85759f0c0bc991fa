"""partners write back: acknowledgements, and the status of each TAXII write

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

``acknowledgements``: a partner's signed acknowledgement of a delivery or of a recall, one of
each kind per release, by the STIX id of the object that carried it. ``taxii_statuses``: the
TAXII 2.1 status resource of each write to a partner's write collection, so any server answers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # release_requests.id since 0009


def upgrade() -> None:
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("acknowledged_at", _WHEN, nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["release_requests.id"]),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_acknowledgements_agency_id", "acknowledgements", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_acknowledgements_release", "acknowledgements", ["request_id", "kind"], unique=True
    )
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("request_timestamp", _WHEN, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_taxii_statuses_agency_id", "taxii_statuses", ["agency_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_taxii_statuses_agency_id", table_name="taxii_statuses")
    op.drop_table("taxii_statuses")
    op.drop_index("ix_acknowledgements_release", table_name="acknowledgements")
    op.drop_index("ix_acknowledgements_agency_id", table_name="acknowledgements")
    op.drop_table("acknowledgements")

"""consent requests: partners ask to share onward what a release gave them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

``consent_requests``: a partner's signed request (its statement and signature, as logged with
``consent.requested``) to share onward what one of its releases gave it, with the answer given
here (``consent.granted`` / ``consent.refused``) and the log entry of that answer.
``consents_asked``: on a node, the consents it asked of its Garante upstreams, and each answer
once taken with its upstream log entry proven (``consent.received``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("requested_at", _WHEN, nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered_by", sa.String(128), nullable=True),
        sa.Column("answered_at", _WHEN, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answer_index", _ID, nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["release_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_consent_requests_agency_id", "consent_requests", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_consent_requests_request_id", "consent_requests", ["request_id"], unique=False
    )
    op.create_table(
        "consents_asked",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("upstream_origin", sa.String(200), nullable=True),
        sa.Column("upstream_request", _ID, nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.String(128), nullable=False),
        sa.Column("asked_at", _WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer_index", _ID, nullable=True),
        sa.Column("received_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["recipient_id"], ["agencies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consents_asked_item_id", "consents_asked", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_consents_asked_item_id", table_name="consents_asked")
    op.drop_table("consents_asked")
    op.drop_index("ix_consent_requests_request_id", table_name="consent_requests")
    op.drop_index("ix_consent_requests_agency_id", table_name="consent_requests")
    op.drop_table("consent_requests")

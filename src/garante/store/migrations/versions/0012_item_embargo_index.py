"""index items by embargo end

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Every feed page that delivers a release for the first time applies the item windows the clock
has passed (``service.windows``): embargo ends and expiries between the last run and now. Expiry
was indexed; the embargo end was not, so that check read every item. With both indexed, a page
with nothing due pays two index probes that find nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_items_embargo_until", "items", ["embargo_until"])


def downgrade() -> None:
    op.drop_index("ix_items_embargo_until", table_name="items")

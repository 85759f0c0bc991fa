"""the witnesses a log's operator trusts to cosign its checkpoints

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

``log_witnesses``: each witness registered (``witness.added``), its key name and its type 0x04
note verifier key; a cosignature a witness posts is taken only if it verifies with the key of a
witness registered and not removed (``witness.removed`` sets ``removed_at``). The cosignatures
themselves stay where they were kept, with their checkpoint (``ledger_checkpoints``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "log_witnesses",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("added_at", _WHEN, nullable=False),
        sa.Column("removed_at", _WHEN, nullable=True),
    )
    op.create_index("ix_log_witnesses_name", "log_witnesses", ["name"])


def downgrade() -> None:
    op.drop_index("ix_log_witnesses_name", table_name="log_witnesses")
    op.drop_table("log_witnesses")

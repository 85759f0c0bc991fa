"""key recovery marks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

``agencies.key_recovered_by``: the authority whose recovery statement installed the agency's
current key (null when its own previous key, or nothing, proved it). ``undertakings.
key_recovered``: the undertaking's signature was made with such a key. Both are filled for an
existing store from its log, the only record of how each key was set.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agencies", sa.Column("key_recovered_by", sa.String(length=64), nullable=True))
    op.add_column(
        "undertakings",
        sa.Column("key_recovered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    connection = op.get_bind()
    entries = connection.execute(
        sa.text(
            "SELECT kind, entry FROM ledger_entries "
            "WHERE kind IN ('agency.key-set', 'undertaking.signed') ORDER BY idx"
        )
    )
    recovered_by: dict[str, str | None] = {}
    marked: list[str] = []
    for kind, entry in entries:
        data = json.loads(bytes(entry))["data"]
        if kind == "agency.key-set":
            recovered_by[data["agency"]] = data.get("recovered_by")
        elif data.get("signature") and recovered_by.get(data["statement"]["agency"]):
            marked.append(data["undertaking"])
    agencies = sa.table("agencies", sa.column("id"), sa.column("key_recovered_by"))
    for agency_id, authority in recovered_by.items():
        if authority:
            connection.execute(
                agencies.update()
                .where(agencies.c.id == agency_id)
                .values(key_recovered_by=authority)
            )
    undertakings = sa.table("undertakings", sa.column("id"), sa.column("key_recovered"))
    for undertaking_id in marked:
        connection.execute(
            undertakings.update()
            .where(undertakings.c.id == undertaking_id)
            .values(key_recovered=True)
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): rebuilding ``agencies`` as a batch
    # operation would trip the foreign keys that reference it.
    op.execute("ALTER TABLE undertakings DROP COLUMN key_recovered")
    op.execute("ALTER TABLE agencies DROP COLUMN key_recovered_by")

"""64-bit ids, log indexes and counts on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

PostgreSQL's ``integer`` is 32 bits: a log of more than 2^31 entries, or a request id beyond
it, could not be stored, and a larger id asked for in a query (``GET /releases/87178291200``)
failed inside the database instead of finding nothing. Every ``integer`` column becomes
``bigint``, with the sequences behind its serial columns. SQLite's ``INTEGER`` is already 64
bits, so nothing changes there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns(data_type: str) -> list[tuple[str, str]]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = :type "
            "AND table_name <> 'alembic_version' ORDER BY table_name, column_name"
        ),
        {"type": data_type},
    )
    return [(table, column) for table, column in rows]


def _retype(data_type: str, to: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _columns(data_type):
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {to}')
        sequence = op.get_bind().scalar(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table, "column": column},
        )
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} AS {to}")


def upgrade() -> None:
    _retype("integer", "bigint")


def downgrade() -> None:
    _retype("bigint", "integer")

"""the log's stored subtrees hold their hashes in their primary key's tree

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

Verifying the whole log reads each entry with its level-0 subtree (the second stored copy of
its leaf hash), and every proof reads subtrees by ``(level, idx)``. On SQLite the primary key
was an index beside a rowid table: two B-tree searches per subtree, the second only for the
hash. The table is now ``WITHOUT ROWID``, clustered on ``(level, idx)``: one search, and no
second tree to write. On PostgreSQL an index on ``(level, idx)`` that includes the hash lets the
same reads be answered from the index alone (index-only scans). Same rows, same answers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COVERING = "ix_ledger_subtrees_covering"


def _rebuild(*, with_rowid: bool) -> None:
    """SQLite: the table again, with or without its rowid, holding the same rows."""
    op.create_table(
        "ledger_subtrees_new",
        sa.Column("level", _BIGINT, autoincrement=False, nullable=False),
        sa.Column("idx", _BIGINT, autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        "INSERT INTO ledger_subtrees_new (level, idx, hash) "
        "SELECT level, idx, hash FROM ledger_subtrees ORDER BY level, idx"
    )
    op.drop_table("ledger_subtrees")
    op.rename_table("ledger_subtrees_new", "ledger_subtrees")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=False)
    else:
        op.create_index(_COVERING, "ledger_subtrees", ["level", "idx"], postgresql_include=["hash"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=True)
    else:
        op.drop_index(_COVERING, table_name="ledger_subtrees")

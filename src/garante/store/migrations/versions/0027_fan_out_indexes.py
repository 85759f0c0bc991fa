"""indexes a fan-out writes fewer pages of; recalls found without reading every release

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

A fan-out puts the same objects (the same ids) in many partners' feeds at once. Each index led
by the partner gets at least one page rewritten per partner per item; the log's write-ahead
frames of one item fanned out to 100 partners were counted by index (SQLite), 955 in all:

- ``ix_feed_objects_object`` was ``(partner_id, object_id, version)``, its keys scattered by the
  random object ids as well: about 290 frames, the most of any. Led by the object,
  ``(object_id, partner_id, version)``, an item's keys for all its partners sit together:
  about 17. Every query that reads it names both the object and the partner; those that name
  only the partner read ``ix_feed_objects_page``. Same rows, same uniqueness.
- ``ix_feed_releases_partner_id``: about 120 frames, for reads that join ``release_requests``
  anyway, whose ``ix_release_requests_recipient`` finds a partner's releases. Dropped.

Recalls were found by reading every release (``recalled_at`` and ``recall_ack_by`` had no
index), and the server asks every second whether a recall is overdue: at 10^6 releases, a full
read of the table each second. Two partial indexes hold only recalled releases, rare, so no
fan-out writes them: ``ix_feed_releases_recalled`` (``recalled_at``) and
``ix_feed_releases_recall_due`` (``recall_ack_by``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OBJECT = "ix_feed_objects_object"
_PARTNER = "ix_feed_releases_partner_id"
_PARTIAL = (
    ("ix_feed_releases_recalled", "recalled_at"),
    ("ix_feed_releases_recall_due", "recall_ack_by"),
)


def upgrade() -> None:
    op.drop_index(_OBJECT, table_name="feed_objects")
    op.create_index(_OBJECT, "feed_objects", ["object_id", "partner_id", "version"], unique=True)
    op.drop_index(_PARTNER, table_name="feed_releases")
    for name, column in _PARTIAL:
        present = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name,
            "feed_releases",
            [column, "request_id"],
            sqlite_where=present,
            postgresql_where=present,
        )


def downgrade() -> None:
    for name, _column in _PARTIAL:
        op.drop_index(name, table_name="feed_releases")
    op.create_index(_PARTNER, "feed_releases", ["partner_id"])
    op.drop_index(_OBJECT, table_name="feed_objects")
    op.create_index(_OBJECT, "feed_objects", ["partner_id", "object_id", "version"], unique=True)

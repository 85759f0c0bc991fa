"""a feed object's unique key leads with the object, not the partner

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

``ix_feed_objects_object`` was ``(partner_id, object_id, version)``. A fan-out puts the same
objects (the same ids) in many partners' feeds at once; led by the partner, each partner's keys
sat on a page of their own, and object ids are random, so a fan-out of an item of two objects
to 100 partners rewrote some 290 pages of this one index (1.2 MB of write-ahead log), the most
of any. Led by the object, ``(object_id, partner_id, version)``, one item's keys for all its
partners sit together: about 17 pages. Every query that reads the index names both the partner
and the object (is this object in this partner's feed, which version is its latest); those that
name only the partner read ``ix_feed_objects_page``. Same rows, same uniqueness.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_feed_objects_object"


def _recreate(columns: list[str]) -> None:
    op.drop_index(_INDEX, table_name="feed_objects")
    op.create_index(_INDEX, "feed_objects", columns, unique=True)


def upgrade() -> None:
    _recreate(["object_id", "partner_id", "version"])


def downgrade() -> None:
    _recreate(["partner_id", "object_id", "version"])

"""authorities' passkeys (WebAuthn), and orders signed with them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

``authority_passkeys``: a WebAuthn credential an authority signs orders with (id, COSE public
key, relying party, latest signature counter). ``order_versions.assertion``: the assertion of a
version signed with a passkey (canonical JSON), None for one signed with the Ed25519 key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "authority_passkeys",
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("authority_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("rp_id", sa.String(length=253), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column(
            "sign_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"]),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    op.create_index(
        "ix_authority_passkeys_authority_id", "authority_passkeys", ["authority_id"], unique=False
    )
    op.add_column("order_versions", sa.Column("assertion", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_versions") as batch:
        batch.drop_column("assertion")
    op.drop_index("ix_authority_passkeys_authority_id", table_name="authority_passkeys")
    op.drop_table("authority_passkeys")

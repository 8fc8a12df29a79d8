"""channel invites: a personal link that adds a messenger to someone who joined in another

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

A person may be known in Telegram and in MAX (identities, 0010). Someone who joined in one
gets a personal one-time link for the other; opened there, it makes them known there as the
same person, with the same bindings. Like invites, only the token's SHA-256 is kept.

A new table and nothing else: portable as written, no data to carry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_channel_invites_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_channel_invites_token_hash")),
    )
    op.create_index("ix_channel_invites_person", "channel_invites", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_channel_invites_person", table_name="channel_invites")
    op.drop_table("channel_invites")

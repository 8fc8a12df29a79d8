"""conversations: aiogram's conversation state (FSM) in the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

A flow of several steps (/invite: role, organisation, single or multi use; entering numbers
for an organisation; a correction awaited) kept its state in one process's memory: a step
landing on another process behind the proxy, or after a restart, found none. One row per
conversation key (channel, bot, chat, user, thread, business connection, destiny — spelled
out in `key`): the state's name and its data as JSON text, and when it was last written, so
that state left for more than a week is expired.

A new table and nothing else: plain types, portable as written, no data to carry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_conversations")),
    )
    op.create_index("ix_conversations_updated_at", "conversations", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_updated_at", table_name="conversations")
    op.drop_table("conversations")

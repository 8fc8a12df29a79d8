"""update markers: where MAX's long polling stands, kept across restarts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

MAX has no update ids: `GET /updates?marker=M` confirms every update before M, and a bot that
asks without a marker gets only the latest update. The marker to send next is stored here
(one row per channel), and only once every update before it was handled; after a restart the
poll starts from it, so nothing unhandled is lost and the ledger of handled events
(processed_events) drops what comes again.

A new table and nothing else: portable as written, no data to carry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "update_markers",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("marker", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_update_markers")),
    )


def downgrade() -> None:
    op.drop_table("update_markers")

"""processed_events.claimed_by: an event in hand, claimed in the database across processes

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

Several processes behind one proxy share a PostgreSQL database, and a redelivered update may
land on another process than the first copy. The ledger of handled events (bot/services/
updates.py) therefore claims an event in the database before handling it there: a row whose
`claimed_by` names the process holding it (and `processed_at` says since when); once handled,
`claimed_by` is NULL again and `processed_at` says when. A claim whose process died is taken
over once it is older than a lease; a failed one is deleted, so the redelivery is handled.

Rows written before (and every row on SQLite, one process per file) have NULL: handled.
A nullable column and nothing else: portable as written, no data to carry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("processed_events", sa.Column("claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("claimed_by")

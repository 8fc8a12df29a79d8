"""tasks' agreed deadlines: tasks.agreed_due

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

A task whose order says «по согласованию» has no date, and every Monday the coordinators were
asked for one that nobody could set. Admins and coordinators now set it in the bot (or
`roadmap-bot deadline N DATE`); it is kept apart from the document's own date, so a re-import
of the same order keeps it and a new date in the document wins.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("agreed_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("agreed_due")

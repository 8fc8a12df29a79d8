"""the roadmap the department made current: roadmaps.current

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Until now "the roadmap" was the newest imported, so a test import (`--roadmap bulk0`) switched
every person to it. From here on the department says which one is served
(`roadmap-bot roadmaps use SLUG`); the newest one at this migration stays served.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roadmaps") as batch:
        batch.add_column(
            sa.Column("current", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # A boolean literal each backend spells its own way (1 on SQLite, true on PostgreSQL).
    roadmaps = sa.table("roadmaps", sa.column("id", sa.Integer), sa.column("current", sa.Boolean))
    newest = sa.select(sa.func.max(roadmaps.c.id)).scalar_subquery()
    op.execute(roadmaps.update().where(roadmaps.c.id == newest).values(current=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("roadmaps") as batch:
        batch.drop_column("current")

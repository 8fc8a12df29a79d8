"""organisations' short names: organisations.short_name

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09

Lists and buttons name an organisation by a short name («Сычёвский район», «СШ № 1 Вязьма»).
The registry may give one (`short_name`); when it gives none, the bot makes one from the full
name (bot.domain.short_names), so the column is nullable and an existing registry needs nothing
filled: its short names are made as it is read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("short_name", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("short_name")

"""weekly reports: an index to find one organisation's standing without scanning the region

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Taking a report reads the organisation's reports that count from its week on. The only
index that bounded `until_week` led with the indicator, so SQLite read every organisation's
current report of the indicator (40,000 rows at the region's scale) to find one.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_weekly_reports_organisation",
        "weekly_reports",
        ["organisation_id", "until_week"],
    )


def downgrade() -> None:
    op.drop_index("ix_weekly_reports_organisation", table_name="weekly_reports")

"""assignments (activity, status, due, school): the dashboard's per-activity totals read the
index alone instead of every row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 03:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_assignments_activity_cells',
        'assignments',
        ['activity_id', 'status', 'due_date', 'school_id'],
    )


def downgrade() -> None:
    op.drop_index('ix_assignments_activity_cells', table_name='assignments')

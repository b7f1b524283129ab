"""status_counts.stage_id: a road map's counts by its stages ("I этап …"), as its report sums them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 04:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECOUNT = """
    INSERT INTO status_counts (plan_id, direction_id, section, stage_id, school_id, total,
                               accepted, submitted, open, overdue)
    SELECT a.plan_id, COALESCE(a.direction_id, 0), COALESCE(a.section, ''),
           COALESCE(a.stage_id, 0), COALESCE(s.school_id, 0), COUNT(s.id),
           SUM(CASE WHEN s.status = 'accepted' THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.status = 'submitted' THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.status IN ('open', 'returned') THEN 1 ELSE 0 END), 0
    FROM assignments s JOIN activities a ON a.id = s.activity_id
    WHERE a.cancelled_at IS NULL AND s.status != 'cancelled'
    GROUP BY a.plan_id, COALESCE(a.direction_id, 0), COALESCE(a.section, ''),
             COALESCE(a.stage_id, 0), COALESCE(s.school_id, 0)
"""
_RECOUNT_WITHOUT_STAGE = """
    INSERT INTO status_counts (plan_id, direction_id, section, school_id, total, accepted,
                               submitted, open, overdue)
    SELECT a.plan_id, COALESCE(a.direction_id, 0), COALESCE(a.section, ''),
           COALESCE(s.school_id, 0), COUNT(s.id),
           SUM(CASE WHEN s.status = 'accepted' THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.status = 'submitted' THEN 1 ELSE 0 END),
           SUM(CASE WHEN s.status IN ('open', 'returned') THEN 1 ELSE 0 END), 0
    FROM assignments s JOIN activities a ON a.id = s.activity_id
    WHERE a.cancelled_at IS NULL AND s.status != 'cancelled'
    GROUP BY a.plan_id, COALESCE(a.direction_id, 0), COALESCE(a.section, ''),
             COALESCE(s.school_id, 0)
"""


def upgrade() -> None:
    with op.batch_alter_table('status_counts') as batch_op:
        batch_op.add_column(
            sa.Column('stage_id', sa.Integer(), nullable=False, server_default='0')
        )
    # Counted again with the stage in the key (overdue: by the first reader of the day).
    op.execute('DELETE FROM status_counts')
    op.execute(_RECOUNT)


def downgrade() -> None:
    op.execute('DELETE FROM status_counts')
    with op.batch_alter_table('status_counts') as batch_op:
        batch_op.drop_column('stage_id')
    op.execute(_RECOUNT_WITHOUT_STAGE)

"""status counts: /status reads a small table kept in step with the assignments

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'status_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('direction_id', sa.Integer(), nullable=False),
        sa.Column('section', sa.Text(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('accepted', sa.Integer(), nullable=False),
        sa.Column('submitted', sa.Integer(), nullable=False),
        sa.Column('open', sa.Integer(), nullable=False),
        sa.Column('overdue', sa.Integer(), nullable=False),
        sa.Column('fresh_on', sa.Date(), nullable=True),
        sa.Column('stale_after', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_status_counts_plan_id_plans'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_status_counts')),
    )
    op.create_index('ix_status_counts_plan_school', 'status_counts', ['plan_id', 'school_id'], unique=False)
    op.create_index(op.f('ix_status_counts_school_id'), 'status_counts', ['school_id'], unique=False)
    # Existing work is counted once here; from now on every commit keeps the table current.
    op.execute(
        """
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
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_status_counts_school_id'), table_name='status_counts')
    op.drop_index('ix_status_counts_plan_school', table_name='status_counts')
    op.drop_table('status_counts')

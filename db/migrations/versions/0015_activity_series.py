"""activities.series_key: the occurrences of one activity with several dates share it

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-05 21:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activities') as batch_op:
        batch_op.add_column(sa.Column('series_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('occurrence', sa.Text(), nullable=True))
        batch_op.create_index('ix_activities_plan_series', ['plan_id', 'series_key'])


def downgrade() -> None:
    with op.batch_alter_table('activities') as batch_op:
        batch_op.drop_index('ix_activities_plan_series')
        batch_op.drop_column('occurrence')
        batch_op.drop_column('series_key')

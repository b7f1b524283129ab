"""activity due time, its zone and the note beside a period

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_time', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('due_zone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('period_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('period_note')
        batch_op.drop_column('due_zone')
        batch_op.drop_column('due_time')

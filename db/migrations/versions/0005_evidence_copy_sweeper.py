"""evidence copy sweeper bookkeeping

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('copy_attempts', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('copy_next_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('copy_missing_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('copy_error', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_column('copy_error')
        batch_op.drop_column('copy_missing_at')
        batch_op.drop_column('copy_next_at')
        batch_op.drop_column('copy_attempts')

"""inbox of received updates: a burst is stored, confirmed to Telegram, then handled

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 00:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox_updates',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbox_updates')),
    )


def downgrade() -> None:
    op.drop_table('inbox_updates')

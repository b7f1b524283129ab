"""dashboard sessions: a page's initData exchanged once for a short session kept by its hash

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 18:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'dashboard_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_dashboard_sessions_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_dashboard_sessions_token_hash')),
    )
    op.create_index(
        op.f('ix_dashboard_sessions_user_id'), 'dashboard_sessions', ['user_id'], unique=False
    )
    op.create_index(
        op.f('ix_dashboard_sessions_used_at'), 'dashboard_sessions', ['used_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_dashboard_sessions_used_at'), table_name='dashboard_sessions')
    op.drop_index(op.f('ix_dashboard_sessions_user_id'), table_name='dashboard_sessions')
    op.drop_table('dashboard_sessions')

"""delivery_attempts (result, attempted_at): /health counts the last day's failures and
retries without reading every attempt ever made

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 21:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_delivery_attempts_result_attempted',
        'delivery_attempts',
        ['result', 'attempted_at'],
    )


def downgrade() -> None:
    op.drop_index('ix_delivery_attempts_result_attempted', table_name='delivery_attempts')

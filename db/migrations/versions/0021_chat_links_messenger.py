"""chat_links.messenger: a linked group is Telegram's or MAX's (their chat ids may coincide)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-06 01:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('chat_links') as batch_op:
        batch_op.add_column(
            sa.Column('messenger', sa.String(length=16), nullable=False, server_default='telegram')
        )
        batch_op.drop_constraint('uq_chat_links_chat_id_direction_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_chat_links_messenger_chat_id_direction_id',
            ['messenger', 'chat_id', 'direction_id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('chat_links') as batch_op:
        batch_op.drop_constraint('uq_chat_links_messenger_chat_id_direction_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_chat_links_chat_id_direction_id', ['chat_id', 'direction_id']
        )
        batch_op.drop_column('messenger')

"""accounts: a person is one person whichever messenger they use (Telegram, MAX)

A person's messenger accounts move from users.telegram_id to their own table; users.messenger
says where reminders go; outbox rows name the messenger they are sent through; one-time codes
link a second messenger's account to the same person.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 21:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('messenger', sa.String(length=16), nullable=False),
        sa.Column('external_id', sa.BigInteger(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_accounts_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
        sa.UniqueConstraint(
            'messenger', 'external_id', name=op.f('uq_accounts_messenger_external_id')
        ),
        sa.UniqueConstraint('user_id', 'messenger', name=op.f('uq_accounts_user_id_messenger')),
    )
    op.create_index(op.f('ix_accounts_user_id'), 'accounts', ['user_id'], unique=False)
    op.create_table(
        'account_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_account_links_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_links')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_account_links_code_hash')),
    )
    op.create_index(op.f('ix_account_links_user_id'), 'account_links', ['user_id'], unique=False)
    op.create_table(
        'max_ids',
        sa.Column(
            'id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False
        ),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('ref', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_max_ids')),
        sa.UniqueConstraint('chat_id', 'ref', name=op.f('uq_max_ids_chat_id_ref')),
    )
    op.create_table(
        'max_markers',
        sa.Column('after', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('marker', sa.BigInteger(), nullable=False),
        sa.Column('kept_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('after', name=op.f('pk_max_markers')),
    )
    op.create_index(op.f('ix_max_markers_kept_at'), 'max_markers', ['kept_at'], unique=False)
    # Every Telegram account known so far (forgotten people carry a negative placeholder: they
    # have no account any more).
    op.execute(
        "INSERT INTO accounts (user_id, messenger, external_id, chat_id, created_at) "
        "SELECT id, 'telegram', telegram_id, telegram_id, created_at FROM users "
        "WHERE telegram_id > 0"
    )
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('messenger', sa.String(length=16), nullable=False, server_default='telegram')
        )
        batch.drop_constraint('uq_users_telegram_id', type_='unique')
        batch.drop_column('telegram_id')
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(
            sa.Column('messenger', sa.String(length=16), nullable=False, server_default='telegram')
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('messenger')
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('telegram_id', sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE users SET telegram_id = (SELECT external_id FROM accounts WHERE "
        "accounts.user_id = users.id AND accounts.messenger = 'telegram')"
    )
    op.execute("UPDATE users SET telegram_id = -id WHERE telegram_id IS NULL")
    with op.batch_alter_table('users') as batch:
        batch.alter_column('telegram_id', existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint('uq_users_telegram_id', ['telegram_id'])
        batch.drop_column('messenger')
    op.drop_index(op.f('ix_max_markers_kept_at'), table_name='max_markers')
    op.drop_table('max_markers')
    op.drop_table('max_ids')
    op.drop_index(op.f('ix_account_links_user_id'), table_name='account_links')
    op.drop_table('account_links')
    op.drop_index(op.f('ix_accounts_user_id'), table_name='accounts')
    op.drop_table('accounts')

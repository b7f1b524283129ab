"""forgotten accounts: a keyed pseudonym of every account a forgotten person had, not only
the oldest, so no link lets them in again from either messenger (issue 30)

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-06 00:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'forgotten_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_forgotten_accounts_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_forgotten_accounts')),
    )
    op.create_index(
        op.f('ix_forgotten_accounts_user_id'), 'forgotten_accounts', ['user_id'], unique=False
    )
    op.create_index(op.f('ix_forgotten_accounts_key'), 'forgotten_accounts', ['key'], unique=False)
    # The pseudonyms kept so far (one per forgotten person, of their oldest account) move over.
    op.execute(
        'INSERT INTO forgotten_accounts (user_id, key) '
        'SELECT DISTINCT user_id, forgotten_key FROM invitation_redemptions '
        'WHERE forgotten_key IS NOT NULL'
    )
    with op.batch_alter_table('invitation_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_redemptions_forgotten_key'))
        batch_op.drop_column('forgotten_key')


def downgrade() -> None:
    with op.batch_alter_table('invitation_redemptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forgotten_key', sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_invitation_redemptions_forgotten_key'), ['forgotten_key'], unique=False
        )
    # Back to one pseudonym a person (any of their accounts').
    op.execute(
        'UPDATE invitation_redemptions SET forgotten_key = (SELECT MIN(f.key) FROM '
        'forgotten_accounts f WHERE f.user_id = invitation_redemptions.user_id)'
    )
    op.drop_index(op.f('ix_forgotten_accounts_key'), table_name='forgotten_accounts')
    op.drop_index(op.f('ix_forgotten_accounts_user_id'), table_name='forgotten_accounts')
    op.drop_table('forgotten_accounts')

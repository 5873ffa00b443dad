"""usage rows carry cached prompt tokens and reasoning tokens, which the cost prices apart

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 20:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before this revision did not count them: 0, as their cost was computed.
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cached_tokens', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reasoning_tokens', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('reasoning_tokens')
        batch_op.drop_column('cached_tokens')

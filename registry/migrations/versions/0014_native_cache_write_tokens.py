"""usage rows carry the prompt tokens written to the provider's prompt cache (Anthropic's cache creation)

Revision ID: 0014_native
Revises: 0013
Create Date: 2026-12-07 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_native'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before this revision did not count them: 0, as their cost was computed.
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_write_tokens', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('cache_write_tokens')

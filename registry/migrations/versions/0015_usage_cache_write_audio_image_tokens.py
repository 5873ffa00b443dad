"""usage rows carry cache-write, audio and image token counts, which the cost prices apart

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = ('cache_write_tokens', 'audio_input_tokens', 'image_input_tokens', 'audio_output_tokens',
           'image_output_tokens')


def upgrade() -> None:
    # Rows from before this revision did not count them: 0, as their cost was computed.
    with op.batch_alter_table('usage', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)

"""stored responses: `/v1/responses` with `store: true`, masked, per team, until the policy's retention ends

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stored_responses',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('retention_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('input_items', sa.JSON(), nullable=False),
        sa.Column('response', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('stored_responses', schema=None) as batch_op:
        batch_op.create_index('ix_stored_responses_retention_until', ['retention_until'], unique=False)
        batch_op.create_index('ix_stored_responses_team_created', ['team', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stored_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_responses_team_created')
        batch_op.drop_index('ix_stored_responses_retention_until')
    op.drop_table('stored_responses')

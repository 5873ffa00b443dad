"""usage policy: the use-case registry, the human-review queue, and the policy decision on usage rows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    when = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        'use_cases',
        sa.Column('name', text(length=128), nullable=False),
        sa.Column('description', text(), nullable=False),
        sa.Column('owner', text(length=200), nullable=False),
        sa.Column('status', text(length=16), nullable=False),
        sa.Column('conditions', sa.JSON(), nullable=False),
        sa.Column('keys', sa.JSON(), nullable=False),
        sa.Column('prompts', sa.JSON(), nullable=False),
        sa.Column('registry_models', sa.JSON(), nullable=False),
        sa.Column('created_at', when(), nullable=False),
        sa.Column('updated_at', when(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'review_items',
        sa.Column('id', text(length=64), nullable=False),
        sa.Column('request_id', text(length=128), nullable=False),
        sa.Column('created_at', when(), nullable=False),
        sa.Column('team', text(length=128), nullable=True),
        sa.Column('key_id', text(length=32), nullable=True),
        sa.Column('use_case', text(length=128), nullable=False),
        sa.Column('model', text(length=256), nullable=True),
        sa.Column('deployment', text(length=256), nullable=True),
        sa.Column('exchange', sa.JSON(), nullable=False),
        sa.Column('status', text(length=16), nullable=False),
        sa.Column('reviewer', text(length=200), nullable=True),
        sa.Column('decided_at', when(), nullable=True),
        sa.Column('delay_s', sa.Float(), nullable=True),
        sa.Column('note', text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_request_id', ['request_id'], unique=False)
        batch_op.create_index('ix_review_items_status_created', ['status', 'created_at'], unique=False)
    # The usage policy's decision (data class, use case, action); null on rows from before it existed.
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('policy')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_status_created')
        batch_op.drop_index('ix_review_items_request_id')
    op.drop_table('review_items')
    op.drop_table('use_cases')

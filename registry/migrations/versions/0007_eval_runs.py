"""eval runs: one row per `warden eval` suite run

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'eval_runs',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('suite', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('suite_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('prompt', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('prompt_ref', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('prompt_commit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('failures', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('eval_runs', schema=None) as batch_op:
        batch_op.create_index('ix_eval_runs_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_eval_runs_suite', ['suite'], unique=False)
        batch_op.create_index('ix_eval_runs_prompt_created', ['prompt', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('eval_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_eval_runs_prompt_created')
        batch_op.drop_index('ix_eval_runs_suite')
        batch_op.drop_index('ix_eval_runs_created_at')
    op.drop_table('eval_runs')

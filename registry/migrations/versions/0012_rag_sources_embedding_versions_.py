"""RAG governance: sources, embedding versions, re-index tasks; usage rows count removed and cited chunks

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rag_sources',
        sa.Column('id', sa.String(length=128), nullable=False),
        sa.Column('owner', sa.String(length=256), nullable=False),
        sa.Column('description', sa.String(length=2000), nullable=False),
        sa.Column('reliability', sa.String(length=16), nullable=False),
        sa.Column('rights', sa.String(length=500), nullable=False),
        sa.Column('licence', sa.String(length=128), nullable=True),
        sa.Column('access_classes', sa.JSON(), nullable=False),
        sa.Column('freshness_sla_s', sa.Integer(), nullable=True),
        sa.Column('refreshed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('embedding_model', sa.String(length=256), nullable=True),
        sa.Column('embedding_version', sa.String(length=128), nullable=True),
        sa.Column('stale_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'rag_embedding_versions',
        sa.Column('model', sa.String(length=256), nullable=False),
        sa.Column('version', sa.String(length=128), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('retired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('model', 'version'),
    )
    op.create_table(
        'rag_reindex_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.String(length=128), nullable=False),
        sa.Column('from_model', sa.String(length=256), nullable=True),
        sa.Column('from_version', sa.String(length=128), nullable=True),
        sa.Column('to_model', sa.String(length=256), nullable=True),
        sa.Column('to_version', sa.String(length=128), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_by', sa.String(length=256), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['source_id'], ['rag_sources.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_rag_reindex_source_status', 'rag_reindex_tasks', ['source_id', 'status'], unique=False)
    # Rows from before this revision removed no chunks and recorded no citations.
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chunks_removed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('chunks_cited', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('chunks_cited')
        batch_op.drop_column('chunks_removed')
    op.drop_index('ix_rag_reindex_source_status', table_name='rag_reindex_tasks')
    op.drop_table('rag_reindex_tasks')
    op.drop_table('rag_embedding_versions')
    op.drop_table('rag_sources')

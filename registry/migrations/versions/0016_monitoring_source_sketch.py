"""PostgreSQL prediction sources keep their merged sketch per window and the watermark read up to

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'monitoring_source_sketch',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('window_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('window_end', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('watermark', sa.String(length=100), nullable=True),
        sa.Column('rows', sa.BigInteger(), nullable=False),
        sa.Column('sketch', sa.JSON(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('monitoring_source_sketch')

"""versions carry their interpretability record (phase 3)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: versions registered before this revision have no recorded analysis.
    with op.batch_alter_table('gov_model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interpretability', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gov_model_versions', schema=None) as batch_op:
        batch_op.drop_column('interpretability')

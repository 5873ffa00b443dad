"""keys name the person who holds them, audit entries record that person, versions carry their own card

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # All nullable: keys and entries from before this revision name no person, and their hashes stay as they were.
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person', sa.String(length=200), nullable=True))
    with op.batch_alter_table('gov_audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person', sa.String(length=200), nullable=True))
    with op.batch_alter_table('gov_model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_card', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gov_model_versions', schema=None) as batch_op:
        batch_op.drop_column('model_card')
    with op.batch_alter_table('gov_audit_entries', schema=None) as batch_op:
        batch_op.drop_column('person')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('person')

"""usage rows keyed by a server-generated id; the client's request id is a plain indexed column

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:20:00.000000
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = sqlmodel.sql.sqltypes.AutoString(length=64)


@contextmanager
def _moving_primary_key() -> Iterator[None]:
    # On SQLite the copied table still marks the old key column; SQLAlchemy warns, then keeps the new key.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*primary_key=True, not matching.*", category=sa.exc.SAWarning)
        yield


def upgrade() -> None:
    # Rows written before this revision had unique request ids: they keep them as their row id, so
    # spool files from before the upgrade still de-duplicate on replay.
    op.add_column('usage', sa.Column('id', _ID, nullable=True))
    op.execute(sa.text('UPDATE usage SET id = request_id'))
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('usage_pkey', 'usage', type_='primary')
    with _moving_primary_key(), op.batch_alter_table('usage', schema=None, recreate='auto') as batch_op:
        batch_op.alter_column('id', existing_type=_ID, nullable=False)
        batch_op.alter_column('request_id', existing_type=_ID, type_=sqlmodel.sql.sqltypes.AutoString(length=128),
                              existing_nullable=False)
        batch_op.create_primary_key('usage_pkey', ['id'])
        batch_op.create_index('ix_usage_request_id', ['request_id'], unique=False)


def downgrade() -> None:
    # Request ids may repeat now: keep the first row of each so the old primary key can return.
    op.execute(sa.text('DELETE FROM usage WHERE id NOT IN (SELECT MIN(id) FROM usage GROUP BY request_id)'))
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('usage_pkey', 'usage', type_='primary')
    with _moving_primary_key(), op.batch_alter_table('usage', schema=None, recreate='auto') as batch_op:
        batch_op.drop_index('ix_usage_request_id')
        batch_op.alter_column('request_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=128), type_=_ID,
                              existing_nullable=False)
        batch_op.create_primary_key('usage_pkey', ['request_id'])
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('id')

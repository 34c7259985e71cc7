"""Talent faces: the face found in a talent photo at import (x, y, width, height in its pixels),
with the detector that found it, so layouts keep it clear.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('talent_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('face', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('face_model', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('talent_image', schema=None) as batch_op:
        batch_op.drop_column('face_model')
        batch_op.drop_column('face')

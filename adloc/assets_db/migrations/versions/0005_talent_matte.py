"""Talent mattes: a photo imported without alpha gets a matte, stored beside it by its hash, with
the model that made it.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('talent_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('matte_uri', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('matte_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('matte_model', sa.String(length=200), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('talent_image', schema=None) as batch_op:
        batch_op.drop_column('matte_model')
        batch_op.drop_column('matte_sha256')
        batch_op.drop_column('matte_uri')

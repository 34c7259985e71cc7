"""Model versions: per-locale copy-model versions with eval results, calibrated gate threshold and
champion status. Reviews keep, per slot, the source line and the model's line (a rejection's model
lines are labelled negatives for the eval).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines_json', sa.Text(), nullable=False, server_default='{}'))
    op.create_table('model_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('version', sa.String(length=300), nullable=False),
    sa.Column('model', sa.Text(), nullable=False),
    sa.Column('adapter', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('target_precision', sa.Float(), nullable=True),
    sa.Column('eval_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('candidate', 'champion', 'retired')", name=op.f('ck_model_version_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version')),
    sa.UniqueConstraint('locale', 'version', name=op.f('uq_model_version_locale'))
    )
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_version_locale'), ['locale'], unique=False)
        batch_op.create_index('uq_model_version_champion', ['locale'], unique=True,
                              sqlite_where=sa.text("status = 'champion'"),
                              postgresql_where=sa.text("status = 'champion'"))


def downgrade() -> None:
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index('uq_model_version_champion')
        batch_op.drop_index(batch_op.f('ix_model_version_locale'))
    op.drop_table('model_version')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_column('lines_json')

"""Learned gates: per base copy model, each trained gate's file, held-out eval and champion status.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gate_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('base_model', sa.String(length=300), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('eval_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('candidate', 'champion', 'retired')", name=op.f('ck_gate_version_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_version')),
    sa.UniqueConstraint('base_model', 'version', name=op.f('uq_gate_version_base_model'))
    )
    with op.batch_alter_table('gate_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gate_version_base_model'), ['base_model'], unique=False)
        batch_op.create_index('uq_gate_version_champion', ['base_model'], unique=True,
                              sqlite_where=sa.text("status = 'champion'"),
                              postgresql_where=sa.text("status = 'champion'"))


def downgrade() -> None:
    with op.batch_alter_table('gate_version', schema=None) as batch_op:
        batch_op.drop_index('uq_gate_version_champion')
        batch_op.drop_index(batch_op.f('ix_gate_version_base_model'))
    op.drop_table('gate_version')

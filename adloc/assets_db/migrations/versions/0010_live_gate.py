"""Live evaluation: a shadow candidate per locale (`adloc models shadow`) and what it did on each
item (job_item.shadow), the gate tightenings the live precision set off, and when each model
version's threshold was last calibrated (model_version.calibrated_at: live evidence counts from then).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shadow', sa.Text(), nullable=False, server_default=''))
    op.create_table(
        'shadow',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('locale', sa.String(length=35), nullable=False),
        sa.Column('candidate', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('share', sa.Float(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('stopped_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shadow')),
    )
    with op.batch_alter_table('shadow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shadow_locale'), ['locale'], unique=False)
        batch_op.create_index('uq_shadow_running', ['locale'], unique=True,
                              sqlite_where=sa.text('stopped_at IS NULL'),
                              postgresql_where=sa.text('stopped_at IS NULL'))
    op.create_table(
        'gate_tightening',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('locale', sa.String(length=35), nullable=False),
        sa.Column('copy_model', sa.String(length=300), nullable=False),
        sa.Column('gate', sa.String(length=64), nullable=False),
        sa.Column('target_precision', sa.Float(), nullable=False),
        sa.Column('audited', sa.Integer(), nullable=False),
        sa.Column('confirmed', sa.Integer(), nullable=False),
        sa.Column('high', sa.Float(), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.Column('cleared_at', sa.DateTime(), nullable=True),
        sa.Column('cleared_by', sa.Text(), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_tightening')),
    )
    with op.batch_alter_table('gate_tightening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gate_tightening_locale'), ['locale'], unique=False)
        batch_op.create_index('uq_gate_tightening_in_force', ['locale', 'copy_model', 'gate'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'),
                              postgresql_where=sa.text('cleared_at IS NULL'))
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calibrated_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_column('calibrated_at')
    op.drop_table('gate_tightening')
    op.drop_table('shadow')
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.drop_column('shadow')

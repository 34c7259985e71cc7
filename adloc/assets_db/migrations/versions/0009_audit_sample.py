"""Audit sampling: an item the gate approved may also be in the audit sample, shown to reviewers
to confirm or correct while it ships; and what the gate did with each item's copy (copy model
version, gate, lines the model made, lines the gate passed), for the live report. Items recorded
before this revision were never sampled and count no lines.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('copy_model', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('gate', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('model_lines', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('gate_passed', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        for column in ('gate_passed', 'model_lines', 'gate', 'copy_model', 'audit'):
            batch_op.drop_column(column)

"""Where a decision was taken: the command line, the web app or a translator's XLIFF file, kept beside
who and when (`adloc review history`). Decisions recorded before this revision say `cli`, the only
face that could take them without a name check.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('face', sa.String(length=16), nullable=False, server_default='cli'))
        batch_op.create_check_constraint(op.f('ck_review_face'), "face IN ('cli', 'web', 'xliff')")


def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_face'), type_='check')
        batch_op.drop_column('face')

"""One review decision per item: each decision has a revision (1 for the decision, 2, 3, ... for
explicit changes of mind, each linked to the decision it replaces) and (item, revision) is unique, so
a second decision is refused by the database on both engines. Items an older adloc decided more than
once keep every row: they are numbered in the order they were taken, each superseding the one before.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('supersedes_id', sa.Integer(), nullable=True))
    # Earlier duplicates become a chain of revisions, oldest first (nothing is dropped).
    op.execute("UPDATE review SET revision = (SELECT COUNT(*) FROM review AS earlier "
               "WHERE earlier.job_item_id = review.job_item_id AND earlier.id <= review.id)")
    op.execute("UPDATE review SET supersedes_id = (SELECT MAX(earlier.id) FROM review AS earlier "
               "WHERE earlier.job_item_id = review.job_item_id AND earlier.id < review.id)")
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_review_supersedes_id_review'), 'review', ['supersedes_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_review_job_item_id'), ['job_item_id', 'revision'])


def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_review_job_item_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_review_supersedes_id_review'), type_='foreignkey')
        batch_op.drop_column('supersedes_id')
        batch_op.drop_column('revision')

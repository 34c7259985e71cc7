"""Rejected items: a reviewer's rejection moves an item out of review to its own status (its record
in the output's rejected/ folder), so the job item's status admits `rejected`.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BEFORE = "status IN ('pending', 'approved', 'review', 'dead_letter')"
AFTER = "status IN ('pending', 'approved', 'review', 'dead_letter', 'rejected')"


def upgrade() -> None:
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_job_item_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_job_item_status'), AFTER)


def downgrade() -> None:
    # A rejected item goes back to review: the decision that rejected it is still recorded.
    op.execute("UPDATE job_item SET status = 'review' WHERE status = 'rejected'")
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_job_item_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_job_item_status'), BEFORE)

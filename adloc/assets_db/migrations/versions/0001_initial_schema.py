"""Initial schema: talent, images, rights, templates and slots, translation memory, glossary,
jobs, job items, outputs (lineage), reviews.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('glossary',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rendering', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('keep', 'required', 'banned')", name=op.f('ck_glossary_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary')),
    sa.UniqueConstraint('locale', 'term', 'kind', name=op.f('uq_glossary_locale'))
    )
    op.create_table('job',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_token', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('brand', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('out_uri', sa.Text(), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('review', sa.Integer(), nullable=False),
    sa.Column('dead_letter', sa.Integer(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('run_token', name=op.f('uq_job_run_token'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_name'), ['name'], unique=False)

    op.create_table('talent',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revoked_reason', sa.Text(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f('ck_talent_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talent'))
    )
    op.create_table('template',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('image_uri', sa.Text(), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template'))
    )
    op.create_table('translation_memory',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_key', sa.String(length=512), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_memory')),
    sa.UniqueConstraint('locale', 'source_key', name=op.f('uq_translation_memory_locale'))
    )
    with op.batch_alter_table('translation_memory', schema=None) as batch_op:
        batch_op.create_index('ix_tm_locale', ['locale'], unique=False)

    op.create_table('job_item',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('creative', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('talent_id', sa.String(length=64), nullable=True),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('record_uri', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'review', 'dead_letter')", name=op.f('ck_job_item_status')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_item_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_item')),
    sa.UniqueConstraint('job_id', 'creative', 'template', 'locale', name=op.f('uq_job_item_job_id'))
    )
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_item_job_id'), ['job_id'], unique=False)

    op.create_table('talent_image',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('talent_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('uri', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('has_alpha', sa.Boolean(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['talent_id'], ['talent.id'], name=op.f('fk_talent_image_talent_id_talent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talent_image')),
    sa.UniqueConstraint('talent_id', 'position', name=op.f('uq_talent_image_talent_id'))
    )
    with op.batch_alter_table('talent_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_image_talent_id'), ['talent_id'], unique=False)

    op.create_table('talent_right',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('talent_id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=2), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('credit', sa.String(length=200), nullable=False),
    sa.CheckConstraint("channel IN ('social', 'display', 'print', 'ooh')", name=op.f('ck_talent_right_channel')),
    sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f('ck_talent_right_status')),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_talent_right_window')),
    sa.ForeignKeyConstraint(['talent_id'], ['talent.id'], name=op.f('fk_talent_right_talent_id_talent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talent_right')),
    sa.UniqueConstraint('talent_id', 'region', 'channel', 'starts_on', name=op.f('uq_talent_right_talent_id'))
    )
    with op.batch_alter_table('talent_right', schema=None) as batch_op:
        batch_op.create_index('ix_right_lookup', ['region', 'channel', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_right_talent_id'), ['talent_id'], unique=False)

    op.create_table('talent_tag',
    sa.Column('talent_id', sa.String(length=64), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['talent_id'], ['talent.id'], name=op.f('fk_talent_tag_talent_id_talent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('talent_id', 'tag', name=op.f('pk_talent_tag'))
    )
    op.create_table('template_slot',
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('x', sa.Integer(), nullable=False),
    sa.Column('y', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('max_chars', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('talent', 'text')", name=op.f('ck_template_slot_kind')),
    sa.ForeignKeyConstraint(['template_id'], ['template.id'], name=op.f('fk_template_slot_template_id_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('template_id', 'name', name=op.f('pk_template_slot'))
    )
    op.create_table('output',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_item_id', sa.Integer(), nullable=False),
    sa.Column('out_uri', sa.Text(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('creative', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=35), nullable=False),
    sa.Column('uri', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('talent_id', sa.String(length=64), nullable=True),
    sa.Column('talent_image_sha256', sa.String(length=64), nullable=False),
    sa.Column('copy_model', sa.Text(), nullable=False),
    sa.Column('inpainter', sa.Text(), nullable=False),
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_item_id'], ['job_item.id'], name=op.f('fk_output_job_item_id_job_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_output')),
    sa.UniqueConstraint('uri', name=op.f('uq_output_uri'))
    )
    with op.batch_alter_table('output', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_output_job_item_id'), ['job_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_output_talent_id'), ['talent_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_item_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('copy_json', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("decision IN ('approved', 'rejected', 'edited')", name=op.f('ck_review_decision')),
    sa.ForeignKeyConstraint(['job_item_id'], ['job_item.id'], name=op.f('fk_review_job_item_id_job_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_job_item_id'), ['job_item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_job_item_id'))

    op.drop_table('review')
    with op.batch_alter_table('output', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_output_talent_id'))
        batch_op.drop_index(batch_op.f('ix_output_job_item_id'))

    op.drop_table('output')
    op.drop_table('template_slot')
    op.drop_table('talent_tag')
    with op.batch_alter_table('talent_right', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_right_talent_id'))
        batch_op.drop_index('ix_right_lookup')

    op.drop_table('talent_right')
    with op.batch_alter_table('talent_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_image_talent_id'))

    op.drop_table('talent_image')
    with op.batch_alter_table('job_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_item_job_id'))

    op.drop_table('job_item')
    with op.batch_alter_table('translation_memory', schema=None) as batch_op:
        batch_op.drop_index('ix_tm_locale')

    op.drop_table('translation_memory')
    op.drop_table('template')
    op.drop_table('talent')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_name'))

    op.drop_table('job')
    op.drop_table('glossary')

"""blobs: codec and delta base (zstd, zstd deltas against the previous bytes of a URL)

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-01 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('codec', sa.String(length=16), server_default='zlib', nullable=False))
        batch_op.add_column(sa.Column('base_sha256', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_blobs_base_sha256'), ['base_sha256'], unique=False)


def downgrade() -> None:
    # deltas cannot be read without their codec: expand them before downgrading (not automatic)
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blobs_base_sha256'))
        batch_op.drop_column('base_sha256')
        batch_op.drop_column('codec')

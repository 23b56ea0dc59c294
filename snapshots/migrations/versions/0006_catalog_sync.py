"""catalog_sync: fingerprints of the profiles last synced into documents and citations;
an index of changes by kind and time (rebaselines newest first, for `changes --all`)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'catalog_sync',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('files_sha256', sa.String(length=64), nullable=True),
        sa.Column('catalog_sha256', sa.String(length=64), nullable=False),
        sa.Column('synced_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_changes_kind_detected_at', 'changes', ['kind', 'detected_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_changes_kind_detected_at', table_name='changes')
    op.drop_table('catalog_sync')

"""documents.region_keys: the region keys of pages known to give the current text, so that a
re-check after markup churn needs neither extraction nor the previous snapshot's body

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('region_keys', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('region_keys')

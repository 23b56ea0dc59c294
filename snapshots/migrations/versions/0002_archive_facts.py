"""facts get columns: a fetch's redirect, a lease's host, pid and run

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fetches') as batch:
        batch.add_column(sa.Column('redirect_status', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('redirect_to', sa.String(length=2000), nullable=True))
    with op.batch_alter_table('leases') as batch:
        batch.add_column(sa.Column('host', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('run_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('leases') as batch:
        batch.drop_column('run_id')
        batch.drop_column('pid')
        batch.drop_column('host')
    with op.batch_alter_table('fetches') as batch:
        batch.drop_column('redirect_to')
        batch.drop_column('redirect_status')

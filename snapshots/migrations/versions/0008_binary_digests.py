"""blob keys as 32 bytes instead of 64 hex characters; final URLs only when redirected; no
blobs.created_at (never read: a blob is as old as the first snapshot or version naming it)

A churn-only re-check stores a fetch, a snapshot row and a small delta: their keys (the
snapshot's, the blob's, the delta's base, and the three indexes over them), the final URL repeating
the URL, and the blob's timestamp were most of what it added.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# (table, column, nullable) of every key naming a blob
DIGESTS = [('blobs', 'sha256', False), ('blobs', 'base_sha256', True), ('snapshots', 'sha256', False),
           ('snapshots', 'headers_sha256', True), ('versions', 'text_sha256', False)]


def _unhex(value):
    return bytes.fromhex(value) if isinstance(value, str) else value


def _hex(value):
    return bytes(value).hex() if isinstance(value, (bytes, memoryview)) else value


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for table, column, _ in DIGESTS:
            op.alter_column(table, column, type_=sa.LargeBinary(length=32),
                            postgresql_using=f"decode({column}, 'hex')")
        op.alter_column('snapshots', 'final_url', nullable=True)
        op.drop_column('blobs', 'created_at')
    else:  # SQLite: convert the values in place, then declare the types (batch: the table is rebuilt)
        bind.connection.dbapi_connection.create_function('clausewatch_unhex', 1, _unhex, deterministic=True)
        for table in ('blobs', 'snapshots', 'versions'):
            columns = [c for t, c, _ in DIGESTS if t == table]
            op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = clausewatch_unhex({c})" for c in columns))
            with op.batch_alter_table(table) as batch:
                for t, column, nullable in DIGESTS:
                    if t == table:
                        batch.alter_column(column, type_=sa.LargeBinary(length=32), existing_type=sa.String(64),
                                           existing_nullable=nullable)
                if table == 'snapshots':
                    batch.alter_column('final_url', existing_type=sa.String(2000), nullable=True)
                if table == 'blobs':
                    batch.drop_column('created_at')
    op.execute("UPDATE snapshots SET final_url = NULL WHERE final_url = url")
    op.execute("UPDATE fetches SET final_url = NULL WHERE final_url = url")


def downgrade() -> None:
    op.execute("UPDATE snapshots SET final_url = url WHERE final_url IS NULL")
    op.execute("UPDATE fetches SET final_url = url WHERE final_url IS NULL AND status IS NOT NULL")
    bind = op.get_bind()
    created_at = sa.Column('created_at', sa.DateTime(), nullable=False, server_default=sa.text('CURRENT_TIMESTAMP'))
    if bind.dialect.name == 'postgresql':
        op.add_column('blobs', created_at)
        for table, column, _ in DIGESTS:
            op.alter_column(table, column, type_=sa.String(64), postgresql_using=f"encode({column}, 'hex')")
        op.alter_column('snapshots', 'final_url', nullable=False)
        return
    bind.connection.dbapi_connection.create_function('clausewatch_hex', 1, _hex, deterministic=True)
    for table in ('blobs', 'snapshots', 'versions'):
        columns = [c for t, c, _ in DIGESTS if t == table]
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = clausewatch_hex({c})" for c in columns))
        with op.batch_alter_table(table) as batch:
            for t, column, nullable in DIGESTS:
                if t == table:
                    batch.alter_column(column, type_=sa.String(64), existing_type=sa.LargeBinary(32),
                                       existing_nullable=nullable)
            if table == 'snapshots':
                batch.alter_column('final_url', existing_type=sa.String(2000), nullable=False)
            if table == 'blobs':
                batch.add_column(created_at)

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
    if op.get_bind().dialect.name == 'postgresql':
        for table, column, _ in DIGESTS:
            op.alter_column(table, column, type_=sa.LargeBinary(length=32),
                            postgresql_using=f"decode({column}, 'hex')")
        op.alter_column('snapshots', 'final_url', nullable=True)
        op.drop_column('blobs', 'created_at')
    else:
        _sqlite(_unhex, sa.LargeBinary(length=32), sa.String(64), final_url_nullable=True,
                blobs=lambda batch: batch.drop_column('created_at'))
    op.execute("UPDATE snapshots SET final_url = NULL WHERE final_url = url")
    op.execute("UPDATE fetches SET final_url = NULL WHERE final_url = url")


def downgrade() -> None:
    op.execute("UPDATE snapshots SET final_url = url WHERE final_url IS NULL")
    op.execute("UPDATE fetches SET final_url = url WHERE final_url IS NULL AND status IS NOT NULL")
    created_at = sa.Column('created_at', sa.DateTime(), nullable=False, server_default=sa.text('CURRENT_TIMESTAMP'))
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('blobs', created_at)
        for table, column, _ in DIGESTS:
            op.alter_column(table, column, type_=sa.String(64), postgresql_using=f"encode({column}, 'hex')")
        op.alter_column('snapshots', 'final_url', nullable=False)
    else:
        _sqlite(_hex, sa.String(64), sa.LargeBinary(length=32), final_url_nullable=False,
                blobs=lambda batch: batch.add_column(created_at))


def _sqlite(convert, type_, existing_type, final_url_nullable: bool, blobs) -> None:
    """SQLite: convert the keys in place with `convert`, then declare their type (a batch rebuilds
    each table; snapshots.db.migrating keeps the references of other tables checked)."""
    op.get_bind().connection.dbapi_connection.create_function('clausewatch_digest', 1, convert, deterministic=True)
    for table in ('blobs', 'snapshots', 'versions'):
        columns = [column for t, column, _ in DIGESTS if t == table]
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = clausewatch_digest({c})" for c in columns))
        with op.batch_alter_table(table) as batch:
            for t, column, nullable in DIGESTS:
                if t == table:
                    batch.alter_column(column, type_=type_, existing_type=existing_type, existing_nullable=nullable)
            if table == 'snapshots':
                batch.alter_column('final_url', existing_type=sa.String(2000), nullable=final_url_nullable)
            if table == 'blobs':
                blobs(batch)

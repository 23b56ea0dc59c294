"""Tables. Snapshot (raw bytes) -> Version (normalised text) -> Change (diff) -> Assessment/Finding.

Bytes live in `blobs`, addressed by sha256 and compressed (zstd, a zstd delta against an older blob,
or zlib in older stores; see snapshots.store), so identical bodies (and identical texts, e.g. a
flip-back) are stored once and several crawler machines can share them. A blob is
written before any row that names it; rows never point at missing bytes, orphan blobs are pruned.
Schema changes go through Alembic (`snapshots/migrations`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        Text, TypeDecorator, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


from snapshots.sql import digest
from snapshots.kinds import (AlertKind, AnomalyKind, DeliveryStatus, DigestKind, FindingKind,  # noqa: F401
                             Outcome, ReviewStatus, Role, RunKind, RunStatus, Significance, VersionKind, utcnow)


class Base(DeclarativeBase):
    pass


class Digest(TypeDecorator):
    """A sha256 digest naming a blob: its 32 bytes in the database, its hex spelling in Python.

    Half the bytes of the hex text, in the row and in every index over it (a churn-only snapshot
    names its bytes three times: its row, the blob's key and the delta's base)."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return bytes.fromhex(value) if isinstance(value, str) else value

    def process_result_value(self, value, dialect):
        return digest(value)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(Digest, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)  # uncompressed
    data: Mapped[bytes] = mapped_column(LargeBinary)  # compressed with `codec`
    codec: Mapped[str] = mapped_column(String(16), default="zlib", server_default="zlib")  # zlib | zstd | zstd-delta
    # zstd-delta: the full blob whose bytes are the dictionary; kept while a delta names it
    base_sha256: Mapped[str | None] = mapped_column(Digest, nullable=True, index=True)


class Document(Base):
    """One monitored URL (or ordered URLs of a combined document); shared by every citing profile."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(4000), unique=True)
    urls: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_fetch_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_change_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # a candidate text waiting for `confirm` checks, and the accepted-shrink flag
    pending: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    accept_next: Mapped[bool] = mapped_column(Boolean, default=False)
    # {url: region key} of pages known to give the current version's text (snapshots.extract.region):
    # a re-check whose pages have these keys is unchanged without extraction; replaced with every version
    region_keys: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Citation(Base):
    """Which profile source cites which document, as of the last profile load that changed the catalog
    (`seen_at`: when the citation was last written; CatalogSync.synced_at: when the catalog was last read)."""

    __tablename__ = "citations"
    profile: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    type: Mapped[str] = mapped_column(String(32), default="other")
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CatalogSync(Base):
    """One row: what the last `sync_catalog` wrote, as fingerprints (snapshots.documents).

    `files_sha256` hashes the profile files it was read from (None when the syncing command did
    not say); read commands compare it with the files as they are now and skip the sync on a match."""

    __tablename__ = "catalog_sync"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    files_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    catalog_sha256: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="check")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | completed | failed | interrupted
    host: Mapped[str] = mapped_column(String(200), default="")


class Snapshot(Base):
    """Raw bytes of one URL as fetched once; a re-fetch of identical bytes adds only a Fetch."""

    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), index=True)
    sha256: Mapped[str] = mapped_column(Digest, index=True)
    headers_sha256: Mapped[str | None] = mapped_column(Digest, nullable=True)  # None: no document headers
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[int] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)  # None: not redirected
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    etag: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    processed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class Fetch(Base):
    """One fetch attempt; kept small, because an unchanged re-check adds only this row."""

    __tablename__ = "fetches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    url: Mapped[str] = mapped_column(String(2000), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    final_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)  # None: its url, or no response
    bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # new | changed | unchanged | failed
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    snapshot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the first redirect of the request, when there was one (301/302/303/307/308 and its target)
    redirect_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    redirect_to: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class Version(Base):
    __tablename__ = "versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)  # of its newest snapshot
    text_sha256: Mapped[str] = mapped_column(Digest)  # blob of the normalised text
    key: Mapped[str] = mapped_column(String(64))  # comparison key (whitespace-collapsed)
    words: Mapped[int] = mapped_column(Integer, default=0)
    snapshot_ids: Mapped[list] = mapped_column(JSON)
    extractor_version: Mapped[str] = mapped_column(String(32))
    rules: Mapped[dict] = mapped_column(JSON)
    format: Mapped[str] = mapped_column(String(16), default="html")
    kind: Mapped[str] = mapped_column(String(16), default="change")  # first | change | flip-back | rebaseline


class Change(Base):
    __tablename__ = "changes"
    # rebaselines newest first, for `changes --all` (migration 0006)
    __table_args__ = (Index("ix_changes_kind_detected_at", "kind", "detected_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="change")  # change | flip-back | rebaseline
    added_words: Mapped[int] = mapped_column(Integer, default=0)
    removed_words: Mapped[int] = mapped_column(Integer, default=0)
    assessments: Mapped[list[Assessment]] = relationship(back_populates="change", cascade="all, delete-orphan",
                                                        order_by="Assessment.profile")


class Assessment(Base):
    """What one change means for one citing profile, and the editor's review of it."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("change_id", "profile"),
                      # the review queue, and its counts per profile (migration 0004)
                      Index("ix_assessments_review", "status", "reported", "significance", "change_id", "profile"),
                      Index("ix_assessments_counts", "status", "reported", "profile", "significance"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    profile: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(200))
    significance: Mapped[str] = mapped_column(String(16))  # cosmetic | minor | material
    reported: Mapped[bool] = mapped_column(Boolean, default=True)
    affected_criteria: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="unreviewed")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    change: Mapped[Change] = relationship(back_populates="assessments")
    findings: Mapped[list[Finding]] = relationship(cascade="all, delete-orphan", order_by="Finding.id")


class Finding(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # evidence | watch | vocabulary | structure
    criterion: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text, nullable=True)


class Anomaly(Base):
    __tablename__ = "anomalies"
    __table_args__ = (Index("ix_anomalies_open", "document_id", "open"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(16))  # gone | moved | blocked | suspicious | unreachable
    since: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(Text, default="")
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Lease(Base):
    """One run at a time across processes and machines; see scheduler.lease."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ttl: Mapped[float] = mapped_column(Float, default=120.0)
    host: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Alert(Base):
    """The alert outbox: one row per (subscription, thing to announce), written in the transaction
    that records the change or the anomaly; bundled into a digest after the run."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # AlertKind
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"), nullable=True)
    profile: Mapped[str | None] = mapped_column(String(200), nullable=True)  # a change's citing profile
    anomaly_id: Mapped[int | None] = mapped_column(ForeignKey("anomalies.id"), nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("alert_digests.id"), nullable=True, index=True)


class Digest(Base):
    """One message for one subscription, rendered once so every retry sends the same words."""

    __tablename__ = "alert_digests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="digest")  # DigestKind
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)


class Delivery(Base):
    """One digest to one channel of its subscription: pending until sent, retried with back-off."""

    __tablename__ = "alert_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("alert_digests.id"), index=True)
    channel: Mapped[str] = mapped_column(String(64))  # a hash of the notify entry as written (no secrets)
    label: Mapped[str] = mapped_column(Text)  # the channel for people, secrets masked
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)  # host:pid sending it now
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    """A person who may sign in to the review page (`clausewatch user add`)."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="analyst")  # Role
    password_hash: Mapped[str | None] = mapped_column(String(500), nullable=True)  # argon2id
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


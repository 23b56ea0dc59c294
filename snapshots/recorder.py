"""What the process stage reads and writes: fetch facts of a run, versions, changes, assessments.

The process stage (crawler.process) decides; these functions only record. Write order inside one
transaction: text blob, version, document pointer, change, assessments and findings, then the
ChangeRecorded event — so a transactional listener (the alert outbox) writes in the same
transaction and a crash leaves either all of it or none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update

from snapshots.events import ChangeRecorded, DocumentSettled, VersionRecorded
from snapshots.models import (Assessment, Change, Document, Fetch, Finding, Outcome, Snapshot, Version, VersionKind,
                              utcnow)
from snapshots.store import get_blob, get_blobs, get_text, insert_blobs, put_blobs, sha256


@dataclass(frozen=True)
class FetchFact:
    id: int
    url: str
    outcome: str
    reason: str | None
    status: int | None
    final_url: str | None
    redirect_status: int | None
    redirect_to: str | None


@dataclass(frozen=True)
class SnapshotFact:
    id: int
    url: str
    sha256: str
    processed: bool
    content_type: str | None
    fetched_at: dt.datetime


@dataclass(frozen=True)
class CurrentVersion:
    id: int
    text: str | None  # None when not read (current_versions(texts=False))
    key: str
    words: int
    rules: dict
    extractor_version: str
    snapshot_ids: list
    text_sha256: str = ""


@dataclass
class AssessmentRecord:
    """What a change means for one citing profile (diffing.assess's result, flattened)."""

    profile: str
    source: str
    significance: str
    alertable: bool
    affected_criteria: list
    summary: str
    findings: list = field(default_factory=list)  # (kind, criterion, detail, section)


@dataclass
class VersionRecord:
    text: str
    key: str
    words: int
    format: str
    extractor_version: str
    rules: dict
    added_words: int = 0
    removed_words: int = 0
    assessments: list = field(default_factory=list)  # AssessmentRecord
    fetched_at: dt.datetime | None = None  # of the newest snapshot (read from them when not given)
    region_keys: dict | None = None  # {url: region key} of the pages the text was read from, when all have one
    # the text's `blobs` row, already encoded (snapshots.codecs.full_row) where it was made; `text` is then unused
    text_blob: dict | None = None


def run_fetches(session, run_id: str) -> dict[str, FetchFact]:
    rows = session.scalars(select(Fetch).where(Fetch.run_id == run_id).order_by(Fetch.id))
    return {f.url: FetchFact(f.id, f.url, f.outcome, f.reason, f.status, f.final_url, f.redirect_status,
                             f.redirect_to) for f in rows}


# Facts are read as columns, not as Snapshot or Version objects: a run reads thousands, and building
# ORM objects cost more than the queries (they are never written through these reads).
_FACTS = (Snapshot.id, Snapshot.url, Snapshot.sha256, Snapshot.processed, Snapshot.content_type, Snapshot.fetched_at)
_CURRENT = (Version.id, Version.key, Version.words, Version.rules, Version.extractor_version, Version.snapshot_ids,
            Version.text_sha256)


def _facts(session, where) -> list[SnapshotFact]:
    return [SnapshotFact(*row) for row in session.execute(select(*_FACTS).where(where))]


def newest_snapshots(session, urls) -> dict[str, SnapshotFact]:
    newest = select(func.max(Snapshot.id)).where(Snapshot.url.in_(list(urls))).group_by(Snapshot.url)
    return {f.url: f for f in _facts(session, Snapshot.id.in_(newest))}


def snapshots_by_id(session, ids) -> dict[str, SnapshotFact]:
    return {f.url: f for f in _facts(session, Snapshot.id.in_(list(ids)))}


def body(session, snapshot: SnapshotFact) -> bytes:
    return get_blob(session, snapshot.sha256)


def snapshot_facts(session, ids) -> dict[int, SnapshotFact]:
    """{snapshot id: its facts}, in one query."""
    ids = list(ids)
    return {f.id: f for f in _facts(session, Snapshot.id.in_(ids))} if ids else {}


def bodies(session, snapshots) -> dict[str, bytes]:
    """{sha256: bytes} of the given snapshots' bodies, in two queries."""
    return get_blobs(session, [s.sha256 for s in snapshots])


def current_versions(session, version_ids, texts: bool = True) -> dict[int, CurrentVersion]:
    """{version id: CurrentVersion}, with their texts unless `texts` is false; in three queries."""
    rows = list(session.execute(select(*_CURRENT).where(Version.id.in_(list(version_ids))))) if version_ids else []
    read = get_blobs(session, [v.text_sha256 for v in rows]) if texts else {}
    return {v.id: CurrentVersion(v.id, read[v.text_sha256].decode("utf-8") if texts else None, v.key, v.words,
                                 v.rules, v.extractor_version, list(v.snapshot_ids), v.text_sha256) for v in rows}


def current_version(session, version_id: int | None) -> CurrentVersion | None:
    if version_id is None:
        return None
    v = session.get(Version, version_id)
    return CurrentVersion(v.id, get_text(session, v.text_sha256), v.key, v.words, v.rules, v.extractor_version,
                          list(v.snapshot_ids), v.text_sha256)


def versions_of_rules(session, keys) -> list[tuple[int, str, dict, str]]:
    """(document id, key, rules, extractor version) of every current version among documents `keys`."""
    return list(session.execute(select(Document.id, Document.key, Version.rules, Version.extractor_version)
                                .join(Version, Version.id == Document.current_version_id)
                                .where(Document.key.in_(list(keys)))))


def had_text(session, document_id: int, key: str) -> bool:
    """The document had a version with this comparison key before (a flip-back)."""
    return session.scalar(select(func.count(Version.id)).where(Version.document_id == document_id,
                                                               Version.key == key)) > 0


def texts_had(session, pairs) -> set[tuple[int, str]]:
    """The (document id, comparison key) pairs among `pairs` that a version had before (`had_text`
    for many documents, in one query)."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = session.execute(select(Version.document_id, Version.key).distinct()
                           .where(Version.document_id.in_({d for d, _ in pairs}),
                                  Version.key.in_({k for _, k in pairs})))
    return {(d, k) for d, k in rows} & pairs


# -- writes ------------------------------------------------------------------------------------
def load_documents(session, document_ids) -> list:
    """Read the documents' rows in one query, for the writes below to find in the session.

    The session holds rows only while something refers to them: keep the returned list until the
    transaction ends, or every write reads its row again."""
    ids = list(document_ids)
    return list(session.scalars(select(Document).where(Document.id.in_(ids)))) if ids else []


def fetched(tx, document_id: int) -> None:
    tx.session.get(Document, document_id).last_fetch_at = utcnow()


def failed(tx, document_id: int, run_id: str | None, reason: str | None = None) -> int:
    """Count a failed check of the document; returns its consecutive failures."""
    doc = tx.session.get(Document, document_id)
    doc.consecutive_failures += 1
    doc.last_outcome = Outcome.FAILED
    tx.emit(DocumentSettled(document_id, run_id, str(Outcome.FAILED), reason))
    return doc.consecutive_failures


def settled(tx, document_id: int, run_id: str | None, outcome: Outcome, snapshot_ids=(), pending_fetches=True) -> None:
    """The document was fetched and read fine: reset failures, mark its snapshots processed."""
    doc = tx.session.get(Document, document_id)
    doc.consecutive_failures = 0
    doc.last_outcome = outcome
    if snapshot_ids:
        tx.session.execute(update(Snapshot).where(Snapshot.id.in_(list(snapshot_ids))).values(processed=True)
                           .execution_options(synchronize_session=False))
    if pending_fetches:
        fetch_outcome(tx, doc.urls, run_id, outcome)
    tx.emit(DocumentSettled(document_id, run_id, str(outcome)))


def settled_many(tx, run_id: str | None, settlements) -> None:
    """`settled` for many documents, in order: [(document id, outcome, snapshot ids, pending fetches)].

    One UPDATE marks all their snapshots processed, and one UPDATE of fetch records per run of
    consecutive equal outcomes (so that a URL two documents share ends as it would one by one)."""
    snapshot_ids, urls, outcome = [], [], None
    for document_id, this, ids, pending_fetches in settlements:
        doc = tx.session.get(Document, document_id)
        doc.consecutive_failures = 0
        doc.last_outcome = this
        snapshot_ids.extend(ids)
        if pending_fetches:
            if this != outcome and urls:
                fetch_outcome(tx, urls, run_id, outcome)
                urls = []
            outcome = this
            urls.extend(doc.urls)
        tx.emit(DocumentSettled(document_id, run_id, str(this)))
    if urls:
        fetch_outcome(tx, urls, run_id, outcome)
    for start in range(0, len(snapshot_ids), 500):
        tx.session.execute(update(Snapshot).where(Snapshot.id.in_(snapshot_ids[start:start + 500]))
                           .values(processed=True).execution_options(synchronize_session=False))


def fetch_outcome(tx, urls, run_id: str | None, outcome: Outcome, reason: str | None = None) -> None:
    """Turn the run's `pending` fetch records of these URLs into their final outcome."""
    values = {"outcome": outcome} if reason is None else {"outcome": outcome, "reason": reason}
    tx.session.execute(update(Fetch).where(Fetch.run_id == run_id, Fetch.url.in_(list(urls)),
                                           Fetch.outcome == Outcome.PENDING).values(**values)
                       .execution_options(synchronize_session=False))


def set_pending(tx, document_id: int, pending: dict | None) -> None:
    tx.session.get(Document, document_id).pending = pending


def keep_version(tx, version_id: int, rules: dict, extractor_version: str) -> None:
    """Re-extraction gave the same text: the version now stands for today's rules."""
    v = tx.session.get(Version, version_id)
    v.rules, v.extractor_version = rules, extractor_version


def same_text_regions(tx, document_id: int, region_keys: dict) -> None:
    """Pages with these region keys gave the current version's text again: later pages with the same
    keys may be taken as unchanged without extraction."""
    tx.session.get(Document, document_id).region_keys = region_keys


def write_version(tx, document_id: int, record: VersionRecord, snapshot_ids, kind: VersionKind,
                  run_id: str | None) -> tuple[int, int | None]:
    """Record a new current version (and the Change from the previous one); (version id, change id)."""
    return write_versions(tx, [(document_id, record, snapshot_ids, kind)], run_id)[0]


def write_versions(tx, items, run_id: str | None) -> list[tuple[int, int | None]]:
    """`write_version` for many documents, each at most once: [(document id, record, snapshot ids, kind)].

    The text blobs go in one statement and the versions in one INSERT … RETURNING, then the
    documents point at them; the changes, their assessments and findings are flushed together, and
    each ChangeRecorded event follows its change's writes (the events in the items' order, every
    VersionRecorded before the first ChangeRecorded). A flush per version cost more than
    extracting the text it records."""
    if not items:
        return []
    if len({document_id for document_id, _, _, _ in items}) < len(items):
        raise ValueError("write_versions: a document appears twice in one batch")
    s = tx.session
    texts, text_keys = {}, []
    for _, record, _, _ in items:
        if record.text_blob:
            text_keys.append(record.text_blob["sha256"])
        else:
            text = record.text.encode("utf-8")
            text_keys.append(sha256(text))
            texts[text_keys[-1]] = text
    put_blobs(s, texts)
    # two documents of a batch may have the same text: one row
    insert_blobs(s, list({r.text_blob["sha256"]: r.text_blob for _, r, _, _ in items if r.text_blob}.values()))
    docs = [s.get(Document, document_id) for document_id, _, _, _ in items]
    rows = []
    for (_, record, snapshot_ids, kind), doc, text_key in zip(items, docs, text_keys):
        fetched_at = record.fetched_at or s.scalar(select(func.max(Snapshot.fetched_at))
                                                   .where(Snapshot.id.in_(list(snapshot_ids))))
        rows.append({"document_id": doc.id, "created_at": utcnow(), "fetched_at": fetched_at or utcnow(),
                     "text_sha256": text_key, "key": record.key, "words": record.words,
                     "snapshot_ids": sorted(snapshot_ids), "extractor_version": record.extractor_version,
                     "rules": record.rules, "format": record.format, "kind": kind})
    # RETURNING in parameter order would make SQLite insert row by row: each document is in the batch
    # once, so its new version's id is found by the document's id instead
    inserted = dict((d, i) for i, d in s.execute(insert(Version).returning(Version.id, Version.document_id), rows))
    version_ids = [inserted[doc.id] for doc in docs]
    changes = []
    for (_, record, _, kind), doc, version_id in zip(items, docs, version_ids):
        previous_id = doc.current_version_id
        doc.current_version_id = version_id
        doc.accept_next = False
        doc.region_keys = record.region_keys  # the keys of the previous text are no longer the current text's
        tx.emit(VersionRecorded(version_id, doc.id, run_id, str(kind)))
        if previous_id is None:
            changes.append(None)
            continue
        change = Change(document_id=doc.id, from_version_id=previous_id, to_version_id=version_id, run_id=run_id,
                        kind=kind, added_words=record.added_words, removed_words=record.removed_words)
        for a in record.assessments:
            row = Assessment(profile=a.profile, source=a.source, significance=a.significance,
                             reported=a.alertable and kind == VersionKind.CHANGE,
                             affected_criteria=list(a.affected_criteria), summary=a.summary)
            row.findings = [Finding(kind=k, criterion=c, detail=d, section=sec) for k, c, d, sec in a.findings]
            change.assessments.append(row)
        s.add(change)
        changes.append(change)
    if any(changes):
        s.flush()
    for (_, _, _, kind), doc, change in zip(items, docs, changes):
        if change is not None:
            doc.last_change_at = utcnow()
            reported = tuple(a.profile for a in change.assessments if a.reported)
            tx.emit(ChangeRecorded(change.id, doc.id, run_id, str(kind), reported))
    return [(version_id, change.id if change is not None else None)
            for version_id, change in zip(version_ids, changes)]

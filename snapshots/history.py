"""What people read back from the archive: documents and their sources, changes, versions, runs.

The CLI (and later the review page) present these; they never query the tables themselves. Reads
take a session from `archive.reading()`, the two editor writes (`record_review`, `accept_next`) the
open `tx` of `archive.transaction()`. Everything returned is plain data, detached from the session:

    with archive.reading() as session:
        for entry in history.changes(session, profiles=["mistral-api"], everything=True): …
        text = history.text(session, history.version_at(session, doc.id, at))

One *entry* is one (change, citing profile) pair: the `assessments` row — the change's reading for
that profile (significance, affected criteria, findings) and the editor's review of it. Rebaselines
have no reading (they are never alerted): `changes(everything=True)` lists them once per source
citing their document, with no significance and no review.

The reads are plain SQL through snapshots.sql: `session` is a SQLAlchemy session or a bare
`sql.Reader` (what `db.ReadConnection.reading()` yields, for the CLI's read commands, which so
never import SQLAlchemy); the same statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from heapq import merge

from snapshots import codecs
from snapshots.sql import at as timestamp
from snapshots.sql import digest, loads, reader

# the closed vocabularies are re-exported with the data that carries them: outside `snapshots/`
# nothing imports the models, so `from snapshots.history import ReviewStatus` is the way in
from snapshots.kinds import (AnomalyKind, Outcome, ReviewStatus, RunKind, RunStatus, Significance,  # noqa: F401
                             VersionKind)

__all__ = ["AnomalyKind", "Outcome", "ReviewStatus", "RunKind", "RunStatus", "Significance", "VersionKind"]


# -- documents ----------------------------------------------------------------------------------
# DocumentRef and DocumentState are not frozen (they hold lists, so they were never hashable):
# `sources` builds one of each per document, and a frozen dataclass's __init__ costs ~5× more
@dataclass
class DocumentRef:
    id: int
    key: str
    urls: list[str]
    current_version_id: int | None

    @property
    def address(self) -> str:
        """The URL people recognise: the page itself, or the key of a document combined from several."""
        return self.urls[0] if len(self.urls) == 1 else self.key


_DOC = "d.id, d.key, d.urls, d.current_version_id"  # the columns of a DocumentRef, in its order


def _ref(row) -> DocumentRef | None:
    """A DocumentRef from the four `_DOC` columns (at the start of `row`)."""
    return DocumentRef(row[0], row[1], list(loads(row[2])), row[3]) if row else None


def _all_loads(values: list) -> list:
    """`loads` of many JSON column values; SQLite's texts in one parse (10,000 documents: ~5× faster)."""
    if values and all(isinstance(v, str) for v in values):
        return json.loads("[" + ",".join(values) + "]")
    return [loads(v) for v in values]


def _document_by_id(r, document_id: int) -> DocumentRef | None:
    return _ref(r.one(f"SELECT {_DOC} FROM documents d WHERE d.id = :id", id=document_id))


def document(session, key: str) -> DocumentRef | None:
    """The Document with this key (its URL, or its URLs joined), None when never checked."""
    return _ref(reader(session).one(f"SELECT {_DOC} FROM documents d WHERE d.key = :key", key=key))


def cited_document(session, profile: str, source: str) -> DocumentRef | None:
    """The Document a source cited at the last check — also for a source no profile declares any more."""
    return _ref(reader(session).one(
        f"SELECT {_DOC} FROM citations c JOIN documents d ON d.id = c.document_id "
        "WHERE c.profile = :profile AND c.source = :source", profile=profile, source=source))


def citations(session) -> dict[int, list[str]]:
    """{document id: ["profile/source", …]} as of the last profile load, sorted."""
    out: dict[int, list[str]] = {}
    for document_id, profile, source in reader(session).all(
            "SELECT document_id, profile, source FROM citations ORDER BY profile, source"):
        out.setdefault(document_id, []).append(f"{profile}/{source}")
    return out


@dataclass
class DocumentState:
    """One line of `sources`: a document, who cites it, how its last fetch went, what is wrong."""

    document: DocumentRef
    cited_by: list[str]
    last_fetch_at: dt.datetime | None
    last_outcome: Outcome | None
    last_failure: str | None  # the reason of the last fetch, when it failed
    last_change_at: dt.datetime | None
    consecutive_failures: int
    open_anomalies: list[AnomalyKind]


def documents(session) -> list[DocumentState]:
    r = reader(session)
    cites = citations(r)
    kinds: dict[int, list[AnomalyKind]] = {}
    for document_id, kind in r.all('SELECT document_id, kind FROM anomalies WHERE "open" ORDER BY id'):
        kinds.setdefault(document_id, []).append(AnomalyKind(kind))
    # the reason of each URL's newest fetch, asked only for the documents whose last fetch failed
    failed = r.all("SELECT urls FROM documents WHERE last_outcome = :failed", failed=str(Outcome.FAILED))
    first_urls = [loads(urls)[0] for (urls,) in failed]
    last_reason = dict(r.all(
        "SELECT f.url, f.reason FROM fetches f WHERE f.id IN "
        "(SELECT max(id) FROM fetches WHERE url IN :urls GROUP BY url)", urls=first_urls)) if first_urls else {}
    out = []
    rows = r.all(f"SELECT {_DOC}, d.last_outcome, d.last_fetch_at, d.last_change_at, d.consecutive_failures "
                 "FROM documents d ORDER BY d.key")
    outcomes = {str(o): o for o in Outcome}  # a dict lookup: 10,000 Enum() calls cost more than the query
    for (doc_id, key, _, current, last_outcome, last_fetch_at, last_change_at, failures), urls in zip(
            rows, _all_loads([row[2] for row in rows])):
        outcome = outcomes[last_outcome] if last_outcome else None
        out.append(DocumentState(
            DocumentRef(doc_id, key, urls, current), cites.get(doc_id, []), timestamp(last_fetch_at), outcome,
            last_reason.get(urls[0]) if outcome == Outcome.FAILED else None,
            timestamp(last_change_at), failures, kinds.get(doc_id, [])))
    return out


# -- changes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FindingEntry:
    kind: str  # FindingKind
    criterion: str | None
    detail: str
    section: str | None


@dataclass(frozen=True)
class ChangeEntry:
    """One change as one citing profile reads it, with the editor's review (None for rebaselines)."""

    change_id: int
    profile: str
    source: str
    document: DocumentRef
    detected_at: dt.datetime
    kind: VersionKind
    added_words: int
    removed_words: int
    significance: Significance | None
    alertable: bool  # minor or material and not a flip-back: listed by default
    affected_criteria: list[str]
    summary: str
    findings: list[FindingEntry]
    status: ReviewStatus | None
    note: str | None = None
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None


# one (assessment, change, document) row of `changes`, in the order `_entry` reads it
_ENTRY = (f"{_DOC}, c.id, c.detected_at, c.kind, c.added_words, c.removed_words, a.id, a.profile, a.source, "
          "a.significance, a.reported, a.affected_criteria, a.summary, a.status, a.note, a.reviewer, a.reviewed_at")


_ASSESSMENT_ID, _AFFECTED = 9, 14  # positions in an `_ENTRY` row


def _entry(row, findings: dict[int, list[FindingEntry]]) -> ChangeEntry:
    (change_id, detected_at, kind, added, removed, assessment_id, profile, source, significance, reported,
     affected, summary, status, note, reviewer, reviewed_at) = row[4:]
    return ChangeEntry(
        change_id, profile, source, _ref(row), timestamp(detected_at), VersionKind(kind), added, removed,
        Significance(significance), bool(reported), list(loads(affected) or []), summary,
        findings.get(assessment_id, []), ReviewStatus(status), note, reviewer, timestamp(reviewed_at))


def _findings(r, assessment_ids: list[int]) -> dict[int, list[FindingEntry]]:
    out: dict[int, list[FindingEntry]] = {}
    if assessment_ids:
        for assessment_id, kind, criterion, detail, section in r.all(
                "SELECT assessment_id, kind, criterion, detail, section FROM findings "
                "WHERE assessment_id IN :ids ORDER BY id", ids=assessment_ids):
            out.setdefault(assessment_id, []).append(FindingEntry(kind, criterion, detail, section))
    return out


def changes(session, *, ids=None, profiles=(), since: dt.datetime | None = None, status: ReviewStatus | None = None,
            significance: Significance | None = None, criterion: str | None = None, everything: bool = False,
            limit: int | None = None) -> list[ChangeEntry]:
    """Entries newest first. By default only alertable ones; `everything` adds cosmetic changes,
    flip-backs and rebaselines. Filters combine; a rebaseline matches no status, significance or criterion."""
    r = reader(session)
    where, params = [], {}
    if ids is not None:
        where.append("c.id IN :ids")
        params["ids"] = list(ids)
    if profiles:
        where.append("a.profile IN :profiles")
        params["profiles"] = list(profiles)
    if since is not None:
        where.append("c.detected_at >= :since")
        params["since"] = since
    if status:
        where.append("a.status = :status")
        params["status"] = str(status)
    if significance:
        where.append("a.significance = :significance")
        params["significance"] = str(significance)
    if not everything:
        where.append("a.reported")
    # changes first (SQLite keeps CROSS JOIN's order): newest first off the detected_at index, so a
    # LIMIT stops early instead of sorting every assessment (50,000 changes: 2 ms instead of 40)
    statement = (f"SELECT {_ENTRY} FROM changes c CROSS JOIN assessments a JOIN documents d ON c.document_id = d.id "
                 "WHERE " + " AND ".join(["a.change_id = c.id", *where])
                 + " ORDER BY c.detected_at DESC, c.id DESC, a.profile")
    if limit and not criterion:  # the criterion filter reads a JSON list: it is applied below, in Python
        statement += f" LIMIT {int(limit)}"
    rows = []
    for row in r.iterate(statement, **params):
        if criterion and criterion not in (loads(row[_AFFECTED]) or []):
            continue
        rows.append(row)
        if limit and len(rows) >= limit:
            break
    found = _findings(r, [row[_ASSESSMENT_ID] for row in rows])
    read = [_entry(row, found) for row in rows]
    rebaselines = []
    if everything and not (status or significance or criterion):
        rebaselines = _rebaselines(r, ids=ids, profiles=profiles, since=since, limit=limit)
    # both lists run newest first; a change is in one of them only, so its entries stay in profile order
    out = list(merge(read, rebaselines, key=lambda e: (e.detected_at, e.change_id), reverse=True))
    return out[:limit] if limit else out


def _rebaselines(r, *, ids, profiles, since, limit) -> list[ChangeEntry]:
    """Rebaselines once per source citing their document (they have no reading of their own)."""
    where = ["c.kind = :rebaseline", "NOT EXISTS (SELECT 1 FROM assessments a WHERE a.change_id = c.id)"]
    params = {"rebaseline": str(VersionKind.REBASELINE)}
    if ids is not None:
        where.append("c.id IN :ids")
        params["ids"] = list(ids)
    if profiles:
        where.append("cit.profile IN :profiles")
        params["profiles"] = list(profiles)
    if since is not None:
        where.append("c.detected_at >= :since")
        params["since"] = since
    statement = (f"SELECT {_DOC}, c.id, c.detected_at, c.kind, c.added_words, c.removed_words, cit.profile, "
                 "cit.source FROM changes c JOIN citations cit ON cit.document_id = c.document_id "
                 "JOIN documents d ON c.document_id = d.id WHERE " + " AND ".join(where)
                 + " ORDER BY c.detected_at DESC, c.id DESC, cit.profile, cit.source")
    if limit:
        statement += f" LIMIT {int(limit)}"
    out = []
    for row in r.all(statement, **params):
        change_id, detected_at, kind, added, removed, profile, source = row[4:]
        out.append(ChangeEntry(change_id, profile, source, _ref(row), timestamp(detected_at), VersionKind(kind), added,
                               removed, None, False, [], "", [], None))
    return out


@dataclass(frozen=True)
class VersionInfo:
    id: int
    document_id: int
    fetched_at: dt.datetime
    kind: VersionKind
    words: int
    extractor_version: str
    text_sha256: str


_VERSION = "v.id, v.document_id, v.fetched_at, v.kind, v.words, v.extractor_version, v.text_sha256"


def _version(row) -> VersionInfo | None:
    if row is None:
        return None
    vid, document_id, fetched_at, kind, words, extractor_version, text_sha256 = row[:7]
    return VersionInfo(vid, document_id, timestamp(fetched_at), VersionKind(kind), words, extractor_version,
                       digest(text_sha256))


def _version_by_id(r, version_id: int | None) -> VersionInfo | None:
    if version_id is None:
        return None
    return _version(r.one(f"SELECT {_VERSION} FROM versions v WHERE v.id = :id", id=version_id))


@dataclass(frozen=True)
class ChangeDetail:
    """One change with its two versions and every entry (reading per citing profile)."""

    id: int
    document: DocumentRef
    kind: VersionKind
    detected_at: dt.datetime
    added_words: int
    removed_words: int
    old: VersionInfo
    new: VersionInfo
    entries: list[ChangeEntry] = field(default_factory=list)


def change(session, change_id: int) -> ChangeDetail | None:
    r = reader(session)
    row = r.one("SELECT id, document_id, kind, detected_at, added_words, removed_words, from_version_id, "
                "to_version_id FROM changes WHERE id = :id", id=change_id)
    if row is None:
        return None
    cid, document_id, kind, detected_at, added, removed, from_id, to_id = row
    return ChangeDetail(cid, _document_by_id(r, document_id), VersionKind(kind), timestamp(detected_at), added, removed,
                        _version_by_id(r, from_id), _version_by_id(r, to_id),
                        changes(r, ids=[cid], everything=True))


# -- versions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionEntry:
    """One line of `history`: a version and the change that produced it (None for the first)."""

    version: VersionInfo
    current: bool
    change_id: int | None
    added_words: int | None
    removed_words: int | None
    significance: Significance | None  # of the change's first reading (by profile id)
    summary: str | None


def versions(session, doc: DocumentRef) -> list[VersionEntry]:
    r = reader(session)
    made_by = {to_id: (cid, added, removed) for cid, to_id, added, removed in r.all(
        "SELECT id, to_version_id, added_words, removed_words FROM changes WHERE document_id = :d", d=doc.id)}
    first_reading: dict[int, tuple[str, str]] = {}
    change_ids = [cid for cid, _, _ in made_by.values()]
    if change_ids:
        for change_id, significance, summary in r.all(
                "SELECT change_id, significance, summary FROM assessments WHERE change_id IN :ids "
                "ORDER BY change_id, profile", ids=change_ids):
            first_reading.setdefault(change_id, (significance, summary))
    out = []
    for row in r.all(f"SELECT {_VERSION} FROM versions v WHERE v.document_id = :d ORDER BY v.id", d=doc.id):
        v = _version(row)
        cid, added, removed = made_by.get(v.id, (None, None, None))
        significance, summary = first_reading.get(cid, (None, None)) if cid else (None, None)
        out.append(VersionEntry(v, v.id == doc.current_version_id, cid, added, removed,
                                Significance(significance) if significance else None, summary))
    return out


def version(session, doc: DocumentRef, version_id: int) -> VersionInfo | None:
    """Version `version_id` when it is one of `doc`'s, else None."""
    v = _version_by_id(reader(session), version_id)
    return v if v is not None and v.document_id == doc.id else None


def version_at(session, doc: DocumentRef, at: dt.datetime | None = None) -> VersionInfo | None:
    """The version current at `at` (naive UTC), or the current one; None when there was none yet."""
    r = reader(session)
    if at is None:
        return _version_by_id(r, doc.current_version_id)
    return _version(r.one(f"SELECT {_VERSION} FROM versions v WHERE v.document_id = :d AND v.fetched_at <= :at "
                          "ORDER BY v.fetched_at DESC, v.id DESC LIMIT 1", d=doc.id, at=at))


def blobs(session, keys) -> dict[str, bytes]:
    """{key: original bytes} of stored blobs, in two queries (the blobs, then the bases of their deltas)."""
    r, keys = reader(session), list(dict.fromkeys(keys))
    rows = {digest(k): (codec, bytes(data), digest(base)) for k, codec, data, base in
            r.all("SELECT sha256, codec, data, base_sha256 FROM blobs WHERE sha256 IN :keys",
                  keys=[bytes.fromhex(k) for k in keys])} if keys else {}
    if missing := [k for k in keys if k not in rows]:
        raise LookupError(f"blob {missing[0]} is missing from the store")
    wanted = list({base for codec, _, base in rows.values() if codec == "zstd-delta"})
    bases = {digest(k): codecs.decode_full(digest(k), codec, bytes(data)) for k, codec, data in
             r.all("SELECT sha256, codec, data FROM blobs WHERE sha256 IN :keys",
                   keys=[bytes.fromhex(k) for k in wanted])} if wanted else {}
    out = {}
    for key, (codec, data, base_key) in rows.items():
        if codec == "zstd-delta" and base_key not in bases:
            raise LookupError(f"blob {key}: its delta base {base_key} is missing from the store")
        out[key] = codecs.decode(key, codec, data, bases.get(base_key) if codec == "zstd-delta" else None)
    return out


def text(session, version: VersionInfo) -> str:
    """The normalised text of a version."""
    return blobs(session, [version.text_sha256])[version.text_sha256].decode("utf-8")


def current_texts(session, keys) -> dict[str, str | None]:
    """{document key: its current text, None when never read} — the inputs of the evidence check."""
    r = reader(session)
    out: dict[str, str | None] = {}
    for key in keys:
        if key in out:
            continue
        doc = document(r, key)
        current = version_at(r, doc) if doc else None
        out[key] = text(r, current) if current else None
    return out


# -- anomalies and runs -------------------------------------------------------------------------
@dataclass(frozen=True)
class AnomalyEntry:
    id: int
    document_id: int
    url: str
    kind: AnomalyKind
    since: dt.datetime
    detail: str
    open: bool
    closed_at: dt.datetime | None


def anomalies(session, *, closed: bool = False) -> list[AnomalyEntry]:
    """Open anomalies (and closed ones with `closed`), newest first."""
    statement = ('SELECT id, document_id, url, kind, since, detail, "open", closed_at FROM anomalies'
                 + ("" if closed else ' WHERE "open"') + " ORDER BY since DESC, id DESC")
    return [AnomalyEntry(aid, document_id, url, AnomalyKind(kind), timestamp(since), detail, bool(is_open), timestamp(closed_at))
            for aid, document_id, url, kind, since, detail, is_open, closed_at in reader(session).all(statement)]


@dataclass(frozen=True)
class RunEntry:
    id: str
    kind: RunKind
    status: RunStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    host: str
    counts: dict


def _run(row) -> RunEntry | None:
    if row is None:
        return None
    rid, kind, status, started_at, finished_at, host, counts = row
    return RunEntry(rid, RunKind(kind), RunStatus(status), timestamp(started_at), timestamp(finished_at), host,
                    dict(loads(counts) or {}))


_RUN = "SELECT id, kind, status, started_at, finished_at, host, counts FROM runs"


def last_run(session, kind: RunKind = RunKind.CHECK) -> RunEntry | None:
    """The newest run of this kind, whatever its status."""
    return _run(reader(session).one(f"{_RUN} WHERE kind = :kind ORDER BY started_at DESC LIMIT 1", kind=str(kind)))


def last_completed_run(session, kind: RunKind = RunKind.CHECK) -> RunEntry | None:
    return _run(reader(session).one(f"{_RUN} WHERE kind = :kind AND status = :completed "
                                    "ORDER BY finished_at DESC LIMIT 1",
                                    kind=str(kind), completed=str(RunStatus.COMPLETED)))


@dataclass(frozen=True)
class FailingDocument:
    document: DocumentRef
    failures: int
    last_fetch_at: dt.datetime | None
    reason: str | None  # of its newest failed fetch


def failing_documents(session, at_least: int = 2) -> list[FailingDocument]:
    """Documents whose last `at_least` or more fetches failed, the longest failing first."""
    r = reader(session)
    out = []
    for row in r.all(f"SELECT {_DOC}, d.consecutive_failures, d.last_fetch_at FROM documents d "
                     "WHERE d.consecutive_failures >= :n ORDER BY d.consecutive_failures DESC, d.key", n=at_least):
        doc = _ref(row)
        reason = r.scalar("SELECT reason FROM fetches WHERE url IN :urls AND outcome = :failed "
                          "ORDER BY id DESC LIMIT 1", urls=doc.urls, failed=str(Outcome.FAILED))
        out.append(FailingDocument(doc, row[4], timestamp(row[5]), reason))
    return out


# -- the editors' writes ------------------------------------------------------------------------
def assessed_profiles(session, change_id: int) -> list[str] | None:
    """The profiles that have a reading of this change; None when there is no such change."""
    r = reader(session)
    if r.one("SELECT id FROM changes WHERE id = :id", id=change_id) is None:
        return None
    return [p for (p,) in r.all("SELECT profile FROM assessments WHERE change_id = :id ORDER BY profile", id=change_id)]


@dataclass(frozen=True)
class Review:
    change_id: int
    profile: str
    status: ReviewStatus
    note: str | None
    reviewer: str
    reviewed_at: dt.datetime


def record_review(tx, change_id: int, profile: str, status: ReviewStatus, note: str | None, by: str) -> Review:
    """Set the editor's verdict on a change for one citing profile (LookupError when it has no reading).

    The one write of a verdict is `snapshots.reviews.record_review`, which the review page uses too."""
    from snapshots.reviews import record_review as write

    a = write(tx, change_id, profile, status, note, by)
    return Review(change_id, a.profile, ReviewStatus(a.status), a.note, a.reviewer, a.reviewed_at)


def accept_next(tx, doc: DocumentRef) -> None:
    """The next extraction of `doc` becomes its current version however much it shrank; drops a pending text."""
    from snapshots.models import Document

    d = tx.session.get(Document, doc.id)
    d.accept_next = True
    d.pending = None


@dataclass(frozen=True)
class FailingProfile:
    profile: str
    documents: int
    failed: int  # documents whose last check failed


def profiles_failing(session) -> list[FailingProfile]:
    """Per profile: how many of its cited documents failed their last check."""
    counts: dict[str, list[int]] = {}
    for profile, outcome in reader(session).all(
            "SELECT c.profile, d.last_outcome FROM citations c JOIN documents d ON d.id = c.document_id"):
        c = counts.setdefault(profile, [0, 0])
        c[0] += 1
        c[1] += outcome == Outcome.FAILED
    return [FailingProfile(p, n, f) for p, (n, f) in sorted(counts.items())]


def failing_since(session, document_id: int) -> dt.datetime | None:
    """When the document's current run of failed checks began (None when its last check did not fail)."""
    r = reader(session)
    row = r.one("SELECT urls, last_outcome FROM documents WHERE id = :id", id=document_id)
    if row is None or row[1] != Outcome.FAILED:
        return None
    urls, failed = list(loads(row[0])), str(Outcome.FAILED)
    good = timestamp(r.scalar("SELECT max(at) FROM fetches WHERE url IN :urls AND outcome != :failed", urls=urls,
                       failed=failed))
    if good is None:
        return timestamp(r.scalar("SELECT min(at) FROM fetches WHERE url IN :urls AND outcome = :failed", urls=urls,
                           failed=failed))
    return timestamp(r.scalar("SELECT min(at) FROM fetches WHERE url IN :urls AND outcome = :failed AND at > :good",
                       urls=urls, failed=failed, good=good))

"""The process stage: after a crawl, turn new snapshots into versions, changes and findings.

Plain Python (no Scrapy). Per document of the run: fetch failures become anomalies; documents whose
newest snapshots are all processed are unchanged; the rest are analysed (crawler.analysis) in a
process pool over both cores, a bounded number at a time so memory stays flat, and the results are
written here, in the parent, in small transactions.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from crawler import anomalies
from crawler.analysis import Analysis, Citing, Job, Page, analyse
from crawler.config import Settings
from crawler.profiles import Catalog, Profile, Source, load_catalog
from crawler.runs import Plan
from diffing.assess import CriterionRef
from snapshots.archive import Archive, Transaction
from snapshots.events import ChangeRecorded
from snapshots.extract import EXTRACTOR_VERSION
from snapshots.db import Database, open_database
from snapshots.models import Anomaly, Assessment, Change, Document, Fetch, Finding, Run, Snapshot, Version, utcnow
from snapshots.store import get_blob, get_text, put_blobs, sha256


TRIAGE_CHUNK = 200  # documents settled per transaction


@dataclass
class RunSummary:
    run_id: str
    started_at: str = ""
    finished_at: str = ""
    documents: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    changes: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    anomalies: int = 0

    def counts(self) -> dict:
        return {k: getattr(self, k) for k in ("documents", "new", "changed", "unchanged", "failed", "anomalies")}

    def to_json(self) -> dict:
        return dict(self.__dict__)


def criteria_refs(profile: Profile, source: Source) -> list[CriterionRef]:
    return [CriterionRef(id=c.id, label=c.label, rating=c.rating, watch=c.watch + c.themes,
                         evidence=tuple(e.quote for e in c.evidence if e.source == source.id))
            for c in profile.criteria_citing(source.id)]


def citing_of(catalog: Catalog, key: str) -> list[Citing]:
    return [Citing(s.profile, s.id, s.label, criteria_refs(catalog.profiles[s.profile], s)) for s in catalog.citations(key)]


def latest_fetches(session, run_id: str) -> dict[str, Fetch]:
    rows = session.scalars(select(Fetch).where(Fetch.run_id == run_id).order_by(Fetch.id))
    return {f.url: f for f in rows}


def latest_snapshots(session, urls) -> dict[str, Snapshot]:
    newest = (select(func.max(Snapshot.id)).where(Snapshot.url.in_(list(urls))).group_by(Snapshot.url))
    return {s.url: s for s in session.scalars(select(Snapshot).where(Snapshot.id.in_(newest)))}


class Processor:
    """Processes the documents of one run; at most two jobs per worker (and their bodies) are held at once."""

    def __init__(self, settings: Settings, db: Database, catalog: Catalog, run_id: str, archive: Archive | None = None):
        self.settings, self.db, self.catalog, self.run_id = settings, db, catalog, run_id
        self.archive = archive or Archive(db)
        self.summary = RunSummary(run_id)
        self.workers = settings.processes or os.cpu_count() or 1
        self.open_anomalies: set[int] = set()

    def emitter(self, session):
        """tx.emit for events recorded in `session` (transactional listeners, e.g. the alert outbox)."""
        return Transaction(session, self.archive.events).emit

    # -- building jobs -------------------------------------------------------------------
    def job_for(self, session, doc: Document, snaps: dict[str, Snapshot], rebaseline=False) -> Job | None:
        sources = self.catalog.citations(doc.key)
        if not sources:
            return None
        first = sources[0]
        pages = [Page(url, get_blob(session, snaps[url].sha256), snaps[url].content_type) for url in doc.urls]
        job = Job(doc.id, pages, first.rules, citing=citing_of(self.catalog, doc.key),
                  ignore=tuple(p for s in sources for p in s.ignore), vocabulary=self.settings.vocabulary,
                  accept_shrink=doc.accept_next, rebaseline=rebaseline)
        current = session.get(Version, doc.current_version_id) if doc.current_version_id else None
        if current is not None:
            job.previous_text, job.previous_key, job.previous_words = get_text(session, current.text_sha256), current.key, current.words
        return job

    def run_jobs(self, jobs, apply) -> None:
        """Analyse jobs (an iterator) in a pool, at most `2 * workers` in flight; `apply` each result."""
        if self.workers <= 1:
            for job in jobs:
                apply(analyse(job))
            return
        context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            pending: set[Future] = set()
            for job in jobs:
                pending.add(pool.submit(analyse, job))
                if len(pending) >= 2 * self.workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        apply(fut.result())
            for fut in pending:
                apply(fut.result())

    # -- rebaselines ---------------------------------------------------------------------
    def stale_documents(self, session, keys) -> list[int]:
        """Documents whose current version was extracted with other rules or another extractor."""
        out = []
        rows = session.execute(select(Document.id, Document.key, Version.rules, Version.extractor_version)
                               .join(Version, Version.id == Document.current_version_id)
                               .where(Document.key.in_(list(keys))))
        for doc_id, key, rules, extractor in rows:
            sources = self.catalog.citations(key)
            if sources and (rules != sources[0].rules.to_json() or extractor != EXTRACTOR_VERSION):
                out.append(doc_id)
        return out

    def rebaseline(self, doc_ids) -> dict:
        """Re-extract the snapshots behind each current version with today's rules and extractor.

        A different text becomes a `rebaseline` version: the new baseline for the next diff, never
        a reported change. Returns counts and errors.
        """
        summary = {"documents": 0, "rebaselined": 0, "unchanged": 0, "failed": 0, "errors": []}

        def jobs():
            for doc_id in doc_ids:
                with self.db.session() as session:
                    doc = session.get(Document, doc_id)
                    version = session.get(Version, doc.current_version_id)
                    snaps = {x.url: x for x in session.scalars(select(Snapshot).where(Snapshot.id.in_(version.snapshot_ids)))}
                    job = self.job_for(session, doc, snaps, rebaseline=True) if not set(doc.urls) - set(snaps) else None
                if job is not None:
                    yield job

        def apply(a: Analysis):
            summary["documents"] += 1
            with self.db.session() as session:
                doc = session.get(Document, a.document_id)
                version = session.get(Version, doc.current_version_id)
                if a.problem_kind:
                    summary["failed"] += 1
                    summary["errors"].append({"url": a.problem_url or doc.urls[0], "reason": a.problem})
                elif not a.changed:
                    version.rules, version.extractor_version = self._rules_of(doc), a.extractor_version
                    summary["unchanged"] += 1
                else:
                    self.write_version(session, doc, a, version.snapshot_ids, kind="rebaseline")
                    summary["rebaselined"] += 1

        self.run_jobs(jobs(), apply)
        return summary

    def _rules_of(self, doc: Document) -> dict:
        sources = self.catalog.citations(doc.key)
        return sources[0].rules.to_json() if sources else {}

    # -- the check run -------------------------------------------------------------------
    def process(self, plan: Plan) -> RunSummary:
        s = self.summary
        s.documents = len(plan.documents)
        todo: list[tuple[int, dict]] = []
        with self.db.session() as session:
            stale = self.stale_documents(session, plan.documents)
        if stale:  # a selector fix or an extractor upgrade: new baseline first, so it never reads as a change
            self.rebaseline(stale)
        with self.db.session() as session:
            run = session.get(Run, self.run_id)
            s.started_at = run.started_at.isoformat() + "Z" if run else ""
            fetches = latest_fetches(session, self.run_id)
            snapshots = latest_snapshots(session, {u for urls in plan.documents.values() for u in urls})
            self.open_anomalies = set(session.scalars(select(Anomaly.document_id).where(Anomaly.open.is_(True))))
        keys = list(plan.documents)
        for chunk in range(0, len(keys), TRIAGE_CHUNK):  # short transactions: the lease heartbeat writes too
            with self.db.session() as session:
                docs = session.scalars(select(Document).where(Document.key.in_(keys[chunk:chunk + TRIAGE_CHUNK])))
                for doc in docs:
                    job = self.triage(session, doc, plan.documents[doc.key], fetches, snapshots)
                    if job:
                        todo.append(job)

        def jobs():
            for doc_id, snap_ids in todo:
                with self.db.session() as session:
                    doc = session.get(Document, doc_id)
                    snaps = {u: session.get(Snapshot, i) for u, i in snap_ids.items()}
                    job = self.job_for(session, doc, snaps)
                if job is None:
                    with self.db.session() as session:
                        self._settled(session, session.get(Document, doc_id), "unchanged", snap_ids.values())
                    continue
                yield job

        snap_ids_of = {doc_id: list(ids.values()) for doc_id, ids in todo}
        self.run_jobs(jobs(), lambda a: self.record(a, snap_ids_of[a.document_id]))
        with self.db.session() as session:
            run = session.get(Run, self.run_id)
            if run is not None:
                run.finished_at = utcnow()
                run.status = "completed"
                run.counts = s.counts()
                s.finished_at = run.finished_at.isoformat() + "Z"
        return s

    def triage(self, session, doc: Document, urls: list[str], fetches: dict, snapshots: dict):
        """Settle a document that needs no analysis; else return (document id, {url: snapshot id})."""
        doc_fetches = [fetches.get(u) for u in urls]
        doc.last_fetch_at = utcnow()
        failed = [(u, f) for u, f in zip(urls, doc_fetches) if f is None or f.outcome == "failed"]
        if failed:
            url, f = failed[0]
            reason = f.reason if f is not None else "not fetched (the crawl ended before this page)"
            self._failed(session, doc, url, reason, f.status if f is not None else None)
            return None
        moved = anomalies.moved(session, doc_fetches)
        if moved:
            anomalies.open_(session, doc, moved[0], "moved", moved[1], self.run_id, self.emitter(session))
            self._failed(session, doc, moved[0], moved[1], None, anomaly_done=True)
            return None
        snaps = {u: snapshots[u] for u in urls if u in snapshots}
        if len(snaps) < len(urls):
            self._failed(session, doc, urls[0], "no stored snapshot for every page", None)
            return None
        pending = any(not snap.processed for snap in snaps.values())
        if not pending and doc.current_version_id is not None and not doc.accept_next and not doc.pending:
            self._settled(session, doc, "unchanged", pending_fetches=any(f.outcome == "pending" for f in doc_fetches))
            return None
        return doc.id, {u: snaps[u].id for u in urls}

    def _failed(self, session, doc: Document, url: str, reason: str, status, anomaly_done=False) -> None:
        self.summary.failed += 1
        self.summary.errors.append({"url": url, "reason": reason})
        doc.consecutive_failures += 1
        doc.last_outcome = "failed"
        if not anomaly_done:
            opened = anomalies.for_failure(session, doc, url, reason, status, self.run_id,
                                           self.settings.unreachable_after, self.emitter(session))
            self.summary.anomalies += opened
        else:
            self.summary.anomalies += 1

    def _settled(self, session, doc: Document, outcome: str, snapshot_ids=(), pending_fetches=True) -> None:
        """The document was fetched and read fine: count it, reset failures, close anomalies."""
        setattr(self.summary, outcome, getattr(self.summary, outcome) + 1)
        doc.consecutive_failures = 0
        doc.last_outcome = outcome
        if doc.id in self.open_anomalies:
            anomalies.close_all(session, doc, self.emitter(session), self.run_id)
            self.open_anomalies.discard(doc.id)
        if snapshot_ids:
            session.execute(update(Snapshot).where(Snapshot.id.in_(list(snapshot_ids))).values(processed=True)
                            .execution_options(synchronize_session=False))
        if pending_fetches:
            self._fetch_outcome(session, doc, outcome)

    def _fetch_outcome(self, session, doc: Document, outcome: str, reason: str | None = None) -> None:
        """Turn this run's `pending` fetch records of the document into their final outcome."""
        values = {"outcome": outcome} if reason is None else {"outcome": outcome, "reason": reason}
        session.execute(update(Fetch).where(Fetch.run_id == self.run_id, Fetch.url.in_(doc.urls),
                                            Fetch.outcome == "pending").values(**values)
                        .execution_options(synchronize_session=False))

    # -- writing one analysis ------------------------------------------------------------
    def record(self, a: Analysis, snapshot_ids: list[int]) -> None:
        with self.db.session() as session:
            doc = session.get(Document, a.document_id)
            if a.problem_kind:
                url = a.problem_url or doc.urls[0]  # snapshots stay unprocessed: the next check looks again
                self._fetch_outcome(session, doc, "failed", a.problem)
                if a.problem_kind in ("blocked", "suspicious"):
                    anomalies.open_(session, doc, url, a.problem_kind, a.problem, self.run_id, self.emitter(session))
                    self._failed(session, doc, url, a.problem, None, anomaly_done=True)
                else:
                    self._failed(session, doc, url, a.problem, None)
                return
            if not a.changed:
                doc.pending = None
                self._settled(session, doc, "unchanged", snapshot_ids)
                return
            confirm = max((s.confirm for s in self.catalog.citations(doc.key)), default=1)
            if doc.current_version_id is not None and confirm > 1:
                seen = (doc.pending or {}).get("key") == a.key
                count = (doc.pending or {}).get("count", 0) + 1 if seen else 1
                if count < confirm:
                    doc.pending = {"key": a.key, "count": count}
                    self._settled(session, doc, "unchanged", snapshot_ids)
                    return
            doc.pending = None
            outcome = self.write_version(session, doc, a, snapshot_ids)
            self._settled(session, doc, outcome, snapshot_ids)

    def write_version(self, session, doc: Document, a: Analysis, snapshot_ids, kind: str | None = None) -> str:
        text = a.text.encode("utf-8")
        text_key = sha256(text)
        put_blobs(session, {text_key: text})
        previous = session.get(Version, doc.current_version_id) if doc.current_version_id else None
        snaps = session.scalars(select(Snapshot).where(Snapshot.id.in_(snapshot_ids))).all()
        if kind is None:
            kind = "first" if previous is None else ("flip-back" if self._returns_to_earlier(session, doc, a.key) else "change")
        version = Version(document_id=doc.id, text_sha256=text_key, key=a.key, words=a.words,
                          snapshot_ids=sorted(snapshot_ids), extractor_version=a.extractor_version,
                          rules=self._rules_of(doc),
                          format=a.format, kind=kind,
                          fetched_at=max((s.fetched_at for s in snaps), default=utcnow()))
        session.add(version)
        session.flush()
        doc.current_version_id = version.id
        doc.accept_next = False
        if previous is None:
            return "new"
        change = Change(document_id=doc.id, from_version_id=previous.id, to_version_id=version.id, run_id=self.run_id,
                        kind=kind if kind != "first" else "change", added_words=a.added_words,
                        removed_words=a.removed_words)
        session.add(change)
        for citing, result in a.assessments:
            row = Assessment(profile=citing.profile, source=citing.source, significance=result.significance,
                             reported=result.reported and kind == "change",
                             affected_criteria=list(result.affected_criteria), summary=result.summary)
            row.findings = [Finding(kind=f.kind, criterion=f.criterion, detail=f.detail, section=f.section)
                            for f in result.findings]
            change.assessments.append(row)
        session.flush()
        self.emitter(session)(ChangeRecorded(change.id, doc.id, self.run_id, kind,
                                             tuple(r.profile for r in change.assessments if r.reported)))
        doc.last_change_at = utcnow()
        if kind != "rebaseline":  # a new baseline is not a change of the document
            self.summary.changes.append(change.id)
        return "changed"

    @staticmethod
    def _returns_to_earlier(session, doc: Document, new_key: str) -> bool:
        """A text this document had before (A/B or geo flips): recorded as a flip-back, not reported."""
        return session.scalar(select(func.count(Version.id)).where(Version.document_id == doc.id,
                                                                   Version.key == new_key)) > 0


def process_run(settings: Settings, plan: Plan, catalog: Catalog | None = None, db: Database | None = None,
                archive: Archive | None = None) -> RunSummary:
    from crawler.alerts import outbox

    db = db or open_database(settings.database)
    catalog = catalog or load_catalog(settings.profiles)
    if archive is None:
        archive = Archive(db)
        outbox.attach(archive, settings, catalog)  # alerts are written with the changes they announce
    return Processor(settings, db, catalog, plan.run_id, archive).process(plan)


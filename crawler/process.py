"""The process stage: after a crawl, turn new snapshots into versions, changes and findings.

Plain Python (no Scrapy, no SQL): it decides, the archive records (snapshots.recorder,
snapshots.anomalies, snapshots.runs). Per document of the run: fetch failures become anomalies;
documents whose newest snapshots are all processed are unchanged; the rest are analysed
(crawler.analysis) in a process pool over both cores, a bounded number at a time so memory stays
flat, and the results are recorded here, in the parent. Jobs are read `JOB_CHUNK` documents at a
time and results recorded `RECORD_BATCH` to a transaction (a few queries per batch, not per
document); a crash loses at most one uncommitted batch, whose snapshots stay unprocessed and are
analysed again by the next check. What happened is told as events to the archive's listeners
(progress, logs, the alert outbox).

A re-check whose bytes changed but whose regions did not (markup churn: a session token in a nav
link) is not extracted at all: the fetch stage already compared the regions' keys with those of
the pages the current version was read from (Page.known_regions, crawler.pipelines.same_text) and
stored such a page as processed, so its document is settled here like one answered 304; a
document it could not tell (a page two documents read, a text held back) is analysed, and the
worker compares the keys itself (snapshots.extract.region) and answers unchanged.

Guards never hold a document forever: a text held back as suspicious (a big shrink, an error page
served with 200, a script shell) that is still the same at the next check (or after `confirm`
checks) becomes the current version, recorded as a material change with a finding saying so.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from crawler import crashpoints
from crawler.analysis import Analysis, Citing, Job, Page, analyse, analyse_in_pool, region_check
from crawler.config import Settings
from crawler.fetch_errors import immediate_anomaly
from crawler.pids import die_with_parent
from crawler.profiles import Catalog, Profile, Source, catalog_cache, load_catalog
from crawler.runs import Plan
from diffing.assess import CriterionRef
from snapshots import anomalies, documents, recorder, runs
from snapshots.archive import Archive
from snapshots.extract import EXTRACTOR_VERSION
from snapshots.sql import database_path
from snapshots.kinds import AnomalyKind, FindingKind, Outcome, Significance, VersionKind

TRIAGE_CHUNK = 200  # documents settled per transaction
JOB_CHUNK = 16  # documents whose jobs are read in one go (their bodies are held until analysed)
RECORD_BATCH = 32  # analyses recorded per transaction
IN_PROCESS_JOBS = 4  # fewer jobs than this are analysed in the run's own process: starting workers costs more
GUARD_NAMES = {"shrink": "a big shrink", "error-page": "an error page", "script-shell": "a script shell",
               "truncated-tail": "a text cut off at its end"}


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
    anomalies: int = 0  # opened by this run
    pending_confirmation: int = 0  # documents whose new text waits for `confirm` checks

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome] += 1

    def __post_init__(self):
        self.outcomes: Counter = Counter()

    def counts(self) -> dict:
        return {"documents": self.documents, **{str(o): self.outcomes[o] for o in
                                                 (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED, Outcome.FAILED)},
                "anomalies": self.anomalies}

    def to_json(self) -> dict:
        self.sync()
        return {k: v for k, v in self.__dict__.items() if k != "outcomes"}

    def sync(self) -> None:
        self.new, self.changed = self.outcomes[Outcome.NEW], self.outcomes[Outcome.CHANGED]
        self.unchanged, self.failed = self.outcomes[Outcome.UNCHANGED], self.outcomes[Outcome.FAILED]


def criteria_refs(profile: Profile, source: Source) -> list[CriterionRef]:
    return [CriterionRef(id=c.id, label=c.label, rating=c.rating, watch=c.watch + c.themes,
                         evidence=tuple(e.quote for e in c.evidence if e.source == source.id))
            for c in profile.criteria_citing(source.id)]


def citing_of(catalog: Catalog, key: str) -> list[Citing]:
    return [Citing(s.profile, s.id, s.label, criteria_refs(catalog.profiles[s.profile], s)) for s in catalog.citations(key)]


class Processor:
    """Processes the documents of one run; at most `in_flight()` jobs and one chunk of jobs (and their
    bodies, when they travel with the jobs) are held at once."""

    def __init__(self, settings: Settings, archive: Archive, catalog: Catalog, run_id: str):
        if not isinstance(archive, Archive):  # a bare Database: no listeners
            archive = Archive(archive)
        self.settings, self.archive, self.catalog, self.run_id = settings, archive, catalog, run_id
        self.summary = RunSummary(run_id)
        self.workers = pool_workers(settings)
        self.open_anomalies: set[int] = set()
        self.keys: dict[int, str] = {}  # document id -> key, of the documents of the run
        self.settling: list | None = None  # while a batch is recorded: its settled documents, in order
        self.writing: list = []  # while a batch is recorded: its new versions, written before its settlements
        self.had: set | None = None  # while a batch is recorded: (document id, key) of texts its documents had
        self.fetched_at: dict = {}  # document id -> when its newest snapshot of the run was fetched
        self.store: str | None = None  # while a pool analyses: the database its workers read bodies from

    # -- building jobs -------------------------------------------------------------------
    def jobs_for(self, session, docs: list[documents.DocumentState], snap_ids: dict[int, dict[str, int]],
                 rebaseline=False) -> list[tuple[documents.DocumentState, Job | None]]:
        """(document, its job) for each of `docs`, whose pages are the snapshots `snap_ids[doc.id]`
        ({url: snapshot id}); the job is None for a document nobody cites. Read in a few queries
        for all of them, not a few per document."""
        facts = recorder.snapshot_facts(session, [i for d in docs for i in snap_ids[d.id].values()])
        # a pool's workers read the current texts they need (only a changed document's) themselves
        currents = recorder.current_versions(session, {d.current_version_id for d in docs} - {None},
                                             texts=not self.store)
        built = []
        for doc in docs:
            sources = self.catalog.citations(doc.key)
            if not sources:
                built.append((doc, None, None))
                continue
            pending = doc.pending or {}
            job = Job(doc.id, [], sources[0].rules, citing=citing_of(self.catalog, doc.key),
                      ignore=tuple(p for s in sources for p in s.ignore), vocabulary=self.settings.vocabulary,
                      accept_shrink=doc.accept_next, rebaseline=rebaseline,
                      accept_key=pending.get("key") if pending.get("guard") and self._guard_due(doc) else None)
            current = currents.get(doc.current_version_id)
            if current is not None:
                job.previous_text, job.previous_key, job.previous_words = current.text, current.key, current.words
                job.previous_blob = current.text_sha256
                # markup churn is told from a change by the region keys of pages that gave the current text
                keys = [(doc.region_keys or {}).get(url) for url in doc.urls]
                if all(keys) and region_check(job):
                    job.previous_region_keys = keys
            built.append((doc, job, current))
        bodies = {} if self.store else recorder.bodies(session, facts.values())  # else the workers read them
        for doc, job, _ in built:
            if job is None:
                continue
            snaps = {url: facts[i] for url, i in snap_ids[doc.id].items()}
            self.fetched_at[doc.id] = max(f.fetched_at for f in snaps.values())
            job.pages = [Page(url, bodies.get(snaps[url].sha256), snaps[url].content_type, snaps[url].sha256)
                         for url in doc.urls]
            job.store = self.store
        return [(doc, job) for doc, job, _ in built]

    def _follows_moves(self, key: str) -> bool:
        """A moved document is followed (follow_moves): its new place continues its history."""
        sources = self.catalog.citations(key)
        return bool(sources) and any(s.follow_moves if s.follow_moves is not None else self.settings.follow_moves
                                     for s in sources)

    def _confirm(self, key: str) -> int:
        return max((s.confirm for s in self.catalog.citations(key)), default=1)

    def _guard_due(self, doc: documents.DocumentState) -> bool:
        """The held text has been seen often enough: one more identical sighting makes it current."""
        return (doc.pending or {}).get("count", 0) + 1 >= max(2, self._confirm(doc.key))

    def run_jobs(self, jobs, apply, count: int | None = None) -> None:
        """Analyse jobs (an iterator of `count`, when known) in a pool, at most `in_flight()` at once;
        `apply` each result."""
        if self.workers <= 1 or (count is not None and count < IN_PROCESS_JOBS):
            for job in jobs:
                apply(analyse(job))
            return
        context = pool_context()
        url = self.archive.db.url
        self.store = url if not url.startswith("sqlite") or database_path(url) else None  # not in memory
        try:
            self._pool(context, jobs, apply)
        finally:
            self.store = None

    def in_flight(self) -> int:
        """Jobs submitted to the pool and not yet applied: two per worker, and while the workers read
        the bodies themselves (small jobs) one more batch of results, so that they go on analysing
        while this process records a batch (recording 32 changes took as long as analysing them,
        and the workers waited)."""
        return 2 * self.workers + (RECORD_BATCH if self.store else 0)

    def _pool(self, context, jobs, apply) -> None:
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            pending: set[Future] = set()
            for job in jobs:
                pending.add(pool.submit(analyse_in_pool, job))
                if len(pending) >= self.in_flight():
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        apply(fut.result())
            for fut in pending:
                apply(fut.result())

    # -- rebaselines ---------------------------------------------------------------------
    def _rules_of(self, key: str) -> dict:
        sources = self.catalog.citations(key)
        return sources[0].rules.to_json() if sources else {}

    def stale_documents(self, session, keys) -> list[int]:
        """Documents whose current version was extracted with other rules or another extractor."""
        return [doc_id for doc_id, key, rules, extractor in recorder.versions_of_rules(session, keys)
                if self.catalog.citations(key) and (rules != self._rules_of(key) or extractor != EXTRACTOR_VERSION)]

    def rebaseline(self, doc_ids) -> dict:
        """Re-extract the snapshots behind each current version with today's rules and extractor.

        A different text becomes a `rebaseline` version: the new baseline for the next diff, never
        a reported change. Returns counts and errors.
        """
        summary = {"documents": 0, "rebaselined": 0, "unchanged": 0, "failed": 0, "errors": []}

        def jobs():
            for doc_id in doc_ids:
                with self.archive.reading() as session:
                    doc = documents.state(session, doc_id)
                    current = recorder.current_version(session, doc.current_version_id)
                    snaps = recorder.snapshots_by_id(session, current.snapshot_ids)
                    if set(doc.urls) - set(snaps):
                        continue
                    [(_, job)] = self.jobs_for(session, [doc], {doc.id: {u: snaps[u].id for u in doc.urls}},
                                               rebaseline=True)
                if job is not None:
                    yield job

        def apply(a: Analysis):
            summary["documents"] += 1
            with self.archive.transaction() as tx:
                doc = documents.state(tx.session, a.document_id)
                current = recorder.current_version(tx.session, doc.current_version_id)
                if a.problem_kind:
                    summary["failed"] += 1
                    summary["errors"].append({"url": a.problem_url or doc.urls[0], "reason": a.problem})
                elif not a.changed:
                    recorder.keep_version(tx, current.id, self._rules_of(doc.key), a.extractor_version)
                    recorder.same_text_regions(tx, doc.id, self._region_keys(doc, a))
                    summary["unchanged"] += 1
                else:
                    recorder.write_version(tx, doc.id, self._record(a, doc), current.snapshot_ids,
                                           VersionKind.REBASELINE, self.run_id)
                    summary["rebaselined"] += 1

        self.run_jobs(jobs(), apply, count=len(doc_ids))
        return summary

    # -- the check run -------------------------------------------------------------------
    def process(self, plan: Plan) -> RunSummary:
        s = self.summary
        s.documents = len(plan.documents)
        todo: list[tuple[int, dict]] = []
        with self.archive.reading() as session:
            stale = self.stale_documents(session, plan.documents)
        if stale:  # a selector fix or an extractor upgrade: new baseline first, so it never reads as a change
            self.rebaseline(stale)
        with self.archive.reading() as session:
            started = runs.started_at(session, self.run_id)
            s.started_at = started.isoformat() + "Z" if started else ""
            fetches = recorder.run_fetches(session, self.run_id)
            snapshots = recorder.newest_snapshots(session, {u for urls in plan.documents.values() for u in urls})
            self.open_anomalies = anomalies.open_document_ids(session)
        keys = list(plan.documents)
        for chunk in range(0, len(keys), TRIAGE_CHUNK):  # short transactions: the lease heartbeat writes too
            with self.archive.transaction() as tx:
                rows: list = []  # held for the writes below
                states = documents.states(tx.session, keys[chunk:chunk + TRIAGE_CHUNK], hold=rows)
                for doc in states:
                    self.keys[doc.id] = doc.key
                    job = self.triage(tx, doc, plan.documents[doc.key], fetches, snapshots)
                    if job:
                        todo.append(job)
                del rows
            crashpoints.reached("process.triaged")

        snap_ids = dict(todo)

        def jobs():
            for chunk in range(0, len(todo), JOB_CHUNK):
                with self.archive.reading() as session:
                    docs = documents.states(session, [self.keys[doc_id] for doc_id, _ in todo[chunk:chunk + JOB_CHUNK]])
                    built = self.jobs_for(session, docs, snap_ids)
                for doc, job in built:
                    if job is None:
                        with self.archive.transaction() as tx:
                            self._settled(tx, doc, Outcome.UNCHANGED, snap_ids[doc.id].values())
                    else:
                        yield job

        analysed: list[Analysis] = []

        def record(a: Analysis | None) -> None:
            if a is not None:
                analysed.append(a)
            if len(analysed) >= RECORD_BATCH or (a is None and analysed):
                self.record([(a, list(snap_ids[a.document_id].values())) for a in analysed])
                analysed.clear()

        self.run_jobs(jobs(), record, count=len(todo))
        record(None)
        s.sync()
        with self.archive.transaction() as tx:
            finished = runs.finish(tx, self.run_id, s.counts())
            s.finished_at = finished.isoformat() + "Z" if finished else ""
        crashpoints.reached("run.finished")
        return s

    def triage(self, tx, doc: documents.DocumentState, urls: list[str], fetches: dict, snapshots: dict):
        """Settle a document that needs no analysis; else return (document id, {url: snapshot id})."""
        doc_fetches = [fetches.get(u) for u in urls]
        recorder.fetched(tx, doc.id)
        failed = [(u, f) for u, f in zip(urls, doc_fetches) if f is None or f.outcome == Outcome.FAILED]
        if failed:
            url, f = failed[0]
            reason = f.reason if f is not None else "not fetched (the crawl ended before this page)"
            self._failed(tx, doc, url, reason, f.status if f is not None else None)
            return None
        move = None if self._follows_moves(doc.key) else anomalies.moved(tx.session, doc_fetches)
        if move:
            self._anomaly(tx, doc, move.url, AnomalyKind.MOVED, move.detail)
            self._failed(tx, doc, move.url, move.detail, None, anomaly_done=True)
            return None
        snaps = {u: snapshots[u] for u in urls if u in snapshots}
        if len(snaps) < len(urls):
            self._failed(tx, doc, urls[0], "no stored snapshot for every page", None)
            return None
        pending = any(not snap.processed for snap in snaps.values())
        if not pending and doc.current_version_id is not None and not doc.accept_next and not doc.pending:
            self._settled(tx, doc, Outcome.UNCHANGED,
                          pending_fetches=any(f.outcome == Outcome.PENDING for f in doc_fetches))
            return None
        return doc.id, {u: snaps[u].id for u in urls}

    def _anomaly(self, tx, doc, url: str, kind: AnomalyKind, detail: str) -> None:
        if anomalies.open_(tx, doc.id, url, kind, detail, self.run_id):
            self.summary.anomalies += 1
        self.open_anomalies.add(doc.id)

    def _failed(self, tx, doc, url: str, reason: str, status, anomaly_done=False) -> None:
        self.summary.count(Outcome.FAILED)
        self.summary.errors.append({"url": url, "reason": reason})
        failures = recorder.failed(tx, doc.id, self.run_id, reason)
        if anomaly_done:
            return
        at_once = immediate_anomaly(reason)  # robots.txt refusals and refused destinations are not transient
        if status in (404, 410):
            self._anomaly(tx, doc, url, AnomalyKind.GONE, f"{reason}: the last good version is kept")
        elif status in (401, 403, 429) or (reason or "").startswith("bot challenge") or at_once == AnomalyKind.BLOCKED:
            self._anomaly(tx, doc, url, AnomalyKind.BLOCKED, reason)
        if failures >= self.settings.unreachable_after or at_once == AnomalyKind.UNREACHABLE:
            self._anomaly(tx, doc, url, AnomalyKind.UNREACHABLE, f"{failures} consecutive failed checks; last: {reason}")

    def _settled(self, tx, doc, outcome: Outcome, snapshot_ids=(), pending_fetches=True) -> None:
        """The document was fetched and read fine: count it, reset failures, close anomalies."""
        self.summary.count(outcome)
        if self.settling is not None:  # recording a batch: written together at its end
            self.settling.append((doc.id, outcome, list(snapshot_ids), pending_fetches))
        else:
            recorder.settled(tx, doc.id, self.run_id, outcome, snapshot_ids, pending_fetches)
        if doc.id in self.open_anomalies:
            anomalies.close_all(tx, doc.id, self.run_id)
            self.open_anomalies.discard(doc.id)

    # -- recording one analysis ----------------------------------------------------------
    def record(self, batch: list[tuple[Analysis, list[int]]]) -> None:
        """Record analyses (with their snapshot ids) in one transaction: all of them or, after a crash,
        none (their snapshots stay unprocessed and the next check analyses them again)."""
        for _ in batch:
            crashpoints.reached("process.analysed")
        with self.archive.transaction() as tx:
            rows = recorder.load_documents(tx.session, [a.document_id for a, _ in batch])  # one query, not one each
            self.had = recorder.texts_had(tx.session, [(a.document_id, a.key) for a, _ in batch if a.changed])
            self.settling = []
            try:
                for a, snapshot_ids in batch:
                    self._record_in(tx, a, snapshot_ids)
                self._settle_batch(tx)
            finally:
                self.settling, self.had = None, None
                self.writing.clear()
            del rows
        for _ in batch:
            crashpoints.reached("record.committed")

    def _settle_batch(self, tx) -> None:
        """Write the settlements of the batch so far (before anything else touches fetch records)."""
        if self.writing:
            written = recorder.write_versions(tx, [(doc.id, record, ids, kind) for doc, record, ids, kind, _ in
                                                   self.writing], self.run_id)
            for (doc, _, _, _, guard), (_, change_id) in zip(self.writing, written):
                self._written(tx, doc, guard, change_id)
            self.writing.clear()
        if self.settling:
            recorder.settled_many(tx, self.run_id, self.settling)
            self.settling.clear()

    def _fetch_outcome(self, tx, urls, outcome: Outcome, reason: str | None) -> None:
        if self.settling is not None:
            self._settle_batch(tx)
        recorder.fetch_outcome(tx, urls, self.run_id, outcome, reason)

    def _record_in(self, tx, a: Analysis, snapshot_ids: list[int]) -> None:
        doc = documents.state(tx.session, a.document_id)
        if a.moved_to:  # a redirect stub: the document lives elsewhere now
            url = a.problem_url or doc.urls[0]
            self._fetch_outcome(tx, doc.urls, Outcome.FAILED, a.problem)
            detail = (f"{url} is a redirect stub pointing at {a.moved_to}; update the source's url "
                      f"(no version recorded meanwhile)")
            self._anomaly(tx, doc, url, AnomalyKind.MOVED, detail)
            self._failed(tx, doc, url, detail, None, anomaly_done=True)
            return
        if a.problem_kind and a.guard:  # held back; it becomes current if it is still so next time
            self._hold(tx, doc, a, snapshot_ids)
            return
        if a.problem_kind:
            url = a.problem_url or doc.urls[0]  # snapshots stay unprocessed: the next check looks again
            self._fetch_outcome(tx, doc.urls, Outcome.FAILED, a.problem)
            if a.problem_kind in (AnomalyKind.BLOCKED, AnomalyKind.SUSPICIOUS):
                self._anomaly(tx, doc, url, AnomalyKind(a.problem_kind), a.problem)
                self._failed(tx, doc, url, a.problem, None, anomaly_done=True)
            else:
                self._failed(tx, doc, url, a.problem, None)
            return
        if not a.changed:
            recorder.set_pending(tx, doc.id, None)
            if not a.same_regions:  # extracted: these pages' keys stand for the current text as well
                recorder.same_text_regions(tx, doc.id, self._region_keys(doc, a))
            self._settled(tx, doc, Outcome.UNCHANGED, snapshot_ids)
            return
        confirm = self._confirm(doc.key)
        if doc.current_version_id is not None and confirm > 1 and not a.guard:
            pending = doc.pending or {}
            count = pending.get("count", 0) + 1 if pending.get("key") == a.key else 1
            if count < confirm:
                recorder.set_pending(tx, doc.id, {"key": a.key, "count": count})
                self.summary.pending_confirmation += 1
                self._settled(tx, doc, Outcome.UNCHANGED, snapshot_ids)
                return
        recorder.set_pending(tx, doc.id, None)
        outcome = self.write_version(tx, doc, a, snapshot_ids)
        self._settled(tx, doc, outcome, snapshot_ids)

    def _hold(self, tx, doc, a: Analysis, snapshot_ids) -> None:
        """A guard held the text back: remember it and open (or keep) the anomaly."""
        pending = doc.pending or {}
        count = pending.get("count", 0) + 1 if pending.get("guard") and pending.get("key") == a.key else 1
        recorder.set_pending(tx, doc.id, {"guard": a.guard, "key": a.key, "count": count})
        url = a.problem_url or doc.urls[0]
        self._anomaly(tx, doc, url, AnomalyKind.SUSPICIOUS, a.problem)
        # this run could not believe the text: it counts as failed now (exit 3), but the document is not
        # failing (no consecutive failure); the snapshots stay unprocessed so the next check reads them again
        self.summary.count(Outcome.FAILED)
        self.summary.errors.append({"url": url, "reason": a.problem})
        self._fetch_outcome(tx, doc.urls, Outcome.FAILED, a.problem)

    def write_version(self, tx, doc, a: Analysis, snapshot_ids) -> Outcome:
        if doc.current_version_id is None:
            kind = VersionKind.FIRST
        elif ((doc.id, a.key) in self.had if self.had is not None else recorder.had_text(tx.session, doc.id, a.key)):
            kind = VersionKind.FLIP_BACK  # a text this document had before (A/B or geo flips): not reported again
        else:
            kind = VersionKind.CHANGE
        record = self._record(a, doc)
        if self.settling is not None:  # recording a batch: its versions are written together (_settle_batch)
            self.writing.append((doc, record, list(snapshot_ids), kind, bool(a.guard)))
            return Outcome.NEW if doc.current_version_id is None else Outcome.CHANGED
        _, change_id = recorder.write_version(tx, doc.id, record, snapshot_ids, kind, self.run_id)
        self._written(tx, doc, bool(a.guard), change_id)
        return Outcome.NEW if change_id is None else Outcome.CHANGED

    def _written(self, tx, doc, guarded: bool, change_id: int | None) -> None:
        crashpoints.reached("record.version")
        if guarded and doc.id in self.open_anomalies:  # the held text became current: its anomaly is over
            anomalies.close_all(tx, doc.id, self.run_id, kinds=[AnomalyKind.SUSPICIOUS])
        if change_id is not None:
            self.summary.changes.append(change_id)

    @staticmethod
    def _region_keys(doc: documents.DocumentState, a: Analysis) -> dict | None:
        """{url: region key} of the analysed pages, when every page has one."""
        keys = a.region_keys or []
        return dict(zip(doc.urls, keys)) if len(keys) == len(doc.urls) and all(keys) else None

    def _record(self, a: Analysis, doc: documents.DocumentState) -> recorder.VersionRecord:
        key = doc.key
        out = recorder.VersionRecord(a.text, a.key, a.words, a.format, a.extractor_version, self._rules_of(key),
                                     a.added_words, a.removed_words, fetched_at=self.fetched_at.get(a.document_id),
                                     region_keys=self._region_keys(doc, a), text_blob=a.text_blob)
        for citing, result in a.assessments:
            findings = [(f.kind, f.criterion, f.detail, f.section) for f in result.findings]
            significance, alertable, summary = result.significance, result.reported, result.summary
            if a.guard:  # a held text became current: that is material whatever the diff says
                detail = guard_finding(a)
                findings.insert(0, (FindingKind.STRUCTURE, None, detail, None))
                significance, alertable = Significance.MATERIAL, True
                summary = f"{citing.label}: {detail}" + (f" — {summary}" if summary else "")
            out.assessments.append(recorder.AssessmentRecord(citing.profile, citing.source, significance, alertable,
                                                             list(result.affected_criteria), summary, findings))
        return out


def pool_workers(settings: Settings) -> int:
    """How many workers analyse a run's documents (setting `processes`; 0 = one per core)."""
    return settings.processes or os.cpu_count() or 1


def pool_context():
    """The pool's start method: forkserver (workers fork with the analysis code imported), else spawn."""
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["crawler.analysis"])
    return context


def warm_pool(settings: Settings) -> None:
    """Start the pool's forkserver now, while pages are still being fetched, so that its imports are
    done when the process stage needs workers (the crawl calls this once it has stored enough new
    content for a pool; see SnapshotPipeline). Does nothing when the stage would not use a pool."""
    if pool_workers(settings) > 1 and pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def guard_finding(a: Analysis) -> str:
    if a.guard == "shrink":
        return f"the document shrank from {a.previous_words:,} to {a.words:,} words"
    if a.guard == "truncated-tail":
        return f"the document now ends {a.removed_words:,} words earlier (seen by two fetches)"
    return f"{GUARD_NAMES.get(a.guard, a.guard)} persisted over two checks and is now the current text ({a.words:,} words)"


def process_run(settings: Settings, plan: Plan, catalog: Catalog | None = None, archive=None) -> RunSummary:
    """Process a run's documents; without an archive (`scrapy crawl documents`) open one with the listeners."""
    catalog = catalog or load_catalog(settings.profiles, cache=catalog_cache(settings))
    if archive is None:
        from crawler.listeners import attach_listeners

        archive = Archive.open(settings.database)
        attach_listeners(archive, settings=settings, catalog=catalog)
    return Processor(settings, archive, catalog, plan.run_id).process(plan)

"""The process stage's pool: workers read the pages' bodies from the database themselves, a run with
few documents is analysed without starting workers, and both give the same archive as one process.

In-process (no Scrapy): fetch results are written with the fetch stage's SnapshotWriter, then the
process stage runs as after a crawl, with `CLAUSEWATCH_PROCESSES=2`.
"""

from __future__ import annotations

import pytest

from crawler import analysis
from crawler.config import load_settings
from crawler.process import IN_PROCESS_JOBS, Processor
from crawler.profiles import load_catalog
from crawler.runs import prepare_run
from snapshots.archive import Archive
from snapshots.db import Database
from snapshots.models import Document, Version
from snapshots.store import FetchResult, SnapshotWriter, last_snapshots

PARAGRAPH = ("Customer data is stored in Ireland and deleted thirty days after the end of the contract. "
             "Sub-processors are listed on the trust centre and customers are told before a new one is added. ")


def page(n: int, token: str, edit: str = "") -> bytes:
    nav = f"<nav><a href='/pricing?session={token}'>Pricing</a></nav>"
    body = "".join(f"<p>{PARAGRAPH}{i}</p>" for i in range(15))
    return (f"<html><body>{nav}<main><h1>Policy {n}</h1>{body}<p>{edit}</p></main></body></html>").encode()


class Run:
    def __init__(self, home, documents: int, processes: int = 2):
        self.urls = {f"p{n}": f"http://127.0.0.1:9/policy/{n}" for n in range(documents)}
        home.simple_profile("acme", self.urls)
        home.env["CLAUSEWATCH_PROCESSES"] = str(processes)
        self.settings = load_settings(environ=home.env)
        self.catalog = load_catalog(home.profiles)
        self.archive = Archive(Database(home.database_url))

    def store(self, bodies: dict[str, bytes]):
        """What the fetch stage stores for a run; its plan."""
        plan = prepare_run(self.archive, self.catalog, self.catalog.sources())
        with self.archive.reading() as s:
            known = last_snapshots(s, list(bodies))
        writer = SnapshotWriter(self.archive.db, known=known)
        for url, body in bodies.items():
            writer.add(FetchResult(url=url, run_id=plan.run_id, status=200, final_url=url, body=body,
                                   headers={"content-type": "text/html; charset=utf-8"}))
        writer.flush()
        return plan

    def check(self, bodies: dict[str, bytes]):
        plan = self.store(bodies)
        processor = Processor(self.settings, self.archive, self.catalog, plan.run_id)
        summary = processor.process(plan)
        summary.sync()
        return summary

    def texts(self) -> dict[str, tuple]:
        """{document: (words, text sha256, text)} of the current versions, the text read back from its blob."""
        from snapshots.store import get_text

        with self.archive.reading() as s:
            versions = {d.key: s.get(Version, d.current_version_id) for d in s.query(Document)}
            return {key: (v.words, v.text_sha256, get_text(s, v.text_sha256)) for key, v in versions.items()}


def bodies(run, token, edited=()):
    return {url: page(n, token, "We now also store it in the United States." if n in edited else "")
            for n, url in enumerate(run.urls.values())}


def test_pool_workers_read_bodies_from_the_database_and_record_what_one_process_records(any_home, tmp_path):
    pooled = Run(any_home, documents=IN_PROCESS_JOBS + 2)
    first = pooled.check(bodies(pooled, "a"))
    assert first.new == len(pooled.urls) and not first.errors
    churn = pooled.check(bodies(pooled, "b"))
    assert churn.unchanged == len(pooled.urls) and churn.changed == 0
    edited = pooled.check(bodies(pooled, "c", edited={1, 4}))
    assert edited.changed == 2 and edited.unchanged == len(pooled.urls) - 2

    from conftest import Home

    alone = Run(Home(tmp_path / "alone"), documents=IN_PROCESS_JOBS + 2, processes=1)
    for token, edit in (("a", ()), ("b", ()), ("c", {1, 4})):
        alone.check(bodies(alone, token, edit))
    assert alone.texts() == pooled.texts()


def test_a_job_for_the_pool_carries_blob_keys_and_the_worker_reads_bodies_and_the_current_text(home):
    from snapshots import documents, recorder

    run = Run(home, documents=2)
    run.check(bodies(run, "a"))
    plan = run.store(bodies(run, "b", edited={0}))
    processor = Processor(run.settings, run.archive, run.catalog, plan.run_id)
    processor.store = run.archive.db.url
    with run.archive.reading() as s:
        docs = sorted(documents.states(s, list(plan.documents)), key=lambda d: d.urls)
        snaps = recorder.newest_snapshots(s, [u for urls in plan.documents.values() for u in urls])
        built = processor.jobs_for(s, docs, {d.id: {u: snaps[u].id for u in d.urls} for d in docs})
    jobs = [job for _, job in built]
    assert all(p.body is None and p.blob for job in jobs for p in job.pages)
    assert all(job.store == run.archive.db.url and job.previous_text is None and job.previous_blob for job in jobs)
    edited = analysis.analyse(jobs[0])  # what a worker does: bodies from the store, the current text when needed
    assert edited.changed and edited.added_words == 9 and "United States" in edited.text
    assert jobs[0].previous_text is not None and jobs[0].pages[0].body.startswith(b"<html>")
    churn = analysis.analyse(jobs[1])
    assert churn.same_regions and not churn.changed and jobs[1].previous_text is None  # never read


def test_a_run_with_few_documents_starts_no_pool(home, monkeypatch):
    import crawler.process

    run = Run(home, documents=IN_PROCESS_JOBS - 1)
    monkeypatch.setattr(crawler.process, "ProcessPoolExecutor", lambda *a, **k: pytest.fail("a pool was started"))
    assert run.check(bodies(run, "a")).new == IN_PROCESS_JOBS - 1


def test_warm_pool_starts_the_forkserver_with_the_analysis_code_once():
    """warm_pool (called by the fetch pipeline once enough new content came in) starts the forkserver
    the process stage's workers fork from, with the analysis code imported, while pages still come in."""
    from multiprocessing import forkserver

    from crawler.config import Settings
    from crawler.pids import process_alive
    from crawler.process import warm_pool

    warm_pool(Settings(processes=2))
    server = forkserver._forkserver._forkserver_pid
    assert server and process_alive(server)
    assert "crawler.analysis" in forkserver._forkserver._preload_modules
    warm_pool(Settings(processes=2))  # once started, it stays the one server
    assert forkserver._forkserver._forkserver_pid == server


def test_the_pool_keeps_a_batch_of_jobs_queued_while_this_process_records(home):
    """Recording a batch of results blocks this process: the workers have the next batch to analyse
    meanwhile, and no more than that is held."""
    from snapshots import documents, recorder
    from crawler.process import RECORD_BATCH

    run = Run(home, documents=RECORD_BATCH + 12)
    plan = run.store(bodies(run, "a"))
    processor = Processor(run.settings, run.archive, run.catalog, plan.run_id)
    with run.archive.reading() as s:
        docs = documents.states(s, list(plan.documents))
        snaps = recorder.newest_snapshots(s, [u for urls in plan.documents.values() for u in urls])
        processor.store = run.archive.db.url  # as run_jobs sets it: the workers read the bodies
        jobs = [job for _, job in processor.jobs_for(s, docs, {d.id: {u: snaps[u].id for u in d.urls} for d in docs})]
        processor.store = None
    submitted, applied, outstanding = [], [], []

    def feed():
        for job in jobs:
            submitted.append(job.document_id)
            yield job

    def apply(result):
        outstanding.append(len(submitted) - len(applied))
        applied.append(result.document_id)

    processor.run_jobs(feed(), apply, count=len(jobs))
    assert sorted(applied) == sorted(j.document_id for j in jobs)
    assert outstanding[0] >= RECORD_BATCH + 2 * processor.workers  # queued before the first result is applied
    assert max(outstanding) <= RECORD_BATCH + 2 * processor.workers


def test_a_batch_writes_its_versions_in_one_statement_and_tells_changes_from_flip_backs(home):
    """The versions of a recorded batch go in one INSERT (a flush per version cost more than the
    extraction), the flip-backs among them are found in one query, and every change names the
    versions of its own document."""
    from sqlalchemy import event, select

    from snapshots.models import Change

    run = Run(home, documents=IN_PROCESS_JOBS + 4, processes=1)
    statements: list[str] = []
    event.listen(run.archive.db.engine, "before_cursor_execute", lambda *a: statements.append(" ".join(a[2].split())))

    def inserts(table):
        return [s for s in statements if s.startswith(f"INSERT INTO {table} ")]

    first = run.check(bodies(run, "a"))
    assert first.new == len(run.urls) and len(inserts("versions")) == 1
    statements.clear()
    edited = run.check(bodies(run, "b", edited={1, 4, 6}))
    assert edited.changed == 3 and len(inserts("versions")) == 1
    assert len([s for s in statements if s.startswith("SELECT DISTINCT versions.document_id")]) == 1
    back = run.check(bodies(run, "c", edited={1}))  # 4 and 6 return to a text they had: flip-backs
    assert back.changed == 2
    with run.archive.reading() as s:
        changes = s.scalars(select(Change).order_by(Change.id)).all()
        versions = {v.id: v for v in s.scalars(select(Version))}
        keys = {d.id: d.key for d in s.query(Document)}
        assessed = [bool(c.assessments) for c in changes]
    assert [keys[c.document_id] for c in changes] == [run.urls[p] for p in ("p1", "p4", "p6", "p4", "p6")]
    assert [c.kind for c in changes] == ["change"] * 3 + ["flip-back"] * 2
    for c in changes:
        assert versions[c.from_version_id].document_id == versions[c.to_version_id].document_id == c.document_id
        assert c.from_version_id < c.to_version_id
    assert assessed[:3] == [True] * 3


def test_documents_with_the_same_text_in_one_pooled_batch_share_one_blob(any_home):
    from snapshots.models import Blob

    run = Run(any_home, documents=IN_PROCESS_JOBS + 1)
    summary = run.check({url: page(0, "a") for url in run.urls.values()})  # every page the same text
    assert summary.new == len(run.urls) and not summary.errors
    texts = run.texts()
    assert len({sha for _, sha, _ in texts.values()}) == 1 and "Policy 0" in next(iter(texts.values()))[2]
    with run.archive.reading() as s:
        assert s.query(Blob).filter(Blob.sha256 == next(iter(texts.values()))[1]).count() == 1

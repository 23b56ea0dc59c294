"""Re-extraction: rebuild each document's current version from its stored snapshots.

After a selector fix or an extractor upgrade, the snapshots behind every current version are
extracted again with the current rules; a different text becomes a `rebaseline` version (and a
change of kind `rebaseline`), never a reported change. Nothing is fetched.
"""

from __future__ import annotations

from sqlalchemy import select

from crawler.process import Processor
from crawler.runs import new_run_id, sync_catalog
from snapshots.models import Document, Run, Snapshot, Version, utcnow


def reextract(settings, db, catalog, profile_ids=()) -> dict:
    run_id = new_run_id()
    keys = {s.key for s in catalog.sources(profile_ids)}
    proc = Processor(settings, db, catalog, run_id)
    summary = {"run_id": run_id, "documents": 0, "rebaselined": 0, "unchanged": 0, "failed": 0, "errors": []}
    with db.session() as s:
        sync_catalog(s, catalog)
        s.add(Run(id=run_id, kind="reextract", started_at=utcnow()))
        todo = [d.id for d in s.scalars(select(Document).where(Document.key.in_(keys),
                                                               Document.current_version_id.is_not(None)))]

    def jobs():
        for doc_id in todo:
            with db.session() as s:
                doc = s.get(Document, doc_id)
                version = s.get(Version, doc.current_version_id)
                snaps = {x.url: x for x in s.scalars(select(Snapshot).where(Snapshot.id.in_(version.snapshot_ids)))}
                if set(doc.urls) - set(snaps):
                    continue
                job = proc.job_for(s, doc, snaps, rebaseline=True)
                if job is not None:
                    yield job

    def apply(a):
        summary["documents"] += 1
        with db.session() as s:
            doc = s.get(Document, a.document_id)
            if a.problem_kind:
                summary["failed"] += 1
                summary["errors"].append({"url": a.problem_url or doc.urls[0], "reason": a.problem})
            elif not a.changed:
                summary["unchanged"] += 1
            else:
                version = s.get(Version, doc.current_version_id)
                proc.write_version(s, doc, a, version.snapshot_ids, kind="rebaseline")
                summary["rebaselined"] += 1

    proc.run_jobs(jobs(), apply)
    with db.session() as s:
        run = s.get(Run, run_id)
        run.finished_at, run.status = utcnow(), "completed"
        run.counts = {k: v for k, v in summary.items() if isinstance(v, int)}
    return summary

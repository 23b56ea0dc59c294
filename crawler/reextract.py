"""Re-extraction: rebuild each document's current version from its stored snapshots.

After a selector fix or an extractor upgrade, the snapshots behind every current version are
extracted again with the current rules (crawler.process.Processor.rebaseline); a different text
becomes a `rebaseline` version, never a reported change. Nothing is fetched. `check` does the same
by itself for documents whose rules changed since their current version.
"""

from __future__ import annotations

from sqlalchemy import select

from crawler.process import Processor
from crawler.runs import new_run_id, sync_catalog
from snapshots.models import Document, Run, utcnow


def reextract(settings, db, catalog, profile_ids=(), run_id: str | None = None) -> dict:
    run_id = run_id or new_run_id()
    keys = {s.key for s in catalog.sources(profile_ids)}
    with db.session() as s:
        sync_catalog(s, catalog)
        s.add(Run(id=run_id, kind="reextract", started_at=utcnow()))
        todo = list(s.scalars(select(Document.id).where(Document.key.in_(keys), Document.current_version_id.is_not(None))))
    summary = {"run_id": run_id, **Processor(settings, db, catalog, run_id).rebaseline(todo)}
    with db.session() as s:
        run = s.get(Run, run_id)
        run.finished_at, run.status = utcnow(), "completed"
        run.counts = {k: v for k, v in summary.items() if isinstance(v, int)}
    return summary

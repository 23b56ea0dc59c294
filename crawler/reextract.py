"""Re-extraction: rebuild each document's current version from its stored snapshots.

After a selector fix or an extractor upgrade, the snapshots behind every current version are
extracted again with the current rules (crawler.process.Processor.rebaseline); a different text
becomes a `rebaseline` version, never a reported change. Nothing is fetched. `check` does the same
by itself for documents whose rules changed since their current version.
"""

from __future__ import annotations

from crawler.process import Processor
from crawler.runs import _archive, new_run_id
from snapshots import documents, runs
from snapshots.kinds import RunKind


def reextract(settings, archive, catalog, profile_ids=(), run_id: str | None = None) -> dict:
    archive = _archive(archive)
    run_id = run_id or new_run_id()
    keys = {s.key for s in catalog.sources(profile_ids)}
    with archive.transaction() as tx:
        documents.sync_catalog(tx.session, catalog)
        runs.start(tx, run_id, RunKind.REEXTRACT)
        todo = documents.with_versions(tx.session, keys)
    summary = {"run_id": run_id, **Processor(settings, archive, catalog, run_id).rebaseline(todo)}
    with archive.transaction() as tx:
        runs.finish(tx, run_id, {k: v for k, v in summary.items() if isinstance(v, int)})
    return summary

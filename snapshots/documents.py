"""Documents and citations: which profile sources cite which monitored document.

`sync_catalog` runs when a run is prepared: every cited Document exists, the `citations` table says
which profile source cites it (documents nobody cites are orphaned), and renamed sources keep
their reviews. Document state the process stage reads is handed out as `DocumentState`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select, update

from snapshots.models import Assessment, Citation, Document, utcnow


@dataclass
class DocumentState:
    id: int
    key: str
    urls: list
    current_version_id: int | None
    consecutive_failures: int
    pending: dict | None
    accept_next: bool

    @classmethod
    def of(cls, doc: Document) -> "DocumentState":
        return cls(doc.id, doc.key, list(doc.urls), doc.current_version_id, doc.consecutive_failures,
                   doc.pending, doc.accept_next)


def sync_catalog(session, catalog) -> dict[str, int]:
    """Make sure every cited document exists; refresh citations; carry renamed sources' reviews."""
    docs = {d.key: d for d in session.scalars(select(Document))}
    for src in catalog.sources():
        if src.key not in docs:
            doc = Document(key=src.key, urls=list(src.urls))
            session.add(doc)
            docs[src.key] = doc
    session.flush()
    wanted = {(s.profile, s.id): s for s in catalog.sources()}
    existing = {(c.profile, c.source): c for c in session.scalars(select(Citation))}
    broken_ids = {os.path.splitext(os.path.basename(e.path))[0] for e in catalog.errors}
    for (pid, sid), cit in existing.items():
        if (pid, sid) not in wanted and pid not in broken_ids:  # a broken profile keeps its citations
            session.delete(cit)
    for (pid, sid), src in wanted.items():
        for old in src.renamed_from:
            session.execute(update(Assessment).where(Assessment.profile == pid, Assessment.source == old)
                            .values(source=sid))
        cit = existing.get((pid, sid))
        if cit is None:
            session.add(Citation(profile=pid, source=sid, document_id=docs[src.key].id, type=src.type))
        else:
            cit.document_id, cit.type, cit.seen_at = docs[src.key].id, src.type, utcnow()
    return {k: d.id for k, d in docs.items()}


def states(session, keys) -> list[DocumentState]:
    return [DocumentState.of(d) for d in session.scalars(select(Document).where(Document.key.in_(list(keys))))]


def state(session, document_id: int) -> DocumentState:
    return DocumentState.of(session.get(Document, document_id))


def with_versions(session, keys) -> list[int]:
    """Ids of the documents among `keys` that have a current version."""
    return list(session.scalars(select(Document.id).where(Document.key.in_(list(keys)),
                                                          Document.current_version_id.is_not(None))))


def accept_next(tx, document_id: int) -> None:
    """The next extraction becomes current even when it shrank (clausewatch accept)."""
    tx.session.get(Document, document_id).accept_next = True


def last_fetched(session, keys) -> dict:
    """{document key: when it was last fetched (naive UTC) or None}."""
    return dict(session.execute(select(Document.key, Document.last_fetch_at).where(Document.key.in_(list(keys)))).all())

"""A check run's plan: which documents and pages to fetch, with what conditional headers.

Plain Python (no Scrapy): the spider, `clausewatch check` and distributed workers all start here.
Preparing a run also syncs the profiles into the database: every cited Document exists, and the
`citations` table says which profile source cites it (documents nobody cites are orphaned).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, update

from crawler.profiles import Catalog, Source
from snapshots.models import Assessment, Citation, Document, Run, utcnow
from snapshots.store import last_snapshots


@dataclass
class Page:
    """One URL to fetch for a run, with how to fetch it."""

    url: str
    headers: dict = field(default_factory=dict)
    render: bool = False
    wait_for: str | None = None
    render_timeout: float = 30.0
    etag: str | None = None
    last_modified: str | None = None
    allow_private_networks: bool = False  # the source allows its own hosts to be private (crawler.destinations)

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Plan:
    run_id: str
    documents: dict[str, list[str]]  # document key -> its URLs, in order
    pages: list[Page]


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def sync_catalog(session, catalog: Catalog) -> dict[str, int]:
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
    broken = {e.path for e in catalog.errors}
    broken_ids = {os.path.splitext(os.path.basename(p))[0] for p in broken}
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


def prepare_run(db, catalog: Catalog, sources: list[Source], kind: str = "check", run_id: str | None = None) -> Plan:
    run_id = run_id or new_run_id()
    documents: dict[str, list[str]] = {}
    pages: dict[str, Page] = {}
    for src in sources:
        documents.setdefault(src.key, list(src.urls))
        for url in src.urls:
            if url not in pages:  # the first citing source's fetch options win (see Catalog.conflicts)
                pages[url] = Page(url, dict(src.headers), src.render, src.wait_for, src.render_timeout,
                                  allow_private_networks=src.allow_private_networks)
    with db.session() as s:
        sync_catalog(s, catalog)
        for url, last in last_snapshots(s, pages).items():
            pages[url].etag, pages[url].last_modified = last.etag, last.last_modified
        s.add(Run(id=run_id, kind=kind, started_at=utcnow(), host=f"{socket.gethostname()}:{os.getpid()}",
                  counts={"documents": len(documents)}))
    return Plan(run_id, documents, list(pages.values()))


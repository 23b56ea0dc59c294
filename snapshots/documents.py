"""Documents and citations: which profile sources cite which monitored document.

`sync_catalog` runs when a run is prepared: every cited Document exists, the `citations` table says
which profile source cites it (documents nobody cites are orphaned), and renamed sources keep
their reviews. Document state the process stage reads is handed out as `DocumentState`.

Each sync leaves two fingerprints in `catalog_sync`: of the catalog it wrote, and of the profile
files it was read from when the caller says (`files_fingerprint`). A read command (`changes`,
`sources`) compares the files as they are with one SELECT (`synced_files`) and syncs, with the
write path and its imports, only when they differ.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from snapshots.sql import reader

@dataclass
class DocumentState:
    id: int
    key: str
    urls: list
    current_version_id: int | None
    consecutive_failures: int
    pending: dict | None
    accept_next: bool
    region_keys: dict | None = None  # {url: region key} of pages known to give the current text

    @classmethod
    def of(cls, doc) -> "DocumentState":
        return cls(doc.id, doc.key, list(doc.urls), doc.current_version_id, doc.consecutive_failures,
                   doc.pending, doc.accept_next, doc.region_keys)


def files_fingerprint(folder) -> str:
    """sha256 over the names and bytes of the profile files (`*.toml`) in `folder`, as load_catalog reads them."""
    digest = hashlib.sha256()
    folder = Path(folder)
    if not folder.is_dir():
        digest.update(b"no folder " + str(folder).encode())
        return digest.hexdigest()
    for path in sorted(folder.glob("*.toml")):
        try:
            data = path.read_bytes()
        except OSError as error:  # unreadable: load_catalog reports it; the fingerprint says so too
            data = f"unreadable: {error.strerror}".encode()
        digest.update(b"%d:%s\0%d:" % (len(path.name), path.name.encode(), len(data)))
        digest.update(data)
    return digest.hexdigest()


def catalog_fingerprint(catalog) -> str:
    """sha256 over what `sync_catalog` writes from a catalog: its citations and its broken profiles."""
    sources = sorted([s.profile, s.id, s.key, list(s.urls), s.type, list(s.renamed_from)] for s in catalog.sources())
    broken = sorted(os.path.splitext(os.path.basename(e.path))[0] for e in catalog.errors)
    return hashlib.sha256(json.dumps([sources, broken]).encode()).hexdigest()


def synced_files(session) -> str | None:
    """The `files_fingerprint` of the profiles the last sync read, None when unknown (or never synced)."""
    return reader(session).scalar("SELECT files_sha256 FROM catalog_sync WHERE id = 1")


def sync_catalog(session, catalog, files: str | None = None) -> dict[str, int]:
    """Make sure every cited document exists; refresh citations; carry renamed sources' reviews.

    `files`: the `files_fingerprint` of the profiles `catalog` was loaded from, when known."""
    from sqlalchemy import select, update

    from snapshots.models import Assessment, CatalogSync, Citation, Document, utcnow

    written = catalog_fingerprint(catalog)
    row = session.get(CatalogSync, 1)
    if row is not None and row.catalog_sha256 == written:
        # what this catalog writes is written (only this function writes documents and citations):
        # one row, not a load and an UPDATE of every citation (0.5 s of each check of 2,000 sources)
        if files is not None:
            row.files_sha256 = files
        row.synced_at = utcnow()
        return dict(session.execute(select(Document.key, Document.id)).all())
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
    if row is None:
        session.add(CatalogSync(id=1, files_sha256=files, catalog_sha256=written, synced_at=utcnow()))
    else:
        row.files_sha256, row.catalog_sha256, row.synced_at = files, written, utcnow()
    return {k: d.id for k, d in docs.items()}


def states(session, keys, hold: list | None = None) -> list[DocumentState]:
    """The documents' states; `hold` receives their rows, which writes in the same transaction then
    find in the session instead of reading them again (snapshots.recorder.load_documents)."""
    from sqlalchemy import select

    from snapshots.models import Document

    rows = list(session.scalars(select(Document).where(Document.key.in_(list(keys)))))
    if hold is not None:
        hold.extend(rows)
    return [DocumentState.of(d) for d in rows]


def state(session, document_id: int) -> DocumentState:
    from snapshots.models import Document

    return DocumentState.of(session.get(Document, document_id))


def with_versions(session, keys) -> list[int]:
    """Ids of the documents among `keys` that have a current version."""
    from sqlalchemy import select

    from snapshots.models import Document

    return list(session.scalars(select(Document.id).where(Document.key.in_(list(keys)),
                                                          Document.current_version_id.is_not(None))))


def accept_next(tx, document_id: int) -> None:
    """The next extraction becomes current even when it shrank (clausewatch accept)."""
    from snapshots.models import Document

    tx.session.get(Document, document_id).accept_next = True


def last_fetched(session, keys) -> dict:
    """{document key: when it was last fetched (naive UTC) or None}."""
    from snapshots.sql import at

    keys = list(keys)
    if not keys:
        return {}
    rows = reader(session).all("SELECT key, last_fetch_at FROM documents WHERE key IN :keys", keys=keys)
    return {key: at(value) for key, value in rows}


def region_baselines(session, keys, min_words: int) -> dict[str, dict]:
    """{document key: {url: region key}} of the documents among `keys` whose pages may be told
    unchanged by their regions alone (crawler.analysis.region_check): a current version of at
    least `min_words` words, region keys for every page, no held text and no accepted shrink."""
    from sqlalchemy import select

    from snapshots.models import Document, Version

    keys = list(keys)
    found: dict[str, dict] = {}
    for start in range(0, len(keys), 500):  # stay below every database's limit of bound parameters
        rows = session.execute(select(Document.key, Document.urls, Document.region_keys, Document.pending,
                                      Document.accept_next)
                               .join(Version, Version.id == Document.current_version_id)
                               .where(Document.key.in_(keys[start:start + 500]), Version.words >= min_words))
        for key, urls, regions, pending, accept_next in rows:
            regions = regions or {}
            if not pending and not accept_next and urls and all(regions.get(u) for u in urls):
                found[key] = {u: regions[u] for u in urls}
    return found

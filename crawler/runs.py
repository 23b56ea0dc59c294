"""A check run's plan: which documents and pages to fetch, with what conditional headers.

Plain Python (no Scrapy): the spider, `clausewatch check` and distributed workers all start here.
Preparing a run also syncs the profiles into the archive (snapshots.documents.sync_catalog) and
starts the run's row (snapshots.runs).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from crawler.profiles import Catalog, Source
from snapshots.kinds import RunKind


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
    follow_moves: bool = False  # follow a redirect stub to its target in the same run
    # {"key": region key, "rules": rules JSON} of the one document reading this page, when its
    # current text was read from regions of that key (see `region_baselines`): new bytes whose
    # regions still have it are that text, and the fetch stage stores them as already processed
    known_regions: dict | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Plan:
    run_id: str
    documents: dict[str, list[str]]  # document key -> its URLs, in order
    pages: list[Page]


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def follow_moves(src: Source, default: bool) -> bool:
    return default if src.follow_moves is None else src.follow_moves


def plan_pages(sources: list[Source], follow_moves_default: bool = False) -> tuple[dict[str, list[str]], dict[str, Page]]:
    """(document key -> its URLs, URL -> Page) for `sources`, before any conditional headers."""
    documents: dict[str, list[str]] = {}
    pages: dict[str, Page] = {}
    for src in sources:
        documents.setdefault(src.key, list(src.urls))
        for url in src.urls:
            if url not in pages:  # the first citing source's fetch options win (see Catalog.conflicts)
                pages[url] = Page(url, dict(src.headers), src.render, src.wait_for, src.render_timeout,
                                  allow_private_networks=src.allow_private_networks,
                                  follow_moves=follow_moves(src, follow_moves_default))
    return documents, pages


def prepare_run(archive, catalog: Catalog, sources: list[Source], kind: RunKind = RunKind.CHECK,
                run_id: str | None = None, follow_moves_default: bool = False) -> Plan:
    # the archive's modules (SQLAlchemy's ORM, 0.27 s) only here: `check` plans its fetch processes,
    # and the lease names its run, before it opens the archive
    from snapshots import runs
    from snapshots.documents import sync_catalog
    from snapshots.store import last_snapshots

    run_id = run_id or new_run_id()
    documents, pages = plan_pages(sources, follow_moves_default)
    with _archive(archive).transaction() as tx:
        sync_catalog(tx.session, catalog)
        for url, last in last_snapshots(tx.session, pages).items():
            pages[url].etag, pages[url].last_modified = last.etag, last.last_modified
        for url, known in region_baselines(tx.session, catalog, documents).items():
            pages[url].known_regions = known
        runs.start(tx, run_id, kind, counts={"documents": len(documents)})
    return Plan(run_id, documents, list(pages.values()))


def region_baselines(session, catalog: Catalog, documents: dict[str, list[str]]) -> dict[str, dict]:
    """{url: Page.known_regions} of the pages only one document of the run reads, when that document
    may be told unchanged by its regions alone (crawler.analysis.region_check): the rules it is
    read with and the region key its current text came from."""
    from crawler.analysis import SHORT_WORDS
    from snapshots.documents import region_baselines as baselines

    readers: dict[str, int] = {}
    for urls in documents.values():
        for url in set(urls):
            readers[url] = readers.get(url, 0) + 1
    found = {}
    for key, regions in baselines(session, documents, SHORT_WORDS).items():
        sources = catalog.citations(key)
        if not sources or regions.keys() != set(documents[key]):
            continue
        rules = sources[0].rules.to_json()  # the rules crawler.process extracts the document with
        found.update((url, {"key": region, "rules": rules}) for url, region in regions.items() if readers[url] == 1)
    return found


def _archive(archive):
    from snapshots.archive import Archive

    return archive if isinstance(archive, Archive) else Archive(archive)

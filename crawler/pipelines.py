"""Item pipeline: store each fetch result as a snapshot and a fetch record, nothing more."""

from __future__ import annotations

from crawler.config import Settings
from snapshots.db import open_database
from snapshots.extract import sniff_format
from snapshots.store import FetchResult, SnapshotWriter, last_snapshots


class SnapshotPipeline:
    def __init__(self, crawler, database_url: str):
        self.crawler = crawler
        self.database_url = database_url
        self.writer: SnapshotWriter | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, Settings.from_json(crawler.settings.getdict("CLAUSEWATCH")).database)

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        db = open_database(self.database_url)
        with db.session() as s:
            known = last_snapshots(s, [p.url for p in spider.plan.pages])
        self.writer = SnapshotWriter(db, known=known)

    def process_item(self, item: FetchResult, spider=None):
        if item.body is not None and not item.failure:
            content_type = item.headers.get("content-type")
            if sniff_format(item.body, content_type) is None:
                item.failure = f"not a document: binary or unknown content served as {content_type or 'no content type'}"
                item.body = None
        item.outcome = self.writer.add(item)
        return item

    def close_spider(self, spider=None):
        self.writer.flush()

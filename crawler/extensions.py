"""Extension: when a crawl started with `scrapy crawl documents` closes, run the process stage.

`clausewatch check` runs the process stage itself (and sets CLAUSEWATCH_PROCESS_AT_CLOSE to False).
"""

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.config import Settings


class ProcessStage:
    def __init__(self, settings: Settings):
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CLAUSEWATCH_PROCESS_AT_CLOSE", True):
            raise NotConfigured
        ext = cls(Settings.from_json(crawler.settings.getdict("CLAUSEWATCH")))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason):
        from crawler.process import process_run

        summary = process_run(self.settings, spider.plan)
        spider.logger.info("clausewatch run %s: %s", spider.plan.run_id, summary.counts())

"""Scrapy spiders: one generic spider, `documents`, fetches every cited document."""

"""Change classification: word diff, rendering, findings, significance and summary.

Pure Python (no Scrapy, no SQLAlchemy). ``diff`` → ``edits`` → ``significance`` / ``findings`` →
``summary``, orchestrated by ``assess``; ``render`` shows a diff to people.
"""

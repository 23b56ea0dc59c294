"""The editors' review page: `clausewatch serve` (see crawler.web.app)."""

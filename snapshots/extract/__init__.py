"""Extraction engine: raw fetched bodies (HTML, PDF) → normalised Markdown-like text.

Pure Python (lxml, pypdf); no Scrapy. Everything downstream diffs the text produced here, so it is
deterministic: same body, rules and ``EXTRACTOR_VERSION`` → same text.
"""

from .errors import ExtractError, NotADocument
from .extraction import EXTRACTOR_VERSION, Extraction, extract, region_key
from .normalise import comparison_key, normalise_text
from .rules import Range, Rules
from .sniff import sniff_format

__all__ = [
    "extract", "region_key", "Extraction", "Rules", "Range", "EXTRACTOR_VERSION", "normalise_text",
    "comparison_key", "sniff_format", "ExtractError", "NotADocument",
]

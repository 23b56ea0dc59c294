"""Exceptions raised by the extraction engine.

    ExtractError            an operational failure: record it with the document and go on
     └── NotADocument       the body is not a document at all (binary, image, archive ...)

Problems that still yield an :class:`~snapshots.extract.Extraction` (a selector or URL fragment
that matched nothing, an empty page, a scanned PDF, a JavaScript shell, a redirect stub —
``moved``, with ``Extraction.moved_to``) are not exceptions: they are reported in
``Extraction.problem_kind`` / ``Extraction.problem`` so that the caller can show a hint.
Malformed rules raise ``ValueError`` when they are declared (``Rules.from_declaration``).
"""


class ExtractError(Exception):
    """The body could not be turned into text."""


class NotADocument(ExtractError):
    """The body is not a document (binary content, image, archive ...)."""

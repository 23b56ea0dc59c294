"""What the newest snapshots of one Document say: pure computation, run in a worker process.

`analyse(job)` extracts every page, joins them, compares the text with the current version and,
when it differs, diffs it once and assesses it for every citing profile. It touches no database:
crawler.process feeds it and writes what it returns, so the same function serves checks,
re-extraction and distributed workers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from diffing.assess import CriterionRef, assess
from diffing.diff import diff_stats, word_diff
from snapshots import codecs
from snapshots.extract import EXTRACTOR_VERSION, ExtractError, Rules, extract
from snapshots.extract.normalise import key_and_tokens

# Markers of bot challenges, captchas and login walls served instead of the document (lower case).
BLOCK_MARKERS = (
    "cf-challenge", "challenge-platform", "cf_chl_opt", "just a moment...", "attention required! | cloudflare",
    "g-recaptcha", "h-captcha", "hcaptcha.com", "px-captcha", "datadome", "verify you are a human",
    "are you a robot", "enable javascript and cookies to continue", "access denied</title>",
    "request unsuccessful. incapsula", "_incapsula_resource", "please log in to continue", "sign in to continue",
)
# Error pages served with status 200 instead of the document (checked in the extracted text, lower case).
ERROR_MARKERS = (
    "this page isn't available", "this page is not available", "an unexpected error has occurred",
    "something went wrong", "page not found", "we're sorry, but something went wrong", "internal server error",
    "service unavailable", "404 not found",
)

SHORT_WORDS = 150  # below this many words, a page is looked at for challenge and error-page markers
SHRINK_MIN_WORDS = 200  # below this many words, a >50% shrink is reported as a change, not held as suspicious


@dataclass
class Page:
    url: str
    body: bytes | None  # None: read by `blob` from the job's `store`
    content_type: str | None
    blob: str | None = None  # the sha256 of the stored body


@dataclass
class Citing:
    """A profile source citing the document, with the criteria that rest on it."""

    profile: str
    source: str
    label: str
    criteria: list[CriterionRef]


@dataclass
class Job:
    document_id: int
    pages: list[Page]
    rules: Rules
    previous_text: str | None = None  # the current version's text (a pool worker reads it by previous_blob)
    previous_key: str | None = None  # None: the document has no version yet
    previous_words: int = 0
    citing: list[Citing] = field(default_factory=list)
    ignore: tuple[str, ...] = ()
    vocabulary: dict = field(default_factory=dict)
    accept_shrink: bool = False
    rebaseline: bool = False  # re-extraction: no suspicion checks, assessments not needed
    accept_key: str | None = None  # a guarded text seen before: if it is still the same, it becomes current
    # the region keys (snapshots.extract.region) of pages known to give the current text, one per page
    # in order, when they may be compared (see region_check): pages whose keys are the same need no extraction
    previous_region_keys: list[str] | None = None
    # the database the pages without a body are read from: a pool worker reads them itself, which
    # costs less than pickling ~100 KB per page through the pool's pipe in the run's busiest process
    store: str | None = None
    previous_blob: str | None = None  # the sha256 of the current version's text in `store`


@dataclass
class Analysis:
    document_id: int
    text: str = ""
    key: str = ""
    words: int = 0
    format: str = "html"
    changed: bool = False
    problem_kind: str | None = None  # failed | blocked | suspicious | moved
    problem: str | None = None
    problem_url: str | None = None
    # a guard held the text back (shrink | error-page | script-shell); `key`/`words` describe the held text
    guard: str | None = None
    moved_to: str | None = None  # problem "moved": the absolute URL a redirect stub sends to
    previous_words: int = 0
    added_words: int = 0
    removed_words: int = 0
    assessments: list = field(default_factory=list)  # (Citing, diffing.assess.Assessment)
    extractor_version: str = EXTRACTOR_VERSION
    same_regions: bool = False  # unchanged without extraction: every page's regions are as before
    region_keys: list[str] | None = None  # of the job's pages, when every page has one
    text_blob: dict | None = None  # from a pool worker (analyse_in_pool): the text to record, as its blobs row


def analyse_in_pool(job: Job) -> Analysis:
    """`analyse` in a pool worker, with a small answer: a text its parent records (a new version's)
    comes back as its stored blob row, compressed here, and any other text not at all. A 100 KB text
    in the pipe kept the worker waiting while its parent, busy recording, read it."""
    out = analyse(job)
    if out.changed and not out.problem_kind:
        data = out.text.encode("utf-8")
        out.text_blob = codecs.full_row(hashlib.sha256(data).hexdigest(), data)
    out.text = ""
    return out


def blocked_marker(body: bytes) -> str | None:
    head = body[:32768].decode("utf-8", "replace").lower()
    for marker in BLOCK_MARKERS:
        if marker in head:
            return marker
    return None


def error_marker(text: str) -> str | None:
    lowered = text.lower().replace("\u2019", "'")
    return next((m for m in ERROR_MARKERS if m in lowered), None)


def region_check(job: Job) -> bool:
    """The job's pages may be compared with the current version's by their regions.

    Only for a plain re-check of a document long enough that no marker, shell or stub judgement
    depends on more than its text (SHORT_WORDS), with no guarded text or accepted shrink waiting."""
    return (not job.rebaseline and job.previous_key is not None and job.previous_words >= SHORT_WORDS
            and job.accept_key is None and not job.accept_shrink)


def known_region_keys(job: Job) -> list | None:
    """The region keys the job's pages may be compared with (one per page), or None."""
    previous = job.previous_region_keys
    if not previous or not region_check(job) or len(previous) != len(job.pages):
        return None
    return previous


_stores: dict = {}  # database URL -> snapshots.db.ReadConnection, one per worker process


def _read(store: str, keys: list[str]) -> dict[str, bytes]:
    """Blobs from the database `store` (one read transaction on this process's connection to it)."""
    from snapshots.db import ReadConnection
    from snapshots.history import blobs

    connection = _stores.get(store) or _stores.setdefault(store, ReadConnection(store))
    with connection.reading() as reader:
        return blobs(reader, keys)


def read_bodies(job: Job) -> None:
    """Fill in the bodies of the job's pages that have none, from `job.store`."""
    wanted = [page.blob for page in job.pages if page.body is None]
    if wanted:
        found = _read(job.store, wanted)
        for page in job.pages:
            if page.body is None:
                page.body = found[page.blob]


def previous_text(job: Job) -> str | None:
    """The current version's text, read from `job.store` when the job came without it."""
    if job.previous_text is None and job.previous_key is not None and job.previous_blob:
        job.previous_text = _read(job.store, [job.previous_blob])[job.previous_blob].decode("utf-8")
    return job.previous_text


def analyse(job: Job) -> Analysis:
    read_bodies(job)
    out = Analysis(job.document_id, previous_words=job.previous_words)
    extracted: list = []  # the pages extracted while comparing region keys, in order
    known = known_region_keys(job)
    for page, key in zip(job.pages, known or ()):
        extraction = _extract(page, job.rules, out, key)
        if extraction is None:
            return out
        if not extraction.same_regions:
            extracted.append(extraction)
            break
        extracted.append(None)  # not rendered: extracted again below unless every page has its key
    else:
        if known:  # bytes changed outside the document (markup churn): its text is the same
            out.key, out.words, out.same_regions = job.previous_key, job.previous_words, True
            out.region_keys = known
            return out
    texts, formats, keys = [], [], []
    for i, page in enumerate(job.pages):
        extraction = (extracted[i] if i < len(extracted) else None) or _extract(page, job.rules, out)
        if extraction is None:
            return out
        keys.append(extraction.region_key)
        if extraction.problem_kind == "moved":  # a redirect stub, before any other judgement of its text
            out.problem_kind, out.problem_url, out.moved_to = "moved", page.url, extraction.moved_to
            out.problem = f"the document moved: {extraction.problem}; no version recorded"
            return out
        # a real document may mention "captcha"; only a short page carrying a marker is a challenge
        marker = None if job.rebaseline or extraction.has_words(SHORT_WORDS) else blocked_marker(page.body)
        if marker:
            out.problem_kind, out.problem_url = "blocked", page.url
            out.problem = f"bot challenge or login wall (page marker {marker!r}); no version recorded"
            return out
        error = None if job.rebaseline or extraction.has_words(SHORT_WORDS) else error_marker(extraction.text)
        if error and not out.guard:
            out.guard, out.problem_url = "error-page", page.url
            out.problem = f"an error page was served instead of the document ({error!r}); no version recorded"
        if extraction.problem_kind == "script-shell" and extraction.text.strip() and not job.rebaseline:
            if not out.guard:
                out.guard, out.problem_url, out.problem = "script-shell", page.url, extraction.problem
            texts.append(extraction.text)
            formats.append(extraction.format)
            continue
        # a select list that half matches still yields the document's text: the diff shows what went
        # missing; only a select that matches nothing (or no text at all) holds the version back
        partial = extraction.problem_kind == "selector-matched-nothing" and extraction.text.strip()
        if (extraction.problem_kind and not partial) or not extraction.text.strip():
            out.problem_kind, out.problem_url = "suspicious", page.url
            out.problem = extraction.problem or "the extracted text is empty"
            return out
        texts.append(extraction.text)
        formats.append(extraction.format)
    out.text = "\n\n".join(texts)
    out.region_keys = keys if all(keys) else None
    out.key, out.words = key_and_tokens(out.text)
    out.format = "+".join(dict.fromkeys(formats))
    out.changed = out.key != job.previous_key
    accepted = job.accept_key is not None and out.key == job.accept_key  # the guarded text persisted
    if out.guard and not accepted and (out.changed or job.previous_key is None):
        out.problem_kind = "suspicious"
        return out
    out.guard = out.guard if accepted else None
    if not out.changed or job.previous_key is None:
        out.problem = None if not out.guard else out.problem
        return out
    # a short page (a help article) legitimately loses half its words in one edit: report that as a change
    if (not job.rebaseline and job.previous_words >= SHRINK_MIN_WORDS and out.words < job.previous_words / 2
            and not out.guard):
        out.guard = "shrink"
        out.problem_url = job.pages[0].url
        out.problem = (f"the text shrank from {job.previous_words:,} to {out.words:,} words; no version recorded "
                       f"unless it stays so at the next check (or now: clausewatch accept)")
        if not (job.accept_shrink or accepted):
            out.problem_kind = "suspicious"
            return out
    previous = previous_text(job)
    ops = word_diff(previous, out.text)
    out.added_words, out.removed_words = diff_stats(ops)
    if job.rebaseline:
        return out
    if (not out.guard and not job.accept_shrink and cut_at_the_end(ops, out.removed_words)
            and body_looks_cut(job.pages[-1].body)):
        # what a download cut short looks like: believe it only when the next fetch ends there too
        out.guard = "truncated-tail"
        if accepted:
            out.problem = None
        else:
            out.problem_kind, out.problem_url = "suspicious", job.pages[-1].url
            out.problem = (f"the text lost its last {out.removed_words:,} words and nothing else changed (a "
                           f"download cut short?); recorded if the next check ends there too")
            return out
    vocabulary = _vocabulary(job.vocabulary)
    for citing in job.citing:
        result = assess(previous, out.text, criteria=citing.criteria, document_label=citing.label,
                        ignore=job.ignore, vocabulary=vocabulary, ops=ops)
        out.assessments.append((citing, result))
    return out


TAIL_MIN_WORDS = 20  # a shorter cut at the end is an ordinary edit (a closing sentence removed)


def body_looks_cut(body: bytes) -> bool:
    """An HTML body that stops without its closing tags: the shape of a download cut short."""
    head = body[:1024].lstrip().lower()
    if not head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<")) or head.startswith(b"%pdf"):
        return False
    tail = body[-2048:].lower()
    return b"</html" not in tail and b"</body" not in tail


def cut_at_the_end(ops, removed_words: int) -> bool:
    """Only deletions, all of them at the very end of the text."""
    from diffing.diff import DELETE, EQUAL

    if removed_words < TAIL_MIN_WORDS:
        return False
    kinds = [op for op, text in ops if op != EQUAL or text.strip()]
    return bool(kinds) and kinds[-1] == DELETE and DELETE not in kinds[:-1] and all(k in (EQUAL, DELETE) for k in kinds)


def _extract(page: Page, rules: Rules, out: Analysis, known_region_key: str | None = None):
    try:
        return extract(page.body, url=page.url, content_type=page.content_type, rules=rules,
                       known_region_key=known_region_key)
    except ExtractError as exc:
        out.problem_kind, out.problem_url, out.problem = "failed", page.url, str(exc)
        return None


_vocab_cache: dict = {}


def _vocabulary(config: dict):
    from diffing.vocabulary import Vocabulary

    key = repr(sorted(config.items())) if config else ""
    if key not in _vocab_cache:
        _vocab_cache[key] = Vocabulary.from_config(config) if config else Vocabulary.default()
    return _vocab_cache[key]


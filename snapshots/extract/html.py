"""HTML extraction: bytes → tree → document region → Markdown-like text (lxml, no BeautifulSoup).

Without declared ``select`` rules the region is the URL fragment's target when the URL has one
(``fragment``), else the page's main content (``boilerplate.default_regions``): every sibling
article or tab panel, in order, each under its own heading. A short page that only redirects is a
``moved`` problem naming its target (``stub``). The text ends with the reference definitions
of its links (``links``), so that a changed link target is a change.
"""

import re
from dataclasses import dataclass
from itertools import islice

from . import markdown, selection
from .links import link_definitions
from .region import find_regions, key_of, strip_junk
from .rules import Rules
from .stub import redirect_target
from .tree import HEADINGS, parse, text_of
from .wordcount import count_runs, has_runs

__all__ = ["extract_html", "region_key_of", "HtmlResult"]

_APP_ROOT = re.compile(r"^(root|app|__next|__nuxt|___gatsby|svelte)$")
_WORDS = re.compile(r"\w+")
SHELL_MAX_WORDS = 60


@dataclass
class HtmlResult:
    text: str
    problem_kind: str | None = None
    problem: str | None = None
    note: str | None = None  # what was selected, for `preview` ("fragment #x: …")
    moved_to: str | None = None  # a redirect stub's absolute target
    region_key: str | None = None  # region.key_of the regions rendered (given an extractor version)
    same_regions: bool = False  # the key is the caller's known_key: nothing was rendered (text is "")


def _script_shell(root, scripts: int) -> str | None:
    if not scripts:  # no script, no shell: nothing to count
        return None
    body = root.find("body")
    chunks = body.itertext() if body is not None else ()
    if has_runs(chunks, SHELL_MAX_WORDS):
        return None
    words = count_runs(text_of(body)) if body is not None else 0
    app_root = any(_APP_ROOT.match(el.get("id", "")) for el in root.iter("div"))
    if scripts >= 5 or (scripts and app_root):
        return (f"only {words} words of text in a page with {scripts} scripts: the page is probably "
                "rendered by JavaScript; try render = true")
    return None


def _label(root, region) -> str | None:
    """The title of a region that has no heading of its own: its ARIA label or controlling tab."""
    first = next(region.iter(*HEADINGS), None)
    if first is not None and not _WORDS.search(text_of(region).split(text_of(first), 1)[0]):
        return None  # the region opens with its heading
    label = region.get("aria-label")
    if not label and region.get("aria-labelledby"):
        ids = region.get("aria-labelledby").split()
        label = " ".join(text_of(el) for i in ids for el in root.xpath("//*[@id=$i]", i=i))
    if not label and region.get("id"):
        tabs = root.xpath("//*[@aria-controls=$i]", i=region.get("id"))
        label = text_of(tabs[0]) if tabs else None
    label = " ".join((label or "").split())
    return label or None


def _render_regions(root, regions) -> str:
    if len(regions) < 2:
        return markdown.render(regions)
    blocks: list[str] = []
    for region in regions:
        label = _label(root, region)
        rendered = markdown.render_blocks([region])
        if label and rendered:
            blocks.append("## " + label)
        blocks.extend(rendered)
    return "\n\n".join(blocks)


def _open(body: bytes, content_type: str | None, url: str):
    """(parsed page without its junk, its number of scripts), or the result of a page with nothing to read."""
    root = parse(body, content_type)
    if root is None:
        return HtmlResult("", "empty", "the page is empty")
    target = redirect_target(root, url)
    if target:
        return HtmlResult("", "moved", f"the page is a redirect stub to {target}", moved_to=target)
    return root, strip_junk(root)


def region_key_of(body: bytes, content_type: str | None, rules: Rules, url: str, extractor_version: str) -> str | None:
    """The key extract_html compares `known_key` with, without rendering any text: None where there is
    none (an empty page, a redirect stub, a select or fragment that matches nothing).

    The same steps as extract_html up to that comparison, without the script-shell judgement (it
    reads the page but changes nothing in it). extract_html reports the key (``region_key``) only
    with a text it judged a document's; this one has not rendered the text, so it gives the key
    of a script shell or an empty region too: equal keys still mean equal text."""
    opened = _open(body, content_type, url)
    if isinstance(opened, HtmlResult):
        return None
    root, _ = opened
    found = find_regions(root, rules, url)
    if not found.complete or not found.regions:
        return None
    return key_of(root, found.regions, rules, url, extractor_version)


def extract_html(body: bytes, content_type: str | None, rules: Rules, url: str = "",
                 extractor_version: str | None = None, known_key: str | None = None) -> HtmlResult:
    """The page's text; with `extractor_version`, also the key of the regions it was rendered from.

    When that key is `known_key` (the key of a page whose text the caller has), nothing is
    rendered: the result has no text and ``same_regions`` set."""
    opened = _open(body, content_type, url)
    if isinstance(opened, HtmlResult):
        return opened
    root, scripts = opened
    shell = None if rules.rendered else _script_shell(root, scripts)  # a rendered page is judged as rendered
    found = find_regions(root, rules, url)
    regions, note = found.regions, found.fragment.description if found.fragment else None
    if found.missing:
        if shell and not regions:
            return HtmlResult("", "script-shell", shell)
        names = ", ".join(selection.describe(item) for item in found.missing)
        message = f"select {names} matched nothing"
        candidate = selection.closest_candidate(root, found.missing[0])
        if candidate:
            message += f"; closest candidate region: {candidate[0]!r} ({candidate[1]:,} words)"
        if regions:
            message += " (the other selectors matched: the text is partial)"
            return HtmlResult(markdown.render(regions), "selector-matched-nothing", message)
        return HtmlResult("", "selector-matched-nothing", message)
    if found.unmatched_fragment:
        if shell:
            return HtmlResult("", "script-shell", shell)
        anchor = found.unmatched_fragment
        return HtmlResult("", "selector-matched-nothing",
                          f"fragment #{anchor} matched nothing: no element has id {anchor!r} and no "
                          "heading carries that anchor")
    key = key_of(root, regions, rules, url, extractor_version) if extractor_version and regions else None
    if key is not None and key == known_key:
        return HtmlResult("", region_key=key, same_regions=True)
    text = _render_regions(root, regions)
    short = sum(1 for _ in islice(_WORDS.finditer(text), SHELL_MAX_WORDS)) < SHELL_MAX_WORDS
    if text.strip():
        links = link_definitions(regions, text, url)
        text += "\n\n" + links if links else ""
    if shell and short:
        return HtmlResult(text, "script-shell", shell, note)
    if not text.strip():
        return HtmlResult("", "empty", "the page has no text", note)
    return HtmlResult(text, note=note, region_key=key)

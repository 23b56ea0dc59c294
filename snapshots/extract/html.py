"""HTML extraction: bytes → tree → document region → Markdown-like text (lxml, no BeautifulSoup)."""

import re
from dataclasses import dataclass

from lxml import etree

from . import boilerplate, markdown, selection
from .rules import Rules
from .tree import parse

__all__ = ["extract_html", "HtmlResult"]

_JUNK = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas", "head")
_APP_ROOT = re.compile(r"^(root|app|__next|__nuxt|___gatsby|svelte)$")
_WORDS = re.compile(r"\w+")
SHELL_MAX_WORDS = 60


@dataclass
class HtmlResult:
    text: str
    problem_kind: str | None = None
    problem: str | None = None


def _script_shell(root, scripts: int) -> str | None:
    if not scripts:  # no script, no shell: nothing to count
        return None
    body = root.find("body")
    # Count words in growing prefixes of the body's text and stop once there are enough: a
    # prefix never has more words than the whole text (cutting can only shorten the last word).
    parts, size, check = [], 0, 2048
    for chunk in body.itertext() if body is not None else ():
        parts.append(chunk)
        size += len(chunk)
        if size >= check:
            if len(_WORDS.findall("".join(parts))) >= SHELL_MAX_WORDS:
                return None
            check *= 2
    words = len(_WORDS.findall("".join(parts)))
    if words >= SHELL_MAX_WORDS:
        return None
    app_root = any(_APP_ROOT.match(el.get("id", "")) for el in root.iter("div"))
    if scripts >= 5 or (scripts and app_root):
        return (f"only {words} words of text in a page with {scripts} scripts: the page is probably "
                "rendered by JavaScript; try render = true")
    return None


def extract_html(body: bytes, content_type: str | None, rules: Rules) -> HtmlResult:
    root = parse(body, content_type)
    if root is None:
        return HtmlResult("", "empty", "the page is empty")
    scripts = sum(1 for _ in root.iter("script"))
    etree.strip_elements(root, *_JUNK, with_tail=False)
    shell = _script_shell(root, scripts)
    if rules.remove:
        selection.apply_remove(root, rules.remove)
    if rules.select:
        regions, missing = selection.apply_select(root, rules.select)
        if missing:
            if shell and not regions:
                return HtmlResult("", "script-shell", shell)
            names = ", ".join(selection.describe(item) for item in missing)
            message = f"select {names} matched nothing"
            candidate = selection.closest_candidate(root, missing[0])
            if candidate:
                message += f"; closest candidate region: {candidate[0]!r} ({candidate[1]:,} words)"
            if regions:
                message += " (the other selectors matched: the text is partial)"
                return HtmlResult(markdown.render(regions), "selector-matched-nothing", message)
            return HtmlResult("", "selector-matched-nothing", message)
    else:
        boilerplate.strip_furniture(root)
        regions = boilerplate.default_regions(root)
    text = markdown.render(regions)
    if shell and len(_WORDS.findall(text)) < SHELL_MAX_WORDS:
        return HtmlResult(text, "script-shell", shell)
    if not text.strip():
        return HtmlResult("", "empty", "the page has no text")
    return HtmlResult(text)

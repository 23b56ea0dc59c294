"""The regions of an HTML page that extraction reads, and a markup-stable key of them.

``strip_junk`` and ``find_regions`` are the one way the document is found in a parsed page
(remove, then select, or the URL's fragment, or the default regions with the furniture stripped):
``html.extract_html`` renders what they find.

A re-check whose bytes changed but not the document (a session token in a nav link, a build hash
in a script, a new cookie banner) needs no extraction when the regions are the same elements as in
a page known to give the current text. ``key_of`` hashes the regions' serialisation together with
everything else the rendered text depends on: the extractor version, the rules, the page URL
(links are made absolute against it), the tags of the regions' ancestors (a button's heading) and,
for several regions, the elements that label them. Equal keys therefore mean equal text; a
different key means nothing (the page is extracted as usual). Extraction computes the key of the
regions before it renders them (``Extraction.region_key``) and, given the key of a page whose
text the caller has (``extract(..., known_region_key=)``), stops there when they are equal: about
a third of an extraction's cost (parse, strip, select and one serialisation).

No key (None) where that reasoning does not hold: not HTML, a redirect stub, a select or fragment
that matches nothing. The caller also needs the text to be long enough not to be judged a script
shell (crawler.analysis only compares keys of documents of 150 words or more).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from lxml import etree

from . import boilerplate, selection
from .fragment import FragmentMatch, anchor_of, select_fragment
from .rules import Rules

__all__ = ["key_of", "find_regions", "strip_junk", "Found"]

_JUNK = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas", "head")


def strip_junk(root) -> int:
    """Remove what extraction never reads (scripts, styles, frames …); the number of scripts the page had."""
    scripts = sum(1 for _ in root.iter("script"))
    etree.strip_elements(root, *_JUNK, with_tail=False)
    return scripts


@dataclass
class Found:
    """The regions of a page that make its text, and why there are none when there are none."""

    regions: list
    missing: list = field(default_factory=list)  # ``select`` items that matched nothing
    fragment: FragmentMatch | None = None  # what the URL's #fragment selected
    unmatched_fragment: str | None = None  # the URL's #fragment, when nothing carries it

    @property
    def complete(self) -> bool:
        """Every declared selector (or the URL's fragment) found its region."""
        return not self.missing and not self.unmatched_fragment


def find_regions(root, rules: Rules, url: str) -> Found:
    """Apply ``remove``, then ``select``, or the URL's fragment, or the default regions with the
    page furniture stripped."""
    if rules.remove:
        selection.apply_remove(root, rules.remove)
    if rules.select:
        regions, missing = selection.apply_select(root, rules.select)
        return Found(regions, missing)
    anchor = anchor_of(url)
    if anchor:
        match = select_fragment(root, anchor)
        if match is None:
            return Found([], unmatched_fragment=anchor)
        boilerplate.strip_furniture(match.region, url)
        return Found([match.region], fragment=match)
    boilerplate.strip_furniture(root, url)
    return Found(boilerplate.default_regions(root))


def key_of(root, regions: list, rules: Rules, url: str, extractor_version: str) -> str:
    """sha256 hex digest of what the text rendered from `regions` of `root` is made from."""
    digest = hashlib.sha256(json.dumps([extractor_version, url, rules.to_json(), len(regions)]).encode())
    for region in regions:
        digest.update(b"\0" + "/".join(str(a.tag) for a in region.iterancestors()).encode() + b"\0")
        digest.update(etree.tostring(region, encoding="utf-8", with_tail=False))
        if len(regions) > 1:  # a region without a heading is titled by its label or its tab
            for labeller in _labellers(root, region):
                digest.update(b"\0" + etree.tostring(labeller, encoding="utf-8", with_tail=False))
    return digest.hexdigest()


def _labellers(root, region) -> list:
    """The elements outside `region` that html._label may read its title from."""
    found = []
    for i in (region.get("aria-labelledby") or "").split():
        found += root.xpath("//*[@id=$i]", i=i)
    if region.get("id"):
        found += root.xpath("//*[@aria-controls=$i]", i=region.get("id"))
    return found

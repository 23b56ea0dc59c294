"""A markup-stable key of the part of an HTML page that extraction reads.

A re-check whose bytes changed but not the document (a session token in a nav link, a build hash
in a script, a new cookie banner) needs no extraction when the regions extraction would render
are the same elements as in the snapshot the current version was read from. ``region_key``
parses the page, finds those regions with the same functions as ``html.extract_html``
(``strip_junk``, ``find_regions``: remove, then select, fragment or the default regions with the
furniture stripped), and hashes their serialisation
together with everything else the rendered text depends on: the rules, the page URL (links are
made absolute against it), the extractor version, the tags of the regions' ancestors (a button's
heading) and, for several regions, the elements that label them. Equal keys therefore mean equal
text; a different key means nothing (the page is extracted as usual).

No key (None) where that reasoning does not hold or is not worth it: not HTML, a redirect stub,
a select or fragment that matches nothing. The caller also needs the text to be long enough not
to be judged a script shell (crawler.analysis only compares keys of documents of 150 words or
more). About a third of an extraction's cost: parse, strip, select and one serialisation.
"""

from __future__ import annotations

import hashlib
import json

from lxml import etree

from .html import find_regions, strip_junk
from .sniff import sniff_format
from .stub import redirect_target
from .tree import parse

__all__ = ["region_key"]


def region_key(body: bytes, content_type: str | None, rules, url: str, extractor_version: str) -> str | None:
    """sha256 hex digest of what the text of this page is made from, or None (see the module)."""
    if sniff_format(body, content_type) != "html":
        return None
    try:
        root = parse(body, content_type)
    except Exception:  # noqa: BLE001 - a page that does not parse is for extraction to report
        return None
    if root is None or redirect_target(root, url):
        return None
    strip_junk(root)
    found = find_regions(root, rules, url)
    if found.missing or found.unmatched_fragment:
        return None
    regions = found.regions
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

"""Applying declared rules to a parsed page: ``remove`` first, then ``select``.

Matches of several selectors are concatenated in document order; a match nested inside another
match is dropped, so ``select = "div"`` yields each text once. A range selector keeps everything
between its start and end points, cloning the partially covered ancestors (like a DOM Range).
"""

import copy
import difflib
import re

from .rules import Range, Selector, compile_css
from .tree import drop, text_of
from .wordcount import count_runs

__all__ = ["apply_remove", "apply_select", "closest_candidate", "describe", "section_clone"]


def describe(selector: Selector) -> str:
    return repr(selector) if isinstance(selector, str) else "{" + str(selector) + "}"


class _Positions:
    """Pre-order open/close positions of every element, for document-order comparisons."""

    def __init__(self, root) -> None:
        self.open: dict = {}
        self.close: dict = {}
        counter = 0
        for event, el in _iterwalk(root):
            if event == "start":
                self.open[el] = counter
            else:
                self.close[el] = counter
            counter += 1

    def span(self, el) -> tuple[int, int]:
        return self.open[el], self.close[el]


def _iterwalk(root):
    from lxml import etree

    return etree.iterwalk(root, events=("start", "end"))


def _range_bounds(root, rng: Range, pos: _Positions) -> tuple[float, float] | None:
    starts = compile_css(rng.start)(root)
    ends = compile_css(rng.end)(root)
    if not starts or not ends:
        return None
    start_el, end_el = starts[0], ends[0]
    start = pos.close[start_el] + 0.25 if rng.start_after else pos.open[start_el] - 0.25
    end = pos.close[end_el] + 0.25 if rng.end_after else pos.open[end_el] - 0.25
    if end <= start:
        return None
    return start, end


def _clone_range(el, start: float, end: float, pos: _Positions):
    """A copy of ``el`` restricted to the positions in [start, end], or None."""
    o, c = pos.open[el], pos.close[el]
    if c < start or o > end:
        return None
    if o >= start and c <= end:
        clone = copy.deepcopy(el)
        clone.tail = None
        return clone
    clone = el.makeelement(el.tag, dict(el.attrib))
    if el.text and start <= o + 0.5 <= end:
        clone.text = el.text
    last = None
    for child in el:
        if not isinstance(child.tag, str):
            continue
        sub = _clone_range(child, start, end, pos)
        if sub is not None:
            clone.append(sub)
            last = sub
        if child.tail and start <= pos.close[child] + 0.5 <= end:
            if last is not None:
                last.tail = (last.tail or "") + child.tail
            else:
                clone.text = (clone.text or "") + child.tail
    return clone


def _remove_range(root, rng: Range, pos: _Positions) -> bool:
    bounds = _range_bounds(root, rng, pos)
    if bounds is None:
        return False
    start, end = bounds
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and el in pos.open
              and pos.open[el] >= start and pos.close[el] <= end]
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            el.tail = None
            parent.remove(el)
    return True


def apply_remove(root, selectors: tuple[Selector, ...]) -> None:
    """Remove every match of ``selectors`` in place (a selector that matches nothing is fine)."""
    for selector in selectors:
        if isinstance(selector, str):
            for el in compile_css(selector)(root):
                if el.getparent() is not None:
                    drop(el)
        else:
            _remove_range(root, selector, _Positions(root))


def apply_select(root, selectors: tuple[Selector, ...]):
    """Return (regions in document order, selectors that matched nothing)."""
    if all(isinstance(selector, str) for selector in selectors):
        matches = [(selector, compile_css(selector)(root)) for selector in selectors]
        found = {id(el): el for _, els in matches for el in els}
        if len(found) <= 1:  # the usual case (select = "main"): no document order to work out
            return list(found.values()), [selector for selector, els in matches if not els]
    pos = _Positions(root)
    spans: list[tuple[float, float, object]] = []
    missing: list[Selector] = []
    for selector in selectors:
        if isinstance(selector, str):
            matches = [el for el in compile_css(selector)(root) if el in pos.open]
            if not matches:
                missing.append(selector)
            spans.extend((pos.open[el], pos.close[el], el) for el in matches)
        else:
            bounds = _range_bounds(root, selector, pos)
            if bounds is None:
                missing.append(selector)
                continue
            clone = _clone_range(root, bounds[0], bounds[1], pos)
            if clone is not None:
                spans.append((bounds[0], bounds[1], clone))
    spans.sort(key=lambda span: (span[0], -span[1]))
    regions = []
    covered_until = float("-inf")
    for start, end, el in spans:
        if end <= covered_until:
            continue  # nested in (or equal to) a region already kept
        regions.append(el)
        covered_until = max(covered_until, end)
    return regions, missing




def _css_name(el) -> str:
    name = el.tag
    if el.get("id"):
        return f"{name}#{el.get('id').strip()}"
    if el.get("role") == "main":
        return f'{name}[role="main"]'
    classes = [c for c in (el.get("class") or "").split() if re.fullmatch(r"[A-Za-z_][\w-]*", c)]
    return name + "".join("." + c for c in classes[:2])


def closest_candidate(root, selector: Selector) -> tuple[str, int] | None:
    """The content region that the broken ``selector`` most probably meant: (css, words)."""
    body = root.find("body")
    scope = body if body is not None else root
    total = count_runs(text_of(scope))
    if total == 0:
        return None
    wanted = selector if isinstance(selector, str) else selector.start
    candidates = []
    for el in scope.iter("main", "article", "section", "div"):
        if not (el.get("id") or el.get("class") or el.tag in ("main", "article") or el.get("role") == "main"):
            continue
        words = count_runs(text_of(el))
        if words >= max(30, 0.3 * total):
            candidates.append((el, words))
        if len(candidates) > 400:
            break
    if not candidates:
        return None
    def score(item):
        el, words = item
        name = _css_name(el)
        similarity = difflib.SequenceMatcher(None, wanted.lower(), name.lower()).ratio()
        landmark = 0.2 if el.tag in ("main", "article") or el.get("role") == "main" else 0.0
        # prefer the tightest region that still holds most of the text
        return (similarity + landmark - 0.3 * (words / total > 0.97 and el.tag == "div"), words)
    best, words = max(candidates, key=score)
    return _css_name(best), words


def section_clone(root, start_el, is_end):
    """A copy of the page from ``start_el`` to the first later element for which ``is_end`` holds
    (a heading of the same or a higher level, the next anchor of its kind), or to the end."""
    pos = _Positions(root)
    start = pos.open[start_el] - 0.25
    end = pos.close[root] + 0.25
    for el in root.iter():
        if isinstance(el.tag, str) and el in pos.open and pos.open[el] > pos.close[start_el] and is_end(el):
            end = pos.open[el] - 0.25
            break
    return _clone_range(root, start, end, pos)

"""Per-document extraction rules: which parts of a page are the document.

Key names and shapes follow Open Terms Archive declarations so that they can be imported:
``select`` and ``remove`` are each a CSS selector, or a list of CSS selectors and range selectors
``{"startBefore" | "startAfter": css, "endBefore" | "endAfter": css}``.
"""

from dataclasses import dataclass
from functools import lru_cache

from cssselect import SelectorError
from lxml.cssselect import CSSSelector

__all__ = ["Rules", "Range", "compile_css"]

_START_KEYS = ("startBefore", "startAfter")
_END_KEYS = ("endBefore", "endAfter")


@lru_cache(maxsize=1024)
def compile_css(css: str) -> CSSSelector:
    """Compile a CSS selector for lxml HTML trees (cached); ``ValueError`` when invalid."""
    try:
        return CSSSelector(css, translator="html")
    except (SelectorError, ValueError) as exc:
        raise ValueError(f"invalid CSS selector {css!r}: {exc}") from None


@dataclass(frozen=True)
class Range:
    """An Open Terms Archive range selector: from a start element to an end element."""

    start: str
    start_after: bool  # False: the range starts before the start element (it is included)
    end: str
    end_after: bool  # True: the range ends after the end element (it is included)

    def to_json(self) -> dict:
        return {
            "startAfter" if self.start_after else "startBefore": self.start,
            "endAfter" if self.end_after else "endBefore": self.end,
        }

    def __str__(self) -> str:
        return ", ".join(f"{key}: {value!r}" for key, value in self.to_json().items())


Selector = str | Range


def _parse_item(item: object, where: str) -> Selector:
    if isinstance(item, str):
        if not item.strip():
            raise ValueError(f"{where}: empty CSS selector")
        compile_css(item)
        return item
    if isinstance(item, dict):
        starts = [key for key in _START_KEYS if key in item]
        ends = [key for key in _END_KEYS if key in item]
        unknown = sorted(set(item) - set(_START_KEYS) - set(_END_KEYS))
        if unknown or len(starts) != 1 or len(ends) != 1:
            raise ValueError(
                f"{where}: a range selector needs exactly one of 'startBefore'/'startAfter' and "
                f"one of 'endBefore'/'endAfter', got keys {sorted(item)}"
            )
        start, end = item[starts[0]], item[ends[0]]
        for key, value in ((starts[0], start), (ends[0], end)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{where}.{key}: expected a CSS selector string, got {value!r}")
            compile_css(value)
        return Range(start, starts[0] == "startAfter", end, ends[0] == "endAfter")
    raise ValueError(
        f"{where}: expected a CSS selector string or a range selector table, "
        f"got {type(item).__name__} {item!r}"
    )


def _parse(value: object, key: str) -> tuple[Selector, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (_parse_item(value, key),)
    if isinstance(value, (list, tuple)):
        return tuple(_parse_item(item, f"{key}[{index}]") for index, item in enumerate(value))
    raise ValueError(
        f"{key}: expected a CSS selector, or a list of CSS selectors and range selectors, "
        f"got {type(value).__name__} {value!r}"
    )


@dataclass(frozen=True)
class Rules:
    """What to keep (``select``) and drop (``remove``) from a page; empty means automatic."""

    select: tuple[Selector, ...] = ()
    remove: tuple[Selector, ...] = ()
    rendered: bool = False  # the body is what a browser rendered (render = true): never a script shell

    @classmethod
    def from_declaration(cls, select: object = None, remove: object = None) -> "Rules":
        """Build rules from declaration data; ``ValueError`` with the key path when malformed."""
        return cls(_parse(select, "select"), _parse(remove, "remove"))

    def to_json(self) -> dict:
        """A stable JSON-ready dict, stored with each version."""
        def dump(items):
            return [item if isinstance(item, str) else item.to_json() for item in items]

        return {"select": dump(self.select), "remove": dump(self.remove)}

    @classmethod
    def from_json(cls, data: dict) -> "Rules":
        return cls.from_declaration(data.get("select") or None, data.get("remove") or None)

    def __bool__(self) -> bool:
        return bool(self.select or self.remove)

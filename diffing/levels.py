"""The three levels of a change, on their own: every command names them, few classify.

``diffing.significance`` holds the rules that pick a level; this module holds only the closed
vocabulary, so that reading a stored level costs no regular expressions.
"""

from enum import StrEnum


class Significance(StrEnum):
    """How much a change matters; ordered: cosmetic < minor < material."""

    COSMETIC = "cosmetic"
    MINOR = "minor"
    MATERIAL = "material"

    @property
    def rank(self) -> int:
        return ("cosmetic", "minor", "material").index(self.value)

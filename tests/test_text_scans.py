"""The C-speed text scans of extraction (word counts, control characters) equal the patterns they replace, on any text."""

import random
import re

import pytest

from snapshots.extract.wordcount import count_runs, count_words

RUN = re.compile(r"\w+")
WORD = re.compile(r"\w+(?:['’-]\w+)*")

PIECES = ["a", "don't", "opt-out", "a--b", "-x-", "'", "’", "l’accord", "x’’y", "_", "__init__", "42", "4-2",
          "é", "Über", "straße", "ﬁ", "½", "²", "–", "—", "\u00a0", " ", "\n", "\t", "§", "«", "»", ".", ",",
          "数据", "データ", "\ud800", "\udfff", "\x00", "ª", "º", "İ", "ſ", "\u0301", "e\u0301", "١٢٣", "😀"]


def texts():
    rng = random.Random(7)
    for _ in range(4000):
        yield "".join(rng.choice(PIECES) + rng.choice(["", " ", "", "-", "'"]) for _ in range(rng.randint(0, 30)))
    yield ""
    yield "".join(chr(c) for c in range(0x4e00, 0x4e00 + 200))  # more distinct characters than are replaced
    yield " ".join(chr(c) + "-" + chr(c + 1) for c in range(0x4e00, 0x4e00 + 400, 2))


@pytest.mark.parametrize("count, pattern", [(count_runs, RUN), (count_words, WORD)])
def test_counts_equal_the_patterns_matches_on_any_text(count, pattern):
    for text in texts():
        assert count(text) == len(pattern.findall(text)), repr(text)


def test_control_characters_are_dropped_from_ascii_and_other_text_alike():
    import re as _re

    from snapshots.extract.tree import _drop_controls

    control = _re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
    rng = random.Random(3)
    pieces = PIECES + ["\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\t", "\r", "\x7f", "\x85"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        assert _drop_controls(text) == control.sub("", text), repr(text)

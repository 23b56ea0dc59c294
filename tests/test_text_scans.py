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


def test_counting_a_blocks_words_by_prefixes_gives_the_whole_counts_answer():
    from lxml import etree

    from snapshots.extract.boilerplate import _fewer_words, _words

    rng = random.Random(11)
    words = ["cookie", "accept", "x", "data-", "-", "’", "é", "", " ", "  ", "\n", "Ünïcode", "a_b", "42", "数据"]
    for _ in range(400):
        chunks = ["".join(rng.choice(words) + rng.choice(["", " "]) for _ in range(rng.randint(0, 300)))
                  for _ in range(rng.randint(1, 12))]
        html = "<div>" + "".join(f"<span>{c}</span><b></b>{c[:5]}" for c in chunks) + "</div>"
        el = etree.fromstring(html, etree.HTMLParser()).find(".//div")
        for limit in (1, 60, 80, 120, 250, 400):
            assert _fewer_words(el, limit) == (_words(el) < limit)
    for count in (59, 60):  # just under and at the limit, the words first and then a long run of spaces
        el = etree.fromstring(f"<div><p>{'word ' * count}</p><p>{' ' * 5000}</p></div>", etree.HTMLParser())
        assert _fewer_words(el.find(".//div"), 60) == (count < 60)

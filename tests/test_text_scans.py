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


def _parsed_as_text(body: bytes, content_type):
    """tree.parse's text path: decode_html, controls and XML declaration dropped, lxml reading the str."""
    from lxml import etree

    from snapshots.extract import tree
    from snapshots.extract.charset import decode_html

    text = tree._drop_controls(tree._XML_DECLARATION.sub("", decode_html(body, content_type), count=1))
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, tree._PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root if root is not None and isinstance(root.tag, str) else None


def test_a_utf8_body_parsed_from_its_bytes_gives_the_tree_its_decoded_text_gives():
    from lxml import etree

    from snapshots.extract import tree

    pieces = [b"<p>", b"</p>", b"<div class='a'>", b"</div>", b"text ", b"caf\xc3\xa9", b"\xe2\x80\x99", b"\xe6\x95\xb0",
              b"\xf0\x9f\x98\x80", b"\xe9", b"\x92", b"\xff", b"\xe3\x81", b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xef\xbf", b"\x01", b"\x1f", b"\t",
              b"\r\n", b" ", b"\xc2\xa0", b"&amp;", b"&#8217;", b"<br>", b"<!-- c -->", b"<script>x<y</script>",
              b"<meta charset='iso-8859-1'>", b"<meta charset=utf-8>", b"<meta charset='shift_jis'>", b"<?xml version='1.0'?>"]
    starts = [b"", b"  ", b"\n<?xml version='1.0' encoding='latin-1'?>", b"\xef\xbb\xbf", b"\xc2\xa0", b"\x1c", b"<!DOCTYPE html>"]
    rng = random.Random(11)
    fast = 0
    for i in range(3000):
        body = rng.choice(starts) + b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        content_type = rng.choice([None, "text/html", "text/html; charset=iso-8859-1", "text/html; charset=utf-8"])
        fast += tree._as_is(body, content_type)
        got, want = tree.parse(body, content_type), _parsed_as_text(body, content_type)
        assert (got is None) == (want is None), (body, content_type)
        if got is not None:
            assert etree.tostring(got, encoding="unicode") == etree.tostring(want, encoding="unicode"), (body, content_type)
    assert fast > 100  # the bytes path was taken (most random bodies hold a byte that sends them the text way)
    assert tree._as_is("<html><body><p>L’accord — données</p></body></html>".encode("utf-8"), "text/html")


def test_a_heading_title_collapses_every_kind_of_white_space_into_one_space():
    # clean_title skips its white-space pass for titles whose only white space is single spaces
    from diffing.sections import clean_title

    white = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    rng = random.Random(5)
    for _ in range(20000):
        title = "".join(rng.choice(["a", "Data", ":", " ", "  ", "é", "数据", *white]) for _ in range(rng.randint(0, 12)))
        assert clean_title(title) == re.sub(r"\s+", " ", title).strip(" :"), repr(title)


def test_a_paragraph_collapses_every_kind_of_white_space_into_one_space():
    # _collapse returns an already collapsed paragraph as it is: its check must hold for every white-space character
    from snapshots.extract.markdown import _BR, _collapse

    white = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert all(not c.isprintable() for c in white if c != " ")  # what the check rests on
    rng = random.Random(6)
    for _ in range(20000):
        parts = ["".join(rng.choice(["a", "Data", ".", " ", "  ", "é", "数据", "\u00ad", *white]) for _ in range(rng.randint(0, 10)))
                 for _ in range(rng.randint(1, 3))]
        text = "".join(parts)
        want = "\n".join(" ".join(line.split()) for line in text.split(_BR)).strip("\n") if _BR in text else " ".join(text.split())
        assert _collapse(parts) == want, repr(parts)

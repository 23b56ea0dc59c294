"""normalise_text and comparison_key: typographic noise, links, URLs, whitespace; idempotence."""

import random

import pytest

from snapshots.extract import comparison_key, normalise_text
from snapshots.extract.normalise import key_and_tokens

CASES = [
    ("quotes", "\u2018a\u2019 \u201cb\u201d \u201ec\u201c", "'a' \"b\" \"c\"\n"),
    ("dashes", "a \u2013 b \u2014 c non\u2011breaking", "a - b - c non-breaking\n"),
    ("odd spaces", "a\u00a0b\u202fc\u2009d\te", "a b c d e\n"),
    ("invisible", "\ufeffpri\u00advacy\u200b po\u2060licy", "privacy policy\n"),
    ("link", "See [our policy](https://x.com/p?a=1 \"t\") now", "See our policy now\n"),
    ("nested brackets", "[1\\. [Data] we collect](#data)", "1\\. [Data] we collect\n"),
    ("image", "Logo ![ACME logo](/logo.png) here", "Logo here\n"),
    ("link in link text", "[a [b](c) d](e)", "a b d\n"),
    ("bare url query", "Go to https://x.com/a/b?utm=1&id=99#frag now", "Go to https://x.com/a/b now\n"),
    ("space runs", "a   b  \n  - c   d  ", "a b\n  - c d\n"),
    ("blank runs", "a\n\n\n\nb\n \n \nc", "a\n\nb\n\nc\n"),
    ("crlf", "a\r\nb\rc", "a\nb\nc\n"),
    ("ligature (NFKC)", "\ufb01nal", "final\n"),
    ("empty", " \n\t\n", ""),
    ("lone surrogate", "a\ud800b", "a\ufffdb\n"),
    ("controls", "a\x00b\x1ec\x7fd", "abcd\n"),
    ("cr before a dropped character", "a\r\u200b\nb", "a\n\nb\n"),
]


@pytest.mark.parametrize("name, raw, expected", CASES, ids=[case[0] for case in CASES])
def test_normalise_text_cleans_typographic_and_markup_noise(name, raw, expected):
    assert normalise_text(raw) == expected


def test_normalise_text_is_idempotent_on_random_noisy_text():
    alphabet = list("ab [](){}!#?&=/:.-_ \n\t") + ["https://x.io/p?q=1#f", "\u2019", "\u00a0", "\u200b", "\u2014", "\r\n", "\ufb01", "\\"]
    rng = random.Random(1234)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        once = normalise_text(text)
        assert normalise_text(once) == once, repr(text)


def test_comparison_key_ignores_whitespace_and_line_breaks():
    assert comparison_key("a b\n\nc") == comparison_key("a  b c\n")
    assert comparison_key("a b c") != comparison_key("a b d")
    assert len(comparison_key("x")) == 64


def test_comparison_key_ignores_link_targets_and_tracking_ids():
    assert comparison_key("[Policy](https://x.com/p?session=1)") == comparison_key("[Policy](https://x.com/p?session=2)")


# every character Python's str.split() splits on
WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_normalised_text_has_no_whitespace_but_spaces_and_newlines():
    # key_and_tokens relies on it
    for char in WHITESPACE:
        for text in (f"a{char}b", f"{char}a {char}{char}b{char}", f"a \r{char}\nb"):
            assert set(normalise_text(text)) <= set("ab \n\ufffd"), (hex(ord(char)), text)


def test_key_and_tokens_is_the_key_and_length_of_the_split_text():
    import hashlib

    alphabet = ["a", "bc", " ", "  ", "\n", "\n\n", "\n  - ", "\u00e9", "\u4e2d", "\U0001f600", *WHITESPACE, "\u200b"]
    rng = random.Random(99)
    for _ in range(3000):
        normalised = normalise_text("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
        for text in (normalised, normalised + "\n\n" + normalised):  # as analysis joins a document's pages
            tokens = text.split()
            assert key_and_tokens(text) == (hashlib.sha256(" ".join(tokens).encode()).hexdigest(), len(tokens))

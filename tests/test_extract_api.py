"""The public API: sniffing, rules declarations, garbage input, charsets, determinism, speed."""

import zlib
from pathlib import Path

import pytest

from snapshots.extract import (
    EXTRACTOR_VERSION, Extraction, ExtractError, NotADocument, Range, Rules, extract, sniff_format,
)
from snapshots.extract.wordcount import _WORD, count_words

PAGE = b"<html><body><main><h1>Privacy</h1><p>We process data.</p></main></body></html>"


@pytest.mark.parametrize("body, content_type, expected", [
    (b"%PDF-1.7\n...", "text/html", "pdf"),
    (b"%PDF-1.4\n...", "application/octet-stream", "pdf"),
    (b"\xef\xbb\xbf%PDF-1.4", None, "pdf"),
    (PAGE, "text/html; charset=utf-8", "html"),
    (PAGE, None, "html"),
    (PAGE, "application/octet-stream", "html"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "text/html", None),
    (b"PK\x03\x04\x14\x00", "text/html", None),
    (bytes(range(256)) * 4, "text/html", None),
    (b"just text, no PDF header", "application/pdf", None),
    ("<p>UTF-16</p>".encode("utf-16"), "text/html", "html"),
])
def test_sniff_format_uses_magic_bytes_then_content_type_then_heuristic(body, content_type, expected):
    assert sniff_format(body, content_type) == expected


@pytest.mark.parametrize("body, reason", [
    (b"\x89PNG\r\n\x1a\n\x00\x00IHDR", "not a document: a PNG image served as text/html"),
    (zlib.compress(b"x" * 1000) + b"\x00\x01\x02" * 50, "not a document: binary content served as text/html"),
    (b"PK\x03\x04garbage", "not a document: a zip archive served as text/html"),
])
def test_binary_garbage_raises_not_a_document_with_a_reason(body, reason):
    with pytest.raises(NotADocument) as excinfo:
        extract(body, url="https://example.com/x", content_type="text/html")
    assert str(excinfo.value) == reason
    assert isinstance(excinfo.value, ExtractError)


def test_truncated_pdf_raises_extract_error():
    with pytest.raises(ExtractError, match="unreadable PDF"):
        extract(b"%PDF-1.4\n1 0 obj <<", url="u")


@pytest.mark.parametrize("body", [
    b"", b"   ", b"<html>", b"<<<>>>", b"</p></div></body>", b"<?xml version='1.0' encoding='utf-8'?><html><body>ok</body></html>",
    b"<p>" * 5000 + b"deep", b"<html><body>\xff\xfe\xfa broken \x80 bytes</body></html>",
    b"<table><tr><td>1<td>2<tr><td>3</table>", b"<ul><li>a<li>b</ul><ol><li>1",
])
def test_malformed_markup_never_crashes(body):
    result = extract(body, url="u", content_type="text/html")
    assert isinstance(result, Extraction)
    assert result.problem_kind in (None, "empty")


def test_empty_page_is_reported_as_empty():
    result = extract(b"<html><body><div></div></body></html>", url="u")
    assert (result.text, result.problem_kind) == ("", "empty")


def test_wrong_utf8_charset_header_falls_back_to_cp1252():
    body = "<p>Données personnelles – “RGPD”</p>".encode("cp1252")
    result = extract(body, url="u", content_type="text/html; charset=utf-8")
    assert result.text == 'Données personnelles - "RGPD"\n'


def test_extraction_reports_headings_and_words():
    result = extract(PAGE, url="u")
    assert (result.format, result.headings, result.words, result.problem_kind) == ("html", ["Privacy"], 4, None)


def test_extraction_is_deterministic():
    assert extract(PAGE, url="u") == extract(PAGE, url="u")


def test_rules_from_declaration_accepts_css_lists_and_ranges():
    rules = Rules.from_declaration(["main", {"startAfter": "h1", "endBefore": "footer"}], ".ad")
    assert rules.select == ("main", Range("h1", True, "footer", False))
    assert rules.remove == (".ad",)
    assert rules.to_json() == {"select": ["main", {"startAfter": "h1", "endBefore": "footer"}], "remove": [".ad"]}
    assert Rules.from_json(rules.to_json()) == rules
    assert hash(rules) == hash(Rules.from_json(rules.to_json()))
    assert Rules.from_declaration() == Rules() and not Rules()


@pytest.mark.parametrize("select, message", [
    (42, "select: expected a CSS selector, or a list of CSS selectors and range selectors, got int 42"),
    (["main", ""], "select[1]: empty CSS selector"),
    ([{"startBefore": "h1"}], "select[0]: a range selector needs exactly one of 'startBefore'/'startAfter' "
                              "and one of 'endBefore'/'endAfter', got keys ['startBefore']"),
    ([{"startBefore": "h1", "endBefore": 3}], "select[0].endBefore: expected a CSS selector string, got 3"),
    (["main >> p"], "invalid CSS selector 'main >> p'"),
    ([["main"]], "select[0]: expected a CSS selector string or a range selector table, got list ['main']"),
])
def test_bad_rule_declarations_raise_precise_value_errors(select, message):
    with pytest.raises(ValueError) as excinfo:
        Rules.from_declaration(select)
    assert message in str(excinfo.value)


def test_partial_select_keeps_text_but_reports_the_missing_selector():
    result = extract(PAGE, url="u", rules=Rules.from_declaration(["h1", "#gone"]))
    assert result.text == "# Privacy\n"
    assert result.problem_kind == "selector-matched-nothing"
    assert result.problem.startswith("select '#gone' matched nothing")


def test_huge_page_is_extracted_whole():
    # its time is printed by bench/extract_bench.py, not asserted here
    row = b"<tr><td>Cookie name</td><td>Purpose of the cookie and its lifetime</td></tr>"
    body = b"<html><body><main><table>" + row * 40000 + b"</table></main></body></html>"  # ~3 MB
    result = extract(body, url="u")
    assert result.words > 200000 and result.text.count("Cookie name") == 40000


def test_extractor_version_is_a_string():
    assert isinstance(EXTRACTOR_VERSION, str) and EXTRACTOR_VERSION


GOLDEN = Path(__file__).parent / "fixtures" / "extract"
WORD_CASES = ["", "a", "a-b-c", "x--y", "'quoted'", "don't", "a-", "-a", "3-4-5 it's o'neil-smith x'y'z", "__init__-x",
              "a -b - c", "e-mail\tand\nnew-line", "café au lait", "l’accord d’entreprise", "naïve-ish 1½ ①", "x\x00y"]


def test_word_counts_are_those_of_the_word_pattern_for_ascii_and_other_text():
    texts = WORD_CASES + [path.read_text(encoding="utf-8") for path in sorted(GOLDEN.glob("*.expected.md"))]
    assert [count_words(t) for t in texts] == [len(_WORD.findall(t)) for t in texts]

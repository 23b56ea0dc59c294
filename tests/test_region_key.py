"""Markup churn: a page whose bytes changed outside the regions extraction reads is not extracted again.

snapshots.extract.region.key_of hashes what the text is made from (Extraction.region_key); crawler.analysis
hands extraction the key of the page the current version was read from, and extraction stops before
rendering when the keys are equal. Equal keys must mean equal text: the golden files are checked with
edits outside and inside their regions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.analysis import Job, Page, analyse
from snapshots.extract import Rules, comparison_key, extract

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CASES = {path.name.removesuffix(".html"): {} for path in FIXTURES.glob("*.html")}
CASES.update(json.loads((FIXTURES / "cases.json").read_text()))

PARAGRAPH = ("We process the personal data of our customers for the purposes set out in this notice and keep "
             "it only as long as the contract requires, unless the law obliges us to keep it longer. ")
POLICY = ("<!DOCTYPE html><html><head><title>Privacy</title><script src='/app.{build}.js'></script></head><body>"
          "<header><nav><a href='/'>Home</a> <a href='/pricing?session={token}'>Pricing</a></nav></header>"
          "<main><h1>Privacy Policy</h1>{sections}</main>"
          "<footer><a href='/imprint'>Imprint</a></footer></body></html>")
URL = "https://example.com/privacy"
RULES = Rules.from_declaration("main", None)


def policy(token="a1", build="1", edit="") -> bytes:
    sections = "".join(f"<h2>{n}. Section</h2><p>{PARAGRAPH * 2}{edit if n == 3 else ''}</p>" for n in range(1, 6))
    return POLICY.format(token=token, build=build, sections=sections).encode()


def key(body: bytes, rules=RULES, url=URL, content_type="text/html") -> str | None:
    return extract(body, url=url, content_type=content_type, rules=rules).region_key


def test_a_session_token_in_a_nav_link_or_a_new_script_build_keeps_the_region_key():
    assert key(policy()) is not None
    assert key(policy(token="b2")) == key(policy())
    assert key(policy(build="2")) == key(policy())
    assert key(policy(), rules=Rules()) == key(policy(token="b2", build="3"), rules=Rules())  # default regions


def test_an_edit_inside_the_region_other_rules_or_another_url_change_the_region_key():
    assert key(policy(edit="We now also share it with partners.")) != key(policy())
    assert key(policy(), rules=Rules.from_declaration("main", "h2")) != key(policy())
    assert key(policy(), url="https://example.org/privacy") != key(policy())


def test_no_region_key_for_a_pdf_or_a_select_that_matches_nothing():
    from test_extract_pdf import dpa_pdf

    assert key(dpa_pdf(pages=1), content_type="application/pdf") is None
    assert key(policy(), rules=Rules.from_declaration("#terms", None)) is None


OUTSIDE = [  # edits that leave a page's document alone, or not: either way equal keys must mean equal text
    lambda html: html.replace("</body>", "<script>window.token = 'c3';</script></body>", 1),
    lambda html: html.replace("<body>", "<body><nav><a href='/x?sid=9'>Menu</a></nav>", 1),
    lambda html: re.sub(r"<body([^>]*)>", r"<body\1><div class='cookie-banner'>We use cookies. "
                        r"<button>Accept</button></div>", html, count=1),
    lambda html: html.replace("</body>", "<p>One more paragraph at the very end of the page.</p></body>", 1),
    lambda html: html.replace("</p>", " Inserted words.</p>", 1),
]


@pytest.mark.parametrize("name", sorted(CASES))
def test_equal_region_keys_mean_equal_text_on_every_golden_file(name):
    case = CASES[name]
    body = (FIXTURES / case.get("html", name + ".html")).read_bytes()
    rules = Rules.from_declaration(case.get("select"), case.get("remove"))
    content_type = case.get("content_type", "text/html")
    url = f"https://example.com/{name}"
    before = key(body, rules, url, content_type)
    text = extract(body, url=url, content_type=content_type, rules=rules).text
    for edit in OUTSIDE:
        changed = edit(body.decode("latin-1")).encode("latin-1")
        if before is not None and key(changed, rules, url, content_type) == before:
            assert extract(changed, url=url, content_type=content_type, rules=rules).text == text


def test_the_golden_files_mostly_have_a_region_key_that_survives_markup_churn():
    kept = 0
    for name, case in CASES.items():
        body = (FIXTURES / case.get("html", name + ".html")).read_bytes()
        rules = Rules.from_declaration(case.get("select"), case.get("remove"))
        content_type, url = case.get("content_type", "text/html"), f"https://example.com/{name}"
        before = key(body, rules, url, content_type)
        kept += before is not None and key(OUTSIDE[0](body.decode("latin-1")).encode("latin-1"), rules, url,
                                           content_type) == before
    assert kept >= len(CASES) // 2


def job(body: bytes, previous: bytes) -> Job:
    first = extract(previous, url=URL, content_type="text/html", rules=RULES)
    return Job(1, [Page(URL, body, "text/html")], RULES, previous_text=first.text,
               previous_key=comparison_key(first.text, normalised=True), previous_words=first.words,
               previous_region_keys=[first.region_key])


def test_extraction_given_the_known_key_renders_nothing_and_otherwise_renders_as_usual(monkeypatch):
    import snapshots.extract.html as html

    rendered = []
    real = html._render_regions
    monkeypatch.setattr(html, "_render_regions", lambda root, regions: rendered.append(1) or real(root, regions))
    known = key(policy())
    rendered.clear()
    same = extract(policy(token="b2", build="9"), url=URL, content_type="text/html", rules=RULES,
                   known_region_key=known)
    assert same.same_regions and same.text == "" and same.region_key == known and rendered == []
    edit = policy(edit="We now also share it with partners.")
    other = extract(edit, url=URL, content_type="text/html", rules=RULES, known_region_key=known)
    assert not other.same_regions and rendered == [1]
    assert other == extract(edit, url=URL, content_type="text/html", rules=RULES)


def test_a_re_check_after_markup_churn_is_unchanged_without_extraction():
    result = analyse(job(policy(token="b2", build="7"), policy()))
    assert result.same_regions and not result.changed and result.problem_kind is None
    assert result.region_keys == [key(policy())]


def test_a_re_check_after_an_edit_in_the_region_is_extracted_and_changed():
    result = analyse(job(policy(edit="We now also share it with partners."), policy()))
    assert not result.same_regions and result.changed
    assert result.added_words == 7 and "share it with partners" in result.text
    assert result.region_keys == [key(policy(edit="We now also share it with partners."))]


# -- the process stage keeps the keys of pages that gave the current text, and only those --------------

def page(token: str, edit: str = "") -> str:
    return policy(token=token, edit=edit).decode().replace("https://example.com", "http://127.0.0.1:9")


def region_keys(checker) -> dict | None:
    from snapshots.models import Document

    with checker.archive.reading() as s:
        return s.query(Document).one().region_keys


class Counting:
    """Wraps a function and records the argument that matters of each call."""

    def __init__(self, real, what):
        self.real, self.what, self.calls = real, what, []

    def __call__(self, *args, **kwargs):
        self.calls.append(self.what(*args, **kwargs))
        return self.real(*args, **kwargs)


def test_the_process_stage_stores_region_keys_and_a_churn_re_check_reads_no_previous_body(home, monkeypatch):
    from test_archive import URL as CHECKED, Checker

    import crawler.analysis
    import snapshots.extract.html as html
    from snapshots import recorder

    c = Checker(home)
    assert c.check(page("t1")).new == 1
    stored = region_keys(c)
    assert list(stored) == [CHECKED] and len(stored[CHECKED]) == 64

    bodies = Counting(recorder.bodies, lambda session, snaps: len(list(snaps)))
    monkeypatch.setattr(recorder, "bodies", lambda session, snaps: bodies(session, list(snaps)))
    extracted = Counting(crawler.analysis.extract, lambda body, **kw: (kw["url"], kw["known_region_key"]))
    monkeypatch.setattr(crawler.analysis, "extract", extracted)
    rendered = Counting(html._render_regions, lambda root, regions: len(regions))
    monkeypatch.setattr(html, "_render_regions", rendered)
    summary = c.check(page("t2"))  # new bytes, same regions
    assert summary.unchanged == 1 and summary.changed == 0
    assert extracted.calls == [(CHECKED, stored[CHECKED])]  # compared with the current text's key …
    assert rendered.calls == [] and bodies.calls == [1]  # … rendering nothing, reading the new page's body only
    assert region_keys(c) == stored


def test_region_keys_are_replaced_with_every_version_so_an_old_page_is_a_change_again(home):
    from test_archive import Checker

    c = Checker(home)
    c.check(page("t1"))
    first = region_keys(c)
    edited = c.check(page("t2", edit="We now also share it with partners."))
    assert edited.changed == 1 and region_keys(c) != first
    back = c.check(page("t3"))  # the first text again, behind new markup churn: its keys are no longer current
    assert back.changed == 1 and region_keys(c) == first


def test_a_text_waiting_for_confirmation_does_not_replace_the_keys_of_the_current_text(home):
    from test_archive import URL as CHECKED, Checker

    from crawler.profiles import load_catalog

    c = Checker(home)
    home.simple_profile("acme", {"policy": CHECKED}, source_keys={"confirm": 2})
    c.catalog = load_catalog(home.profiles)
    c.check(page("t1"))
    first = region_keys(c)
    assert c.check(page("t2", edit="We now also share it with partners.")).pending_confirmation == 1
    assert region_keys(c) == first
    assert c.check(page("t3")).unchanged == 1  # back to the current text, by its region keys


def test_a_document_of_two_pages_whose_second_page_changed_is_extracted_whole():
    second = "https://example.com/privacy-2"
    before = [extract(b, url=u, content_type="text/html", rules=RULES) for b, u in ((policy(), URL), (policy(), second))]
    edit = policy(edit="We now also share it with partners.")
    text = "\n\n".join(e.text for e in before)
    j = Job(1, [Page(URL, policy(token="b2"), "text/html"), Page(second, edit, "text/html")], RULES,
            previous_text=text, previous_key=comparison_key(text, normalised=True),
            previous_words=sum(e.words for e in before), previous_region_keys=[e.region_key for e in before])
    result = analyse(j)
    assert not result.same_regions and result.changed and result.added_words == 7
    assert result.text == before[0].text + "\n\n" + extract(edit, url=second, content_type="text/html", rules=RULES).text
    assert result.region_keys == [before[0].region_key, key(edit, url=second)]
    j.pages[1] = Page(second, policy(token="c3"), "text/html")
    assert analyse(j).same_regions

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


@pytest.mark.parametrize("name", sorted(CASES))
def test_region_key_alone_is_the_key_extraction_gives_on_every_golden_file_and_its_churned_copies(name):
    from snapshots.extract import region_key

    case = CASES[name]
    body = (FIXTURES / case.get("html", name + ".html")).read_bytes()
    rules = Rules.from_declaration(case.get("select"), case.get("remove"))
    content_type = case.get("content_type", "text/html")
    url = f"https://example.com/{name}"
    for variant in [body] + [edit(body.decode("latin-1")).encode("latin-1") for edit in OUTSIDE]:
        alone = region_key(variant, url=url, content_type=content_type, rules=rules)
        given = key(variant, rules, url, content_type)  # None as well for a script shell or an empty text
        assert alone == given or (given is None and alone is not None)
        if alone is not None:  # the key extraction compares a known key with
            assert extract(variant, url=url, content_type=content_type, rules=rules, known_region_key=alone).same_regions


def test_region_key_alone_is_none_for_a_pdf_a_redirect_stub_and_a_select_that_matches_nothing():
    from test_extract_pdf import dpa_pdf

    from snapshots.extract import NotADocument, region_key

    assert region_key(dpa_pdf(pages=1), url=URL, content_type="application/pdf") is None
    assert region_key(policy(), url=URL, content_type="text/html", rules=Rules.from_declaration("#terms", None)) is None
    stub = b"<html><head><meta http-equiv='refresh' content='0; url=/new'></head><body>Moved.</body></html>"
    assert region_key(stub, url=URL, content_type="text/html") is None
    with pytest.raises(NotADocument):
        region_key(b"\x00\x01\x02 binary", url=URL, content_type="application/octet-stream")


# -- the fetch stage tells markup churn itself: the body is stored processed, nothing is analysed ------

class FetchStageChecker:
    """test_archive.Checker with the fetch stage of a real check: its pipeline's `same_text` and the
    plan's `known_regions` for every page."""

    def __init__(self, home, sources=None, **source_keys):
        from test_archive import URL as CHECKED, Checker

        self.checker = Checker(home)
        self.urls = sources or {"policy": CHECKED}
        home.simple_profile("acme", self.urls, source_keys=source_keys)
        from crawler.profiles import load_catalog

        self.checker.catalog = load_catalog(home.profiles)
        self.archive = self.checker.archive
        self.plan = None

    def check(self, bodies: dict[str, str]):
        from crawler.pipelines import same_text
        from crawler.process import Processor
        from crawler.runs import prepare_run
        from snapshots.store import FetchResult, SnapshotWriter, last_snapshots

        c = self.checker
        self.plan = plan = prepare_run(c.archive, c.catalog, c.catalog.sources())
        pages = {p.url: p for p in plan.pages}
        with c.archive.reading() as s:
            known = last_snapshots(s, list(pages))
        writer = SnapshotWriter(c.archive.db, known=known, same_text=same_text)
        self.outcomes = {}
        for url, body in bodies.items():
            self.outcomes[url] = writer.add(FetchResult(
                url=url, run_id=plan.run_id, status=200, final_url=url, body=body.encode(),
                headers={"content-type": "text/html; charset=utf-8"}, known_regions=pages[url].known_regions))
        writer.flush()
        summary = Processor(c.settings, c.archive, c.catalog, plan.run_id).process(plan)
        summary.sync()
        return summary


def test_a_churned_page_is_stored_processed_and_its_document_unchanged_without_any_analysis(home, monkeypatch):
    from test_archive import URL as CHECKED

    import crawler.analysis
    import crawler.process
    from snapshots.extract import extract as real_extract
    from snapshots.models import Fetch, Snapshot
    from snapshots.store import SAME_TEXT_REASON, get_blob

    c = FetchStageChecker(home)
    assert c.check({CHECKED: page("t1")}).new == 1
    assert c.plan.pages[0].known_regions is None  # no current text yet
    analysed = Counting(crawler.process.analyse, lambda job: job.document_id)
    monkeypatch.setattr(crawler.process, "analyse", analysed)
    extracted = Counting(crawler.analysis.extract, lambda body, **kw: kw["url"])
    monkeypatch.setattr(crawler.analysis, "extract", extracted)

    summary = c.check({CHECKED: page("t2")})  # new bytes, same regions
    assert (summary.unchanged, summary.changed) == (1, 0)
    assert c.plan.pages[0].known_regions == {"key": region_keys(c)[CHECKED], "rules": {"select": [], "remove": []}}
    assert c.outcomes == {CHECKED: "unchanged"} and analysed.calls == [] and extracted.calls == []
    with c.archive.reading() as s:
        snaps = s.query(Snapshot).order_by(Snapshot.id).all()
        fetch = s.query(Fetch).order_by(Fetch.id.desc()).first()
        assert len(snaps) == 2 and snaps[1].processed and fetch.snapshot_id == snaps[1].id
        assert (fetch.outcome, fetch.reason) == ("unchanged", SAME_TEXT_REASON)
        stored = [get_blob(s, snap.sha256) for snap in snaps]
    assert stored[1] == page("t2").encode()  # the new bytes are kept, and read as the current text
    texts = [real_extract(b, url=CHECKED, content_type="text/html").text for b in stored]
    assert texts[0] == texts[1]

    edited = c.check({CHECKED: page("t3", edit="We now also share it with partners.")})
    assert edited.changed == 1 and c.outcomes == {CHECKED: "pending"} and analysed.calls == [1]


def test_the_plan_names_no_region_key_for_a_short_text_whose_markers_are_looked_for(home):
    from test_archive import URL as CHECKED, SHORT

    c = FetchStageChecker(home)
    c.check({CHECKED: SHORT})  # under crawler.analysis.SHORT_WORDS: markers are looked for in its text
    c.check({CHECKED: SHORT.replace("<html>", "<html lang='en'>")})
    assert c.plan.pages[0].known_regions is None


def test_the_plan_names_no_region_key_while_a_text_waits_for_confirmation(home):
    from test_archive import URL as CHECKED

    held = FetchStageChecker(home, confirm=2)
    held.check({CHECKED: page("t1")})
    assert held.check({CHECKED: page("t2", edit="We now also share it with partners.")}).pending_confirmation == 1
    held.check({CHECKED: page("t3")})
    assert held.plan.pages[0].known_regions is None  # analysed as usual: the wait ends with it
    assert held.check({CHECKED: page("t4")}).unchanged == 1 and held.plan.pages[0].known_regions is not None
    assert held.outcomes == {CHECKED: "unchanged"}


def test_the_plan_names_no_region_key_for_a_page_two_documents_read(home):
    from test_archive import URL as CHECKED

    from crawler.profiles import load_catalog

    second = CHECKED.replace("policy", "terms")
    shared = FetchStageChecker(home, {"policy": CHECKED, "terms": second})
    home.profile("other", f"""
        name = "Other"
        provider = "Example"
        reviewed = 2026-11-20

        [sources.both]
        urls = ["{CHECKED}", "{second}"]
        type = "terms"

        [[criteria]]
        id = "eu-residency"
        label = "EU data residency"
        rating = "partial"
        sources = ["both"]
        watch = ["Ireland"]
    """)
    shared.checker.catalog = load_catalog(home.profiles)
    bodies = {CHECKED: page("t1"), second: page("t1").replace("Privacy Policy", "Terms")}
    shared.check(bodies)
    assert shared.check(bodies).unchanged == 3
    known = {p.url: p.known_regions for p in shared.plan.pages}
    assert known == {CHECKED: None, second: None}  # each read by two documents, each with its own key
    churned = {url: body.replace("t1", "t2") for url, body in bodies.items()}
    assert shared.check(churned).unchanged == 3 and set(shared.outcomes.values()) == {"pending"}

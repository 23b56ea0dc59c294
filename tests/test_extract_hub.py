"""Pages holding several documents, cited by fragment; redirect stubs; navigation kept out of the text."""

from __future__ import annotations

import pytest

from crawler.analysis import Citing, Job, Page, analyse
from diffing.assess import CriterionRef
from snapshots.extract import Rules, extract

LOREM = ("The provider processes personal data only on documented instructions of the customer and "
         "keeps records of every processing activity it carries out for the customer. ")


def hub(short_clause: str = "Inputs are kept for thirty days.", extra_link: str = "") -> bytes:
    return f"""<html><body>
<nav><a href="/">Home</a></nav>
<aside class="legal-nav"><ul><li><a href="/legal/terms">Terms</a></li><li><a href="/legal/privacy">Privacy</a></li>
<li><a href="/legal/dpa">DPA</a></li>{extra_link}</ul></aside>
<article id="consumer-terms"><h2>Consumer terms</h2>{"<p>" + LOREM * 6 + "</p>" * 1}
{"".join(f"<p>Clause {k}. {LOREM}</p>" for k in range(12))}</article>
<article id="platform-terms"><h2>Platform terms</h2><p>The platform terms govern API use by developers.
{short_clause} Developers may request deletion at any time by writing to the support team.</p></article>
<article id="usage-policy"><h2>Usage policy</h2><p>{LOREM * 2}</p></article>
</body></html>""".encode()


def test_every_sibling_article_is_kept_in_order_under_its_own_heading():
    result = extract(hub(), url="https://example.com/legal/")
    assert result.headings == ["Consumer terms", "Platform terms", "Usage policy"]
    assert "Inputs are kept for thirty days." in result.text


def test_an_edit_in_a_much_shorter_sibling_article_is_reported_and_named_by_its_section():
    old = extract(hub(), url="https://example.com/legal/").text
    job = Job(1, [Page("https://example.com/legal/", hub("Inputs are kept for ninety days."), "text/html")],
              Rules(), previous_text=old, previous_key="x", previous_words=len(old.split()),
              citing=[Citing("p", "s", "Legal hub", [])])
    out = analyse(job)
    assert out.changed and out.problem_kind is None
    assessment = out.assessments[0][1]
    assert assessment.reported
    assert "Platform terms" in assessment.summary


def test_a_fragment_selects_the_element_with_that_id_and_says_so():
    result = extract(hub(), url="https://example.com/legal/#platform-terms")
    assert result.headings == ["Platform terms"]
    assert "Consumer terms" not in result.text
    assert result.note == "fragment #platform-terms: the <article> element with id 'platform-terms'"


def test_a_fragment_naming_a_heading_selects_its_section_until_the_next_heading_of_its_level():
    page = b"""<html><body><main><h1>Legal</h1><h2 id="retention">Retention</h2><p>We keep logs 30 days.</p>
<h3>Backups</h3><p>Backups last 7 days.</p><h2><a name="law"></a>Governing law</h2><p>Irish law applies.</p>
</main></body></html>"""
    result = extract(page, url="https://example.com/privacy#retention")
    assert result.headings == ["Retention", "Backups"]
    assert "Irish law" not in result.text and "Backups last 7 days." in result.text
    law = extract(page, url="https://example.com/privacy#law")
    assert law.headings == ["Governing law"] and "Irish law applies." in law.text
    assert "the section under the heading 'Governing law'" in law.note


def test_a_missing_fragment_is_a_selector_breakage_naming_the_fragment():
    result = extract(hub(), url="https://example.com/legal/#enterprise-terms")
    assert result.problem_kind == "selector-matched-nothing"
    assert "#enterprise-terms" in result.problem
    out = analyse(Job(1, [Page("https://example.com/legal/#enterprise-terms", hub(), "text/html")], Rules()))
    assert out.problem_kind == "suspicious" and "#enterprise-terms" in out.problem


def test_declared_select_rules_win_over_the_fragment():
    result = extract(hub(), url="https://example.com/legal/#enterprise-terms", rules=Rules.from_declaration(select="#usage-policy"))
    assert result.problem_kind is None and result.headings == ["Usage policy"]


def test_tab_panels_without_headings_take_their_tab_as_heading():
    page = f"""<html><body><div role="tablist"><button role="tab" aria-controls="p1">Privacy notice</button>
<button role="tab" aria-controls="p2">Cookie notice</button></div>
<div role="tabpanel" id="p1"><p>{LOREM * 3}</p></div><div role="tabpanel" id="p2" hidden><p>{LOREM}</p></div>
</body></html>""".encode()
    assert extract(page, url="https://example.com/").headings == ["Privacy notice", "Cookie notice"]


@pytest.mark.parametrize("script", [
    'window.location.href = "https://legal.example.com/privacy";',
    "location.replace('https://legal.example.com/privacy')",
    'window.location = "https://legal.example.com/privacy"',
])
def test_a_script_redirect_stub_is_moved_with_its_absolute_target(script):
    page = f"<html><head><script>{script}</script></head><body><p>Redirecting…</p></body></html>".encode()
    result = extract(page, url="https://example.com/privacy")
    assert result.problem_kind == "moved" and result.moved_to == "https://legal.example.com/privacy"
    out = analyse(Job(1, [Page("https://example.com/privacy", page, "text/html")], Rules()))
    assert out.problem_kind == "moved" and out.moved_to == "https://legal.example.com/privacy"
    assert "script" not in out.problem.lower() and "render" not in out.problem


def test_meta_refresh_and_redirecting_link_stubs_are_moved_relative_targets_made_absolute():
    meta = b'<html><head><meta http-equiv="refresh" content="0; url=/legal/privacy-v2"></head><body></body></html>'
    assert extract(meta, url="https://example.com/privacy").moved_to == "https://example.com/legal/privacy-v2"
    link = b'<html><body><p>Redirecting to <a href="https://legal.example.com/">legal.example.com</a></p></body></html>'
    assert extract(link, url="https://example.com/privacy").moved_to == "https://legal.example.com/"


def test_a_long_document_with_a_location_script_is_not_a_stub():
    page = f"<html><head><script>location.href='/x'</script></head><body><main><p>{LOREM * 5}</p></main></body></html>"
    result = extract(page.encode(), url="https://example.com/privacy")
    assert result.problem_kind is None and result.moved_to is None


def test_words_in_body_scripts_and_styles_make_no_document_of_a_stub():
    app_state = "<script>window.__STATE__ = " + '"privacy policy terms and conditions " ' * 3000 + ";</script>"
    style = "<style>" + ".lorem ipsum dolor sit amet {color: red} " * 500 + "</style>"
    stub = (f"<html><body>{app_state}{style}<noscript>please enable javascript to see this page now</noscript>"
            f"<script>location.href = 'https://legal.example.com/privacy'</script><p>Redirecting…</p></body></html>")
    assert extract(stub.encode(), url="https://example.com/privacy").moved_to == "https://legal.example.com/privacy"
    document = stub.replace("<p>Redirecting…</p>", f"<p>{LOREM * 4}</p>")
    assert extract(document.encode(), url="https://example.com/privacy").moved_to is None


def test_a_sibling_documents_list_gaining_an_entry_is_not_reported():
    url = "https://example.com/legal/#platform-terms"
    in_article = lambda extra: hub().replace(b"<h2>Platform terms</h2>", (
        '<h2>Platform terms</h2><p><a href="/legal/terms">Terms</a> · <a href="/legal/privacy">Privacy</a> · '
        f'<a href="/legal/dpa">DPA</a>{extra}</p>').encode())
    old = extract(in_article(""), url=url).text
    assert "DPA" not in old
    out = analyse(Job(1, [Page(url, in_article(' · <a href="/legal/ai">AI terms</a>'), "text/html")], Rules(),
                      previous_text=old, previous_key="x", citing=[Citing("p", "s", "Hub", [])]))
    assert not out.changed or not out.assessments[0][1].reported


def test_a_help_widget_with_form_controls_stays_out_of_the_text():
    page = f"""<html><body><main><h1>Privacy</h1><p>{LOREM * 2}</p>
<div class="support"><h3>Ask us a question</h3><input type="text" placeholder="Your question"><button>Send</button></div>
</main></body></html>""".encode()
    assert "Ask us a question" not in extract(page, url="https://example.com/").text


def test_references_to_other_sites_in_a_list_stay_in_the_text():
    page = f"""<html><body><main><h1>Sub-processors</h1><p>{LOREM}</p><ul>
<li><a href="https://aws.amazon.com/privacy">Amazon</a></li><li><a href="https://cloud.google.com/privacy">Google</a></li>
<li><a href="https://azure.microsoft.com/privacy">Microsoft</a></li></ul></main></body></html>""".encode()
    assert "- Amazon" in extract(page, url="https://example.com/").text


def test_preview_says_what_a_fragment_selected_and_names_a_missing_one(home, site):
    url = site.serve("/legal/", hub())
    out = home.run("preview", url + "#platform-terms", check_code=0).stdout
    assert "Selected: fragment #platform-terms: the <article> element with id 'platform-terms'" in out
    assert "Platform terms" in out and "Consumer terms" not in out
    missing = home.run("preview", url + "#enterprise-terms", check_code=3).stdout
    assert "fragment #enterprise-terms matched nothing" in missing


def test_a_kept_list_of_links_to_one_other_site_gaining_an_entry_is_cosmetic_and_says_why():
    def page(items):
        links = "".join(f'<li><a href="https://docs.example.org/legal/{k}">{k.title()}</a></li>' for k in items)
        return f"<html><body><main><h1>Legal hub</h1><ul>{links}</ul><h2>Terms</h2><p>{LOREM * 3}</p></main></body></html>".encode()
    url = "https://example.com/legal/"
    old = extract(page(["terms", "privacy", "dpa"]), url=url).text
    assert "- Dpa" in old  # another site's pages: extraction keeps the list
    out = analyse(Job(1, [Page(url, page(["terms", "privacy", "dpa", "usage"]), "text/html")], Rules(),
                      previous_text=old, previous_key="x", citing=[Citing("p", "s", "Hub", [])]))
    assessment = out.assessments[0][1]
    assert out.changed and assessment.significance == "cosmetic"
    assert "navigation" in assessment.summary and "navigation" in assessment.findings[0].detail


def test_a_list_of_links_to_many_sites_gaining_an_entry_is_reported():
    def page(items):
        links = "".join(f'<li><a href="https://{k}.example/privacy">{k.title()}</a></li>' for k in items)
        return f"<html><body><main><h1>Sub-processors</h1><ul>{links}</ul><p>{LOREM * 3}</p></main></body></html>".encode()
    url = "https://example.com/legal/"
    old = extract(page(["amazon", "google", "microsoft"]), url=url).text
    out = analyse(Job(1, [Page(url, page(["amazon", "google", "microsoft", "persona"]), "text/html")], Rules(),
                      previous_text=old, previous_key="x", citing=[Citing("p", "s", "DPA", [])]))
    assert out.assessments[0][1].reported


def test_an_accordion_toggle_anchor_selects_what_it_opens_and_page_state_is_ignored():
    page = b"""<html><body><main><h2>Questions</h2>
<a class="toggle" id="retention">How long is data kept?</a><div><p>Chats are kept for 18 months.</p></div>
<a class="toggle" id="training">Is data used for training?</a><div><p>Only with consent.</p></div>
</main></body></html>"""
    result = extract(page, url="https://example.com/faq#retention&open=%2Cretention")
    assert result.text.startswith("How long is data kept?") and "18 months" in result.text
    assert "training" not in result.text
    assert result.note == "fragment #retention: the part opened by 'How long is data kept?'"


@pytest.mark.parametrize("url", ["https://example.com/app#/privacy", "https://example.com/p#tab=2",
                                 "https://example.com/p#:~:text=retention"])
def test_routes_state_and_text_fragments_are_not_anchors(url):
    assert extract(hub(), url=url).headings == ["Consumer terms", "Platform terms", "Usage policy"]

"""Page churn that generic extraction keeps out of the document, by what a block *is*.

Each case is a page shape that real help centres, docs sites and corporate sites publish (written
here, no corpus file), fetched twice with only the churn changed: the change must not be reported.
Beside each, the same page with a real edit of the document must still be reported, and blocks
that look alike but are the document (an FAQ's questions, a sentence with two links, a dateline
naming a contracting entity) must stay.
"""

from __future__ import annotations

import pytest

from diffing.assess import assess
from snapshots.extract import extract

URL = "https://example.com/legal/privacy"
POLICY = """<h1>Privacy Policy</h1><p>Last updated: {date}</p>
<h2>1. Data we collect</h2><p>We collect account information such as your name, email address and
payment details when you register, and usage data about how you interact with the platform.</p>
<h2>2. How we use data</h2><p>We use customer content only to provide the services. We do not use
customer content to train our models unless you opt in explicitly in your settings.</p>
<h2>3. Data location</h2><p>Customer data is stored in data centres located in {location}. Transfers
outside the European Economic Area rely on standard contractual clauses.</p>
<h2>4. Retention</h2><p>We retain prompts and outputs for {days} days for abuse monitoring.</p>"""


def policy(**edit) -> str:
    return POLICY.format(**{"date": "March 3, 2026", "location": "Ireland", "days": "30", **edit})


def page(inner: str) -> str:
    return f"<!doctype html><html><head><title>Privacy</title></head><body>{inner}</body></html>"


def intercom(updated="Updated over a week ago", body=None):
    return page(f"""<header><nav><a href="/en/">All collections</a> <a href="/en/c/privacy">Privacy</a></nav></header>
<section class="article"><div class="article__meta"><h1>Privacy FAQ</h1><div><span>Written by Jane</span><br>
<span>{updated}</span></div></div><div class="article__body">{body or policy()}</div>
<div class="reactions"><p>Did this answer your question?</p><button>😞</button><button>😐</button><button>😃</button></div>
</section>""")


def zendesk(votes="12 out of 40 found this helpful", related=3, body=None):
    titles = ["How do I delete my account and all associated data?", "What data do you collect?",
              "Where is my data stored by Example?", "Can I opt out of model training for my organisation's data?"]
    items = "".join(f'<li><a href="/hc/en-us/articles/{i}-x">{t}</a></li>' for i, t in enumerate(titles[:related]))
    return page(f"""<main><section class="article-sidebar"><h3>Articles in this section</h3><ul>{items}</ul></section>
<article class="article"><div class="article-body">{body or policy()}</div>
<div class="article-votes"><h2>Was this article helpful?</h2><button class="article-vote-up">Yes</button>
<button class="article-vote-down">No</button><small><span>{votes}</span></small></div>
<section class="article-relatives"><h3>Related articles</h3><ul>{items}</ul></section></article></main>""")


def corporate(banner="Introducing Example 3, our fastest model yet", body=None, cookies="We use cookies.",
              footer="<div><span>Example © 2026</span></div>"):
    return page(f"""<div id="__next"><div class="Header_root"><div class="Banner"><a href="/blog/launch">{banner}</a></div>
<div class="Header_links"><a href="/products">Products</a><a href="/pricing">Pricing</a><a href="/docs">Docs</a></div></div>
<div class="Content">{body or policy()}</div>
<div class="x-3f9a"><p>{cookies}</p><button>Accept all</button><button>Reject all</button></div>
<div class="x-91b">{footer}<div><a href="/legal/terms">Terms of Service</a></div><div><a href="/legal/aup">Acceptable Use Policy</a></div></div></div>""")


def docs_page(prev="Rate limits", nxt="Data residency", edited="Jan 5, 2026", by="alice", body=None):
    return page(f"""<main><article><div class="markdown">{body or policy()}</div>
<footer class="theme-doc-footer"><span>Last updated on {edited} by {by}</span></footer></article>
<div class="page-footer"><a href="/docs/rate"><span>Previous</span> <span>{prev}</span></a>
<a href="/docs/res"><span>Next</span> <span>{nxt}</span></a></div></main>""")


def reported(old: str, new: str) -> bool:
    a, b = (extract(html.encode(), url=URL, content_type="text/html").text for html in (old, new))
    return a != b and assess(a, b, criteria=(), document_label="doc").significance != "cosmetic"


CHURN = {
    "a help centre's relative 'Updated' line moves on (yesterday → this week)":
        (intercom("Updated yesterday"), intercom("Updated this week")),
    "a help centre's 'Updated today' becomes 'Updated over a month ago'":
        (intercom("Updated today"), intercom("Updated over a month ago")),
    "a vote widget's count changes (buttons in a short block)":
        (zendesk(votes="12 out of 40 found this helpful"), zendesk(votes="13 out of 41 found this helpful")),
    "a list of links to the site's articles gains a question-long title":
        (zendesk(related=3), zendesk(related=4)),
    "the site's announcement link above the title is replaced":
        (corporate(banner="Introducing Example 3, our fastest model yet"), corporate(banner="Join us at DevDay on 12 May")),
    "an unlabelled cookie banner with Accept / Reject buttons is reworded":
        (corporate(cookies="We use cookies."), corporate(cookies="We and our partners use cookies to personalise content.")),
    "a footer loses its copyright notice, and with it the block of links is told as a footer":
        (corporate(), corporate(footer="")),
    "a docs page's previous / next links change":
        (docs_page(prev="Rate limits", nxt="Data residency"), docs_page(prev="Errors", nxt="Security overview")),
    "a docs page's 'Last updated on DATE by NAME' changes":
        (docs_page(edited="Jan 5, 2026", by="alice"), docs_page(edited="Feb 9, 2026", by="bob")),
}


@pytest.mark.parametrize("case", CHURN, ids=list(CHURN))
def test_page_churn_is_not_reported(case):
    old, new = CHURN[case]
    assert not reported(old, new), case


@pytest.mark.parametrize("shape", [intercom, zendesk, corporate, docs_page], ids=lambda f: f.__name__)
def test_a_real_edit_of_the_document_on_the_same_page_is_reported(shape):
    assert reported(shape(body=policy()), shape(body=policy(location="Ireland and the United States")))
    assert reported(shape(body=policy()), shape(body=policy(days="90")))


def text_of(inner: str) -> str:
    return extract(page(f"<main>{policy()}{inner}</main>").encode(), url=URL, content_type="text/html").text


def test_accordion_and_faq_buttons_keep_their_titles():
    text = text_of('<div class="faq"><button aria-expanded="false">Is my data used for training?</button>'
                   '<div>No.</div><button>Where is it stored?</button><div>In the EU.</div>'
                   '<h3><button>5. Sub-processors</button></h3><p>We use three.</p></div>')
    assert "Is my data used for training?" in text and "Where is it stored?" in text
    assert "5. Sub-processors" in text and "In the EU." in text


def test_control_buttons_are_not_text():
    text = text_of('<div><button>View page as Markdown</button><button>Copy</button></div>'
                   '<p>See the annex below.<button>Print</button></p>')
    assert "View page as Markdown" not in text and "Print" not in text and "See the annex below." in text


def test_a_sentence_with_two_links_to_the_site_is_the_document():
    text = text_of('<p>You can <a href="/settings/opt-out">opt out</a> or <a href="/settings/delete">delete your data</a>.</p>')
    assert "You can opt out or delete your data." in text


def test_a_list_of_links_that_says_something_beside_them_is_the_document():
    text = text_of('<ul><li><a href="/legal/sub">Sub-processors</a>: updated monthly</li>'
                   '<li><a href="/legal/dpa">DPA</a>: signed on request</li><li><a href="/legal/scc">SCCs</a>: module 2</li></ul>')
    assert "updated monthly" in text and "signed on request" in text


def test_a_dateline_naming_who_provides_the_service_is_not_an_attribution():
    old = "Effective 1 May 2026 for services provided by Example Ireland Limited.\n"
    new = "Effective 1 May 2026 for services provided by Example Inc.\n"
    assert assess(old, new, criteria=(), document_label="doc").significance != "cosmetic"


def test_a_block_told_as_the_sites_says_why_in_a_finding():
    a, b = (extract(html.encode(), url=URL, content_type="text/html").text
            for html in (corporate(), corporate(banner="Join us at DevDay on 12 May in Paris", footer="")))
    assessment = assess(a, b, criteria=(), document_label="doc")
    assert assessment.significance == "cosmetic"
    reasons = [f.detail for f in assessment.findings]
    assert any("site's bar" in r for r in reasons) and any("site's footer" in r for r in reasons), reasons


def test_two_links_opened_by_a_heading_are_that_sections_text():
    text = text_of('<h2>Take control</h2><div><a href="/privacy/off-site">Your activity off our sites</a>'
                   '<a href="/privacy/cookies">Cookie settings</a></div>')
    assert "Your activity off our sites" in text and "Cookie settings" in text

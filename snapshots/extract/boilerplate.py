"""Finding the document in a page without declared rules: default region and page furniture.

The default region is ``main`` / ``article`` / ``[role=main]`` (the ones holding most text), else
``body``. Page furniture is removed: navigation, the page header and footer, navigation asides,
consent layers, language and country pickers, skip links, feedback widgets, lists of links to the
site's other pages, and short blocks of buttons ("Was this helpful? Yes / No"; a lone button is
dropped by ``markdown``).

A consent *layer* (banner, dialog) is told apart from a policy's own cookie *section*: both may
carry ``id="cookies"`` or ``class="cookie-policy"``, but only a layer is a dialog, fixed, a
known consent-manager container, or a short block with accept/reject controls. Sections with
headings and long text are the document and always survive.
"""

import re
from urllib.parse import urlsplit

from .tree import HEADINGS, drop, is_disclosure, text_of
from .wordcount import count_runs, has_runs

__all__ = ["strip_furniture", "default_regions"]

_WORDS = re.compile(r"\w+")
# matched against _marker (lower case), or lowered text
_CONSENT = re.compile(r"cookie|consent|gdpr|\bcmp\b|cmp[-_]|privacy[-_]?(banner|notice[-_]?bar)|tracking[-_]?notice")
_CONSENT_VENDOR = re.compile(
    r"onetrust|optanon|cookiebot|cybotcookiebot|didomi|usercentrics|truste|trustarc|qc-cmp|"
    r"cookie-law-info|cookielawinfo|cmplz|osano|iubenda|cookieyes|cky-consent|termly|"
    r"consent-manager|consentmanager|cookie-consent|cookieconsent|cc-window|cc-banner|"
    r"js-consent-banner|ketch|transcend"
)
_LAYER = re.compile(r"banner|\bbar\b|[-_]bar\b|notice|popup|pop-up|modal|overlay|dialog|layer|prompt|toast|snackbar|flyout|sticky|fixed|drawer|wall|gate")
_CONSENT_ACTION = re.compile(
    r"\b(accept|reject|decline|agree|allow|deny|refuse|got it|ok|manage (cookies|preferences|settings)|"
    r"cookie settings|akzeptieren|ablehnen|accepter|refuser|aceptar|rechazar)\b",
    re.I,
)
_LOCALE = re.compile(
    r"(lang(uage)?|locale|country|region|geo)[-_ ]?(picker|selector|select|switch(er)?|chooser|menu|"
    r"banner|notice|bar|suggest(ion)?|redirect|dropdown|list|nav)|hreflang|i18n[-_]?(menu|switch)"
)
_SKIP = re.compile(r"^\s*(skip|jump) (to|navigation)|^\s*aller au contenu|^\s*zum inhalt", re.I)
_FEEDBACK = re.compile(r"feedback|was[-_ ]?this[-_ ]?helpful|article[-_]?rating|helpful[-_]?vote|share[-_]?(bar|buttons|links)|social[-_]?share|breadcrumb")
_NAVISH = re.compile(r"\b(nav|menu|toc|sidebar|side-bar|related|share)")
# One cheap search decides whether an element's id/class/label needs the detailed checks.
_INTERESTING = re.compile(
    r"cookie|consent|gdpr|cmp|privacy|onetrust|optanon|cybot|didomi|usercentrics|truste|osano|"
    r"iubenda|termly|ketch|transcend|cc-|lang|locale|country|region|geo|i18n|feedback|helpful|"
    r"rating|share|breadcrumb|skip|nav|menu|toc|sidebar|side-bar|related|banner|dialog|modal"
)
_SECTIONING = frozenset(("article", "main", "section", "aside", "nav"))
# landmarks of the page, and ARIA widgets (custom selects, menus): never the document
_LANDMARK_DROP = frozenset(("navigation", "banner", "contentinfo", "search", "listbox", "menu", "menubar", "combobox"))


def _words(el) -> int:
    return count_runs(text_of(el))


def _fewer_words(el, limit: int) -> bool:
    """``_words(el) < limit``, stopping after the first words of a long text (wordcount.has_runs): a
    wrapper holding a search box or a language picker may hold the whole page."""
    return not has_runs(el.itertext(), limit)


def _marker(el) -> str:
    """The element's id, classes and labels, in lower case: the patterns above are matched against
    it case-sensitively, eight times faster than with re.I (and class lists can be long)."""
    attrib = el.attrib
    return " ".join(
        attrib.get(name, "") for name in ("id", "class", "aria-label", "data-testid", "name")
    ).lower()


def _is_consent_layer(el, marker: str) -> bool:
    if _CONSENT_VENDOR.search(marker):
        return True
    tag = el.tag
    dialogish = (
        tag == "dialog"
        or el.get("role") in ("dialog", "alertdialog")
        or el.get("aria-modal") == "true"
        or "fixed" in (el.get("style") or "")
    )
    if not _CONSENT.search(marker):
        # an unlabelled dialog about cookies with accept/reject controls
        return dialogish and _fewer_words(el, 250) and _CONSENT.search(text_of(el)[:2000].lower()) is not None \
            and _consent_controls(el) != (0, 0)
    if dialogish:
        return _fewer_words(el, 400)
    if tag in _CONTENT_TAGS:
        return False  # content carries such ids too: <section id="cookies" class="cookie-policy">
    buttons, links = _consent_controls(el)
    words = _words(el)
    if _LAYER.search(marker):
        return (buttons or links) > 0 and words < 300
    headed = next(el.iter(*HEADINGS), None) is not None
    return buttons > 0 and words < 150 and not headed


_CONTENT_TAGS = frozenset("section article main h1 h2 h3 h4 h5 h6 p li table tr td a ul ol dl".split())


def _consent_controls(el) -> tuple[int, int]:
    """(buttons, links) labelled accept / reject / manage ... inside ``el``."""
    buttons = links = 0
    for control in el.iter("button", "a", "input"):
        label = " ".join((text_of(control) or "", control.get("value", ""), control.get("aria-label", "")))
        if _CONSENT_ACTION.search(label):
            if control.tag == "a":
                links += 1
            else:
                buttons += 1
    return buttons, links


def _is_page_landmark(el) -> bool:
    """A header/footer that belongs to the page, not to an article or section."""
    parent = el.getparent()
    while parent is not None:
        if parent.tag in _SECTIONING or parent.get("role") == "main":
            return False
        parent = parent.getparent()
    return True


def _link_density(el, words: int | None = None) -> float:
    """The share of the element's words (`words`, when the caller counted them) inside links."""
    text = (count_runs(text_of(el)) if words is None else words) or 1
    linked = sum(count_runs(text_of(a)) for a in el.iter("a"))
    return linked / text


def _is_furniture(el, host: str) -> bool:
    tag = el.tag
    role = el.get("role")
    if tag == "nav" or role in _LANDMARK_DROP:
        return True
    if tag in ("header", "footer"):
        if not _is_page_landmark(el):
            return False
        if tag == "header" and next(el.iter("h1"), None) is not None:
            return False  # a hero header holding the document title
        return True
    marker = _marker(el)
    if tag == "a":
        href = el.get("href", "")
        return href.startswith("#") and (
            bool(_SKIP.match(text_of(el))) or "skip" in marker
        )
    if tag in ("ul", "ol", "div") and _is_language_list(el):
        return True
    if tag in ("ul", "ol") and _is_link_menu(el) and _is_page_landmark(el):
        return True
    if tag in _LINK_BLOCKS and _is_sibling_links(el, host):
        return True
    if tag in ("ul", "ol") and _is_sibling_link_list(el, host):
        return True
    if tag in _WIDGET_BLOCKS and (_is_form_widget(el) or _is_control_strip(el)):
        return True
    if tag == "aside" and (_NAVISH.search(marker) or _link_density(el) > 0.5):
        return True
    if not _INTERESTING.search(marker):
        dialog = role in ("dialog", "alertdialog") or tag == "dialog"
        return dialog and _is_consent_layer(el, marker)
    if _is_consent_layer(el, marker):
        return True
    if _LOCALE.search(marker) and _fewer_words(el, 200):
        return True
    if _FEEDBACK.search(marker) and _fewer_words(el, 60):
        return True
    return False


def _is_link_menu(el) -> bool:
    """A list of three or more items that are each one short link: a menu outside any article."""
    items = [li for li in el if getattr(li, "tag", None) == "li"]
    if len(items) < 3:
        return False
    for li in items:
        words = _words(li)
        if words > 4 or next(li.iter("a"), None) is None or _link_density(li) < 0.9:
            return False
    return True


_LINK_BLOCKS = frozenset(("ul", "ol", "div", "p", "section", "aside", "menu"))
_WIDGET_BLOCKS = frozenset(("form", "div", "section", "aside", "fieldset"))
SIBLING_LINKS_MIN = 3
SIBLING_LINK_WORDS = 6
SIBLING_OTHER_WORDS = 8  # words outside the links: separators, a label ("Legal hub:")
WIDGET_MAX_LINKS = 3
WIDGET_MAX_WORDS = 80
SIBLING_TITLE_WORDS = 14  # a list item that is one link: an article title, up to a question
CONTROL_STRIP_MAX_WORDS = 40
_BUTTON_INPUTS = frozenset(("submit", "button", "reset", "image"))


def _same_site(href: str, host: str) -> bool:
    """A link to another page of the same site (not an anchor in this page, not a file)."""
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(("mailto:", "tel:", "javascript:")):
        return False
    parts = urlsplit(href)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    if parts.netloc:
        other = parts.hostname or ""
        if not host or not (other == host or other.endswith("." + _site(host)) or host.endswith("." + _site(other))):
            return False
    return not re.search(r"\.(pdf|docx?|zip)$", parts.path, re.I)


def _site(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def _spaced_words(el) -> int:
    """Words of ``el``, each text node on its own (``<a>A</a><a>B</a>`` is two words)."""
    return count_runs(" ".join(el.itertext()))


def _more_spaced_words(el, limit: int) -> bool:
    """``_spaced_words(el) > limit``, counting text nodes only until there are more."""
    count = 0
    for chunk in el.itertext():
        count += len(_WORDS.findall(chunk))
        if count > limit:
            return True
    return False


def _is_sibling_links(el, host: str) -> bool:
    """A block that is nothing but short links to other pages of the site: a hub's list of its
    documents ("Terms · Privacy · DPA"), a trust centre's menu. Hardly any words outside the
    links; most links go to sibling pages; none is a sentence."""
    links = [a for a in el.iter("a") if a.get("href")]
    if len(links) < 2:
        return False
    # short links and hardly a word beside them: no more words than that in all (a cheap test that
    # rules out a page's content, counting only its first words, before any link is counted)
    most = SIBLING_LINK_WORDS * len(links) + (SIBLING_OTHER_WORDS if len(links) >= SIBLING_LINKS_MIN else 0)
    if _more_spaced_words(el, most):
        return False
    texts = [_spaced_words(a) for a in links]
    other = _spaced_words(el) - sum(texts)
    siblings = sum(1 for a in links if _same_site(a.get("href", ""), host))
    if any(_says_more_than_its_link(li) for li in el.iter("li")):
        return False  # an item that says something beside its link is a statement, not a menu entry
    if len(links) < SIBLING_LINKS_MIN:  # two links and not a word beside them: "← Previous · Next →"
        previous = el.getprevious()
        if previous is not None and previous.tag in HEADINGS:
            return False  # the body of the section that heading opens ("Take control: …")
        return other == 0 and siblings == len(links) and max(texts) <= SIBLING_LINK_WORDS
    if max(texts) > SIBLING_LINK_WORDS or other > SIBLING_OTHER_WORDS:
        return False
    return siblings >= 0.8 * len(links)


def _says_more_than_its_link(li) -> bool:
    """A list item with a link and two or more words beside it ("[DPA](/dpa): signed on request")."""
    linked = [_spaced_words(a) for a in li.iter("a")]
    return bool(linked) and _spaced_words(li) - sum(linked) >= 2


def _is_sibling_link_list(el, host: str) -> bool:
    """A list of three or more items that are each nothing but one link to another page of the
    site, titles up to a sentence long: a help centre's "Articles in this section" or "Related
    articles". A document's list says something beside its links."""
    items = [li for li in el if getattr(li, "tag", None) == "li"]
    if len(items) < SIBLING_LINKS_MIN:
        return False
    for li in items:
        links = [a for a in li.iter("a") if a.get("href")]
        if len(links) != 1 or not _same_site(links[0].get("href", ""), host):
            return False
        words = _spaced_words(li)
        if words > SIBLING_TITLE_WORDS or _spaced_words(links[0]) < words:
            return False
    return True


def _is_control_strip(el) -> bool:
    """A short block with two or more buttons: "Was this article helpful? Yes / No — 12 out of
    40 found this helpful", an unlabelled cookie banner's Accept / Reject, a share bar."""
    buttons = 0
    for control in el.iter("button", "input"):
        if control.tag == "input" and (control.get("type") or "").lower() not in _BUTTON_INPUTS:
            continue
        if not is_disclosure(control):
            buttons += 1
    if buttons < 2 or next(el.iter("h1"), None) is not None:
        return False  # the block that holds the title is the page's hero, not a widget
    return sum(1 for _ in el.iter("a")) <= WIDGET_MAX_LINKS and _spaced_words(el) < CONTROL_STRIP_MAX_WORDS


def _is_form_widget(el) -> bool:
    """A short block holding form controls: a help widget ("Ask us a question"), a search box,
    a newsletter sign-up. Not the document, whatever it says."""
    controls = [c for c in el.iter("input", "textarea", "select")
                if (c.get("type") or "").lower() not in ("hidden", "submit", "button", "image", "reset")]
    if not controls or not _fewer_words(el, WIDGET_MAX_WORDS):
        return False
    return sum(1 for _ in el.iter("a")) <= WIDGET_MAX_LINKS  # more links: a page wrapper or a menu


def _is_language_list(el) -> bool:
    """A list of links to the same page in other languages (hreflang / lang attributes)."""
    count = 0
    for a in el.iter("a"):
        if a.get("hreflang") or a.get("lang"):
            count += 1
            if count >= 3:
                return _fewer_words(el, 120)
    return False


def strip_furniture(root, url: str = "") -> None:
    """Remove page furniture from the tree in place (a removed element's subtree is not visited).

    ``url`` is the page's: links to its own site tell a menu of sibling pages from references."""
    host = (urlsplit(url).hostname or "") if url else ""
    doomed = []
    stack = [root]
    while stack:
        el = stack.pop()
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if _is_furniture(child, host):
                doomed.append(child)
            else:
                stack.append(child)
    for el in doomed:
        drop(el)


def _is_descendant(el, ancestor) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


_REGION_MIN_WORDS = 20
_SECONDARY = 0.3  # outside <main>, a region needs this share of the largest one's words


def _is_region(el) -> bool:
    return el.tag in ("main", "article") or el.get("role") in ("main", "tabpanel")


def default_regions(root) -> list:
    """The elements holding the document, in document order (``body`` when nothing better).

    The outermost ``main`` / ``article`` / ``[role=main]`` / ``[role=tabpanel]`` elements: a legal
    hub's sibling articles and tab panels are each a document, however short beside the largest,
    so every one with some running text is kept (a teaser card, nearly all link, is not). Beside a
    ``<main>``, other regions must be substantial (a promo ``<article>`` outside the main content)."""
    body = root.find("body")
    if body is None:
        body = root
    candidates = [el for el in body.iter("main", "article", "div", "section") if _is_region(el)]
    if not candidates:
        return [body]
    outermost = [el for el in candidates if not any(
        other is not el and _is_descendant(el, other) for other in candidates)]
    counted = [(el, _words(el)) for el in outermost]
    best = max(words for _, words in counted)
    has_main = any(el.tag == "main" or el.get("role") == "main" for el, _ in counted)
    kept = []
    for el, words in counted:
        main = el.tag == "main" or el.get("role") == "main"
        if has_main and not main:
            if words >= _SECONDARY * best:
                kept.append((el, words))
        elif words >= _REGION_MIN_WORDS and _link_density(el, words) < 0.5:
            kept.append((el, words))
    total = _words(body)
    if not kept or best < 20 or sum(words for _, words in kept) < 0.3 * total:
        return [body]
    return [el for el, _ in kept]

"""What a fetched page says can neither run in an HTML output nor drive the terminal."""

from __future__ import annotations

from html.parser import HTMLParser

from test_archive import LONG, Checker


PLANTED = ("&lt;script&gt;window.pwned=1&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; "
           "data may be stored in the United States \x1b]0;owned\x07\x1b[2J\x9b31m")


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def show(home, *args):
    return home.cli("show", *args, check_code=0).stdout


def planted_change(home) -> int:
    c = Checker(home)
    c.check(LONG)
    summary = c.check(LONG.replace("</main>", f"<p>{PLANTED}</p></main>"))
    assert len(summary.changes) == 1
    return summary.changes[0]


def test_show_html_escapes_summary_findings_and_diff(home):
    change = planted_change(home)
    out = show(home, str(change), "--html")
    parser = Elements()
    parser.feed(out)
    assert "pwned" in out and "onerror" in out  # the text is there, as text
    assert not [t for t, _ in parser.tags if t in ("script", "img")]
    assert not [a for _, a in parser.tags if any(k.startswith("on") for k in a)]


def test_show_in_a_terminal_makes_control_characters_visible(home):
    change = planted_change(home)
    out = show(home, str(change), "--no-color")
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out

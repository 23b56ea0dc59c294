"""`preview`: fetch and extract one URL once, print its outline and text, store nothing.

How an editor writes a new source entry: try `--select`/`--remove` (and `--render`) until the
outline shows the document and nothing else, then copy the same values into the profile.
The fetch is the one `check` makes (destination policy, robots.txt, size limit, User-Agent).
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

from crawler.cli.context import UsageError, emit_json

_HEADING = re.compile(r"^(#{1,6}) (.+)$", re.M)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # page text must not drive the terminal


def register(sub) -> None:
    p = sub.add_parser("preview", help="fetch and extract one URL, print its outline and text; store nothing",
                       description="Fetch URL once, the way `check` would, extract it with the given rules and print "
                                   "the outline of headings, the word count, any problem, then the text. Nothing "
                                   "is stored. Exit 0: extracted; 3: the fetch failed or a check would flag the "
                                   "text (selector matched nothing, script shell, empty page).")
    p.add_argument("url", metavar="URL", help="the http(s) page to try")
    p.add_argument("--select", action="append", default=[], metavar="CSS",
                   help="keep only what this CSS selector matches (repeatable; as `select` in a profile)")
    p.add_argument("--remove", action="append", default=[], metavar="CSS",
                   help="drop what this CSS selector matches (repeatable; as `remove` in a profile)")
    p.add_argument("--render", action="store_true", help="run the page's JavaScript in Chromium (as `render = true`)")
    p.add_argument("--wait-for", metavar="CSS", help="with --render: wait until this selector appears (as `wait_for`)")
    p.add_argument("--render-timeout", type=float, metavar="SECONDS",
                   help="with --render: give up after this many seconds (as `render_timeout`; default 30)")
    p.add_argument("--json", action="store_true",
                   help='print {"url", "final_url", "status", "words", "headings", "selected", "moved_to", "problem", "text"} as JSON')
    p.add_argument("--verbose", action="store_true", help="show Scrapy's log")
    p.set_defaults(func=run_preview)


def run_preview(args, ctx) -> int:
    from crawler.crawl import crawl
    from crawler.runs import Page
    from snapshots.extract import Rules
    from spiders.preview import PreviewSpider

    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{args.url!r} is not an http(s) URL")
    if (args.wait_for or args.render_timeout is not None) and not args.render:
        raise UsageError("--wait-for and --render-timeout need --render")
    if args.render_timeout is not None and args.render_timeout <= 0:
        raise UsageError("--render-timeout: expected a positive number of seconds")
    try:
        rules = Rules.from_declaration(select=args.select or None, remove=args.remove or None)
    except ValueError as exc:
        raise UsageError(f"--select/--remove: {exc}") from None

    page = Page(args.url, render=args.render, wait_for=args.wait_for, render_timeout=args.render_timeout or 30.0)
    results: list = []
    crawl(ctx.settings, PreviewSpider, log_level="INFO" if args.verbose else "ERROR",
          render_timeout=page.render_timeout if page.render else None,
          overrides={"ITEM_PIPELINES": {}}, page=page, results=results)
    report = read(args.url, results[0] if results else None, rules)
    if args.json:
        emit_json(report)
    else:
        print_report(report)
    return 3 if report["problem"] else 0


def read(url: str, result, rules) -> dict:
    """The preview of one FetchResult (None: the crawl ended without one)."""
    from crawler.analysis import blocked_marker
    from snapshots.extract import ExtractError, extract

    report = {"url": url, "final_url": None, "status": None, "words": 0, "headings": [], "selected": None,
              "moved_to": None, "problem": None, "text": ""}
    if result is None:
        report["problem"] = "not fetched (the crawl ended without an answer)"
        return report
    report.update(final_url=result.final_url, status=result.status)
    if result.failure or result.body is None:
        report["problem"] = result.failure or f"no body (HTTP {result.status})"
        return report
    try:
        extraction = extract(result.body, url=url, content_type=result.headers.get("content-type"), rules=rules)
    except ExtractError as exc:
        report["problem"] = str(exc)
        return report
    marker = blocked_marker(result.body) if extraction.words < 400 else None
    report.update(words=extraction.words, text=extraction.text, selected=extraction.note, moved_to=extraction.moved_to,
                  headings=[{"level": len(m.group(1)), "text": m.group(2).strip()}
                            for m in _HEADING.finditer(extraction.text)])
    if marker:
        report["problem"] = f"bot challenge or login wall (page marker {marker!r})"
    elif extraction.problem_kind:
        report["problem"] = f"{extraction.problem_kind}: {extraction.problem}"
    return report


def print_report(report: dict, out=None) -> None:
    out = out or sys.stdout

    def say(text=""):
        print(_CONTROL.sub("", str(text)), file=out)

    where = report["final_url"] or report["url"]
    moved = f" (from {report['url']})" if report["final_url"] and report["final_url"] != report["url"] else ""
    status = f"HTTP {report['status']}" if report["status"] else "no answer"
    say(f"{where}{moved}: {status}, {report['words']:,} words")
    if report.get("selected"):
        say(f"Selected: {report['selected']}")
    if report["headings"]:
        say("\nOutline:")
        for heading in report["headings"]:
            say("  " * heading["level"] + heading["text"])
    if report["problem"]:
        say(f"\nProblem: {report['problem']}")
    if report["text"]:
        say("\n" + "-" * 72)
        say(report["text"].rstrip("\n"))

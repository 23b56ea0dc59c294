"""Reading what was recorded: `sources`, `changes`, `show`, `history`, `version`, `diff`."""

from __future__ import annotations

import datetime as dt
import html
import sys

from crawler.cli.context import UsageError, color_enabled, emit_json, say, table, when
from crawler.terminal import safe_text
from snapshots import history
from snapshots.history import ChangeEntry, ReviewStatus, Significance, VersionInfo, VersionKind

STATUSES = [s.value for s in ReviewStatus]
SIGNIFICANCES = [s.value for s in Significance]


def register(sub) -> None:
    p = sub.add_parser("sources", help="list every document: last fetch, outcome, last change, failures",
                       description="One line per monitored document with the profile sources citing it; "
                                   "documents no profile cites any more are marked orphaned.")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_sources)

    p = sub.add_parser("changes", help="list recorded changes, newest first",
                       description="One line per (change, citing profile). By default only the changes that "
                                   "matter (minor or material: the ones alerts carry); --all adds cosmetic edits, "
                                   "flip-backs and rebaselines.")
    p.add_argument("--profile", action="append", default=[], metavar="ID", help="only this profile (repeatable)")
    p.add_argument("--since", metavar="DATE", help="only changes detected on or after DATE (YYYY-MM-DD) or within a duration (7d, 12h)")
    p.add_argument("--status", choices=STATUSES, help="only changes with this review status")
    p.add_argument("--significance", choices=SIGNIFICANCES, help="only changes of this significance")
    p.add_argument("--criterion", metavar="ID", help="only changes that may affect this criterion")
    p.add_argument("--all", action="store_true", help="also cosmetic edits, flip-backs and rebaselines")
    p.add_argument("--limit", type=int, default=200, help="at most this many lines (default 200)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_changes)

    p = sub.add_parser("show", help="show one change: findings, affected criteria and the diff")
    p.add_argument("change_id", type=int, metavar="CHANGE_ID")
    p.add_argument("--html", action="store_true", help="print the diff as an HTML fragment (escaped)")
    p.add_argument("--no-color", action="store_true", help="mark the diff with [-…-] {+…+} instead of colours")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_show)

    p = sub.add_parser("history", help="the versions of one source over time")
    p.add_argument("ref", metavar="PROFILE/SOURCE")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_history)

    p = sub.add_parser("version", help="print the text of a source as it was (default: now)")
    p.add_argument("ref", metavar="PROFILE/SOURCE")
    p.add_argument("--at", metavar="DATE", help="the version current at DATE (YYYY-MM-DD or ISO time)")
    p.set_defaults(func=run_version)

    p = sub.add_parser("diff", help="diff any two versions of a source (ids from `history`)")
    p.add_argument("ref", metavar="PROFILE/SOURCE")
    p.add_argument("a", type=int, metavar="A")
    p.add_argument("b", type=int, metavar="B")
    p.add_argument("--html", action="store_true", help="print the diff as an HTML fragment (escaped)")
    p.add_argument("--no-color", action="store_true", help="mark the diff with [-…-] {+…+} instead of colours")
    p.set_defaults(func=run_diff)


def parse_since(text: str, option: str = "--since", end_of_day: bool = False) -> dt.datetime:
    """A duration ago, or a date/time (UTC unless it says otherwise); a bare date is its start, or
    with `end_of_day` its end (`version --at 2026-12-01` is the version current that evening)."""
    from crawler.profiles import parse_interval

    seconds = parse_interval(text)
    if seconds:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=seconds)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date (2026-11-01) or a duration (7d, 12h)") from None
    if end_of_day and len(text.strip()) == 10:  # YYYY-MM-DD
        value += dt.timedelta(days=1, microseconds=-1)
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def entry_json(e: ChangeEntry) -> dict:
    """One `changes --json` entry. `reported` is the old name of `alertable`, kept for scripts."""
    return {
        "id": e.change_id, "profile": e.profile, "source": e.source, "url": e.document.address,
        "detected_at": _iso(e.detected_at), "added_words": e.added_words, "removed_words": e.removed_words,
        "summary": e.summary, "significance": e.significance, "affected_criteria": e.affected_criteria,
        "kind": e.kind, "alertable": e.alertable, "reported": e.alertable,
        "findings": [{"kind": f.kind, "criterion": f.criterion, "detail": f.detail, "section": f.section}
                     for f in e.findings],
        "status": e.status, "note": e.note, "reviewer": e.reviewer, "reviewed_at": _iso(e.reviewed_at),
    }


def change_rows(session, ctx, *, ids=None, include_unreported=False, **filters) -> list[dict]:
    """The `changes --json` entries: one per (change, citing profile); `check` prints its table from them."""
    return [entry_json(e) for e in history.changes(session, ids=ids, everything=include_unreported, **filters)]


def _summary(r: dict) -> str:
    if r["kind"] == VersionKind.REBASELINE:
        return "rebaseline: re-extracted with new rules, never alerted"
    return r["summary"]


def run_changes(args, ctx) -> int:
    for pid in args.profile:
        ctx.require_profile(pid)
    since = parse_since(args.since) if args.since else None
    ctx.sync_catalog()
    with ctx.reading() as s:
        rows = change_rows(s, ctx, profiles=args.profile, since=since,
                           status=ReviewStatus(args.status) if args.status else None,
                           significance=Significance(args.significance) if args.significance else None,
                           criterion=args.criterion, include_unreported=args.all, limit=args.limit)
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no changes" + (" matching these filters" if any([args.profile, since, args.status, args.significance,
                                                               args.criterion]) else " recorded yet"))
        return 0
    table([[r["id"], r["detected_at"][:16].replace("T", " "), r["significance"] or "-", r["status"] or "-",
            f"{r['profile']}/{r['source']}", _summary(r)] for r in rows],
          ["CHANGE", "DETECTED", "SIGNIFICANCE", "REVIEW", "SOURCE", "SUMMARY"])
    return 0


def _diff_text(session, old: VersionInfo, new: VersionInfo, args) -> str:
    from diffing.diff import word_diff
    from diffing.render import render_html, render_terminal

    ops = word_diff(history.text(session, old), history.text(session, new))
    if args.html:
        return render_html(ops)
    # the page's own control characters are made visible before our colours are added
    return render_terminal([(op, safe_text(text)) for op, text in ops], color=color_enabled(args))


def run_show(args, ctx) -> int:
    with ctx.reading() as s:
        change = history.change(s, args.change_id)
        if change is None:
            raise UsageError(f"no change {args.change_id} (list them with: clausewatch changes)")
        diff = _diff_text(s, change.old, change.new, args)
    old, new, rows = change.old, change.new, [entry_json(e) for e in change.entries]
    if args.json:
        emit_json({"id": change.id, "document": change.document.key, "kind": change.kind, "from_version": old.id,
                   "to_version": new.id, "assessments": rows, "diff": diff})
        return 0
    lines = [f"Change {change.id} ({change.kind}) of {change.document.key}",
             f"detected {when(change.detected_at)}; version {old.id} ({when(old.fetched_at)}) -> {new.id} "
             f"({when(new.fetched_at)}); +{change.added_words}/-{change.removed_words} words"]
    for r in rows:
        if r["significance"] is None:  # a rebaseline: no reading, no review
            lines += ["", f"{r['profile']}/{r['source']}: {_summary(r)}"]
            continue
        lines += ["", f"{r['profile']}/{r['source']}: {r['significance']} — {r['summary']}"]
        if r["affected_criteria"]:
            lines.append(f"  may affect: {', '.join(r['affected_criteria'])}")
        for f in r["findings"]:
            where = f" [{f['section']}]" if f["section"] else ""
            crit = f" ({f['criterion']})" if f["criterion"] else ""
            lines.append(f"  - {f['kind']}{crit}{where}: {f['detail']}")
        by = f" by {r['reviewer']}" if r["reviewer"] else ""
        lines.append(f"  review: {r['status']}{by}" + (f": {r['note']}" if r["note"] else ""))
    if args.html:  # one HTML fragment: every string from the page escaped, the diff already is
        print(f'<pre class="clausewatch-change">{html.escape(chr(10).join(lines))}</pre>')
    else:
        say("\n".join(lines))
    print()
    print(diff)
    return 0


def run_history(args, ctx) -> int:
    with ctx.reading() as s:
        doc = ctx.document(s, args.ref)
        entries = history.versions(s, doc)
    rows = [{"version": e.version.id, "fetched_at": _iso(e.version.fetched_at), "kind": e.version.kind,
             "words": e.version.words, "current": e.current, "extractor_version": e.version.extractor_version,
             "change": e.change_id, "added_words": e.added_words, "removed_words": e.removed_words,
             "significance": e.significance, "summary": e.summary} for e in entries]
    if args.json:
        emit_json(rows)
        return 0
    print(f"{args.ref}: {doc.key}")
    table([[r["version"] if not r["current"] else f"{r['version']}*", r["fetched_at"][:16].replace("T", " "),
            r["kind"], r["words"], r["change"] or "", f"+{r['added_words']}/-{r['removed_words']}" if r["change"] else "",
            r["summary"] or ""] for r in rows],
          ["VERSION", "FETCHED", "KIND", "WORDS", "CHANGE", "DIFF", "SUMMARY"])
    return 0


def run_version(args, ctx) -> int:
    with ctx.reading() as s:
        doc = ctx.document(s, args.ref)
        if args.at:
            version = history.version_at(s, doc, parse_since(args.at, "--at", end_of_day=True))
            if version is None:
                raise UsageError(f"{args.ref} had no version yet at {args.at}")
        else:
            version = history.version_at(s, doc)
            if version is None:
                raise UsageError(f"{args.ref} has no version yet")
        sys.stdout.write(safe_text(history.text(s, version).rstrip("\n")) + "\n")
    return 0


def run_diff(args, ctx) -> int:
    with ctx.reading() as s:
        doc = ctx.document(s, args.ref)
        a, b = history.version(s, doc, args.a), history.version(s, doc, args.b)
        for vid, v in ((args.a, a), (args.b, b)):
            if v is None:
                raise UsageError(f"{vid} is not a version of {args.ref} (see: clausewatch history {args.ref})")
        print(_diff_text(s, a, b, args))
    return 0


def run_sources(args, ctx) -> int:
    ctx.sync_catalog()
    with ctx.reading() as s:
        states = history.documents(s)
    rows = [{"document": d.document.key, "urls": d.document.urls, "cited_by": d.cited_by, "orphaned": not d.cited_by,
             "last_fetch": _iso(d.last_fetch_at), "outcome": d.last_outcome, "reason": d.last_failure,
             "last_change": _iso(d.last_change_at), "consecutive_failures": d.consecutive_failures,
             "anomalies": d.open_anomalies} for d in states]
    if args.json:
        emit_json(rows)
        return 0
    table([[", ".join(r["cited_by"]) or "(orphaned)", (r["last_fetch"] or "-")[:16].replace("T", " "),
            r["outcome"] or "-", (r["last_change"] or "-")[:16].replace("T", " "), r["consecutive_failures"],
            ", ".join(r["anomalies"]), r["document"] + (f"  ({r['reason']})" if r["reason"] else "")] for r in rows],
          ["SOURCE", "LAST FETCH", "OUTCOME", "LAST CHANGE", "FAILURES", "ANOMALIES", "URL"])
    return 0

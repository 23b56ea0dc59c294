"""Reading what was recorded: `sources`, `changes`, `show`, `history`, `version`, `diff`."""

from __future__ import annotations

import datetime as dt
import sys

from sqlalchemy import func, select

from crawler.cli.context import UsageError, color_enabled, emit_json, table, when
from diffing.diff import word_diff
from diffing.render import render_html, render_terminal
from snapshots.models import Anomaly, Assessment, Change, Citation, Document, Fetch, Version
from snapshots.store import get_text

SIGNIFICANCES = ("cosmetic", "minor", "material")
STATUSES = ("unreviewed", "no-impact", "profile-updated", "follow-up")


def register(sub) -> None:
    p = sub.add_parser("sources", help="list every document: last fetch, outcome, last change, failures",
                       description="One line per monitored document with the profile sources citing it; "
                                   "documents no profile cites any more are marked orphaned.")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_sources)

    p = sub.add_parser("changes", help="list recorded changes, newest first",
                       description="One line per (change, citing profile). By default only reported changes "
                                   "(minor or material); --all adds cosmetic edits, flip-backs and rebaselines.")
    p.add_argument("--profile", action="append", default=[], metavar="ID", help="only this profile (repeatable)")
    p.add_argument("--since", metavar="DATE", help="only changes detected on or after DATE (YYYY-MM-DD) or within a duration (7d, 12h)")
    p.add_argument("--status", choices=STATUSES, help="only changes with this review status")
    p.add_argument("--significance", choices=SIGNIFICANCES, help="only changes of this significance")
    p.add_argument("--criterion", metavar="ID", help="only changes that may affect this criterion")
    p.add_argument("--all", action="store_true", help="include changes that are not reported")
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


def parse_since(text: str) -> dt.datetime:
    from crawler.profiles import parse_interval

    seconds = parse_interval(text)
    if seconds:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=seconds)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since {text!r}: expected a date (2026-11-01) or a duration (7d, 12h)") from None
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def change_rows(session, ctx, *, ids=None, profiles=(), since=None, status=None, significance=None,
                criterion=None, include_unreported=False, limit=None) -> list[dict]:
    """The `changes --json` entries: one per (change, citing profile)."""
    q = (select(Assessment, Change, Document).join(Change, Assessment.change_id == Change.id)
         .join(Document, Change.document_id == Document.id).order_by(Change.detected_at.desc(), Change.id.desc(),
                                                                     Assessment.profile))
    if ids is not None:
        q = q.where(Change.id.in_(list(ids)))
    if profiles:
        q = q.where(Assessment.profile.in_(list(profiles)))
    if since is not None:
        q = q.where(Change.detected_at >= since)
    if status:
        q = q.where(Assessment.status == status)
    if significance:
        q = q.where(Assessment.significance == significance)
    if not include_unreported:
        q = q.where(Assessment.reported.is_(True))
    out = []
    for a, c, d in session.execute(q):
        if criterion and criterion not in (a.affected_criteria or []):
            continue
        out.append({
            "id": c.id, "profile": a.profile, "source": a.source, "url": d.urls[0] if len(d.urls) == 1 else d.key,
            "detected_at": c.detected_at.isoformat() + "Z", "added_words": c.added_words,
            "removed_words": c.removed_words, "summary": a.summary, "significance": a.significance,
            "affected_criteria": list(a.affected_criteria or []), "kind": c.kind, "reported": a.reported,
            "findings": [{"kind": f.kind, "criterion": f.criterion, "detail": f.detail, "section": f.section}
                         for f in a.findings],
            "status": a.status, "note": a.note, "reviewer": a.reviewer,
            "reviewed_at": a.reviewed_at.isoformat() + "Z" if a.reviewed_at else None,
        })
        if limit and len(out) >= limit:
            break
    return out


def run_changes(args, ctx) -> int:
    for pid in args.profile:
        if pid not in ctx.catalog.profiles:
            raise UsageError(f"no profile {pid!r} (known: {', '.join(sorted(ctx.catalog.profiles)) or 'none'})")
    since = parse_since(args.since) if args.since else None
    with ctx.db.session() as s:
        rows = change_rows(s, ctx, profiles=args.profile, since=since, status=args.status,
                           significance=args.significance, criterion=args.criterion,
                           include_unreported=args.all, limit=args.limit)
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no changes" + (" matching these filters" if any([args.profile, since, args.status, args.significance,
                                                               args.criterion]) else " recorded yet"))
        return 0
    table([[r["id"], r["detected_at"][:16].replace("T", " "), r["significance"], r["status"],
            f"{r['profile']}/{r['source']}", r["summary"]] for r in rows],
          ["CHANGE", "DETECTED", "SIGNIFICANCE", "REVIEW", "SOURCE", "SUMMARY"])
    return 0


def _diff_text(session, old: Version, new: Version, args) -> str:
    ops = word_diff(get_text(session, old.text_sha256), get_text(session, new.text_sha256))
    if args.html:
        return render_html(ops)
    return render_terminal(ops, color=color_enabled(args))


def run_show(args, ctx) -> int:
    with ctx.db.session() as s:
        change = s.get(Change, args.change_id)
        if change is None:
            raise UsageError(f"no change {args.change_id} (list them with: clausewatch changes)")
        doc = s.get(Document, change.document_id)
        old, new = s.get(Version, change.from_version_id), s.get(Version, change.to_version_id)
        rows = change_rows(s, ctx, ids=[change.id], include_unreported=True)
        diff = _diff_text(s, old, new, args)
    if args.json:
        emit_json({"id": change.id, "document": doc.key, "kind": change.kind, "from_version": old.id,
                   "to_version": new.id, "assessments": rows, "diff": diff})
        return 0
    print(f"Change {change.id} ({change.kind}) of {doc.key}")
    print(f"detected {when(change.detected_at)}; version {old.id} ({when(old.fetched_at)}) -> {new.id} "
          f"({when(new.fetched_at)}); +{change.added_words}/-{change.removed_words} words")
    for r in rows:
        print(f"\n{r['profile']}/{r['source']}: {r['significance']} — {r['summary']}")
        if r["affected_criteria"]:
            print(f"  may affect: {', '.join(r['affected_criteria'])}")
        for f in r["findings"]:
            where = f" [{f['section']}]" if f["section"] else ""
            crit = f" ({f['criterion']})" if f["criterion"] else ""
            print(f"  - {f['kind']}{crit}{where}: {f['detail']}")
        print(f"  review: {r['status']}" + (f" by {r['reviewer']}: {r['note']}" if r["reviewer"] else ""))
    print()
    print(diff)
    return 0


def _versions(session, doc: Document) -> list[Version]:
    return list(session.scalars(select(Version).where(Version.document_id == doc.id).order_by(Version.id)))


def run_history(args, ctx) -> int:
    with ctx.db.session() as s:
        doc = ctx.document(s, args.ref)
        versions = _versions(s, doc)
        changes = {c.to_version_id: c for c in s.scalars(select(Change).where(Change.document_id == doc.id))}
        summaries = {}
        for a in s.scalars(select(Assessment).where(Assessment.change_id.in_([c.id for c in changes.values()]))):
            summaries.setdefault(a.change_id, a)
        rows = []
        for v in versions:
            c = changes.get(v.id)
            a = summaries.get(c.id) if c else None
            rows.append({"version": v.id, "fetched_at": v.fetched_at.isoformat() + "Z", "kind": v.kind,
                         "words": v.words, "current": v.id == doc.current_version_id,
                         "extractor_version": v.extractor_version, "change": c.id if c else None,
                         "added_words": c.added_words if c else None, "removed_words": c.removed_words if c else None,
                         "significance": a.significance if a else None, "summary": a.summary if a else None})
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
    with ctx.db.session() as s:
        doc = ctx.document(s, args.ref)
        if args.at:
            at = parse_since(args.at)
            version = s.scalar(select(Version).where(Version.document_id == doc.id, Version.fetched_at <= at)
                               .order_by(Version.fetched_at.desc(), Version.id.desc()).limit(1))
            if version is None:
                raise UsageError(f"{args.ref} had no version yet at {args.at}")
        else:
            version = s.get(Version, doc.current_version_id) if doc.current_version_id else None
            if version is None:
                raise UsageError(f"{args.ref} has no version yet")
        sys.stdout.write(get_text(s, version.text_sha256).rstrip("\n") + "\n")
    return 0


def run_diff(args, ctx) -> int:
    with ctx.db.session() as s:
        doc = ctx.document(s, args.ref)
        a, b = s.get(Version, args.a), s.get(Version, args.b)
        for vid, v in ((args.a, a), (args.b, b)):
            if v is None or v.document_id != doc.id:
                raise UsageError(f"{vid} is not a version of {args.ref} (see: clausewatch history {args.ref})")
        print(_diff_text(s, a, b, args))
    return 0


def run_sources(args, ctx) -> int:
    with ctx.db.session() as s:
        cites: dict[int, list[str]] = {}
        for c in s.scalars(select(Citation).order_by(Citation.profile, Citation.source)):
            cites.setdefault(c.document_id, []).append(f"{c.profile}/{c.source}")
        open_anomalies: dict[int, list[str]] = {}
        for a in s.scalars(select(Anomaly).where(Anomaly.open.is_(True))):
            open_anomalies.setdefault(a.document_id, []).append(a.kind)
        last_reason = dict(s.execute(
            select(Fetch.url, Fetch.reason).where(Fetch.id.in_(select(func.max(Fetch.id)).group_by(Fetch.url)))).all())
        rows = []
        for d in s.scalars(select(Document).order_by(Document.key)):
            rows.append({"document": d.key, "urls": d.urls, "cited_by": cites.get(d.id, []),
                         "orphaned": d.id not in cites, "last_fetch": d.last_fetch_at.isoformat() + "Z" if d.last_fetch_at else None,
                         "outcome": d.last_outcome, "reason": last_reason.get(d.urls[0]) if d.last_outcome == "failed" else None,
                         "last_change": d.last_change_at.isoformat() + "Z" if d.last_change_at else None,
                         "consecutive_failures": d.consecutive_failures, "anomalies": open_anomalies.get(d.id, [])})
    if args.json:
        emit_json(rows)
        return 0
    table([[", ".join(r["cited_by"]) or "(orphaned)", (r["last_fetch"] or "-")[:16].replace("T", " "),
            r["outcome"] or "-", (r["last_change"] or "-")[:16].replace("T", " "), r["consecutive_failures"],
            ", ".join(r["anomalies"]), r["document"] + (f"  ({r['reason']})" if r["reason"] else "")] for r in rows],
          ["SOURCE", "LAST FETCH", "OUTCOME", "LAST CHANGE", "FAILURES", "ANOMALIES", "URL"])
    return 0

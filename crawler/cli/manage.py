"""Editors' commands: `review`, `evidence`, `anomalies`, `accept`, `reextract`."""

from __future__ import annotations

import getpass
import os

from crawler.cli.browse import STATUSES
from crawler.cli.context import UsageError, emit_json, plural, table
from crawler.cli.operate import exclusive
from snapshots import history
from snapshots.history import AnomalyKind, ReviewStatus


def register(sub) -> None:
    p = sub.add_parser("review", help="record an editor's verdict on a change",
                       description="Set the review status of a change for one citing profile: unreviewed, "
                                   "no-impact, profile-updated or follow-up, with a note.")
    p.add_argument("change_id", type=int, metavar="CHANGE_ID")
    p.add_argument("--profile", metavar="ID", help="the citing profile (needed when several profiles cite the document)")
    p.add_argument("--status", required=True, choices=STATUSES, help="the verdict")
    p.add_argument("--note", default=None, help="why (shown in `show` and `changes --json`)")
    p.add_argument("--by", default=None, help="reviewer name (default: $CLAUSEWATCH_REVIEWER or the login name)")
    p.add_argument("--json", action="store_true", help="print the updated review as JSON")
    p.set_defaults(func=run_review)

    p = sub.add_parser("evidence", help="is every evidence quote still in the current text?",
                       description="Every criterion, every evidence quote and its status in the current version "
                                   "of its source: found, fuzzy (reworded or moved), missing, or unchecked.")
    p.add_argument("--profile", action="append", default=[], metavar="ID", help="only this profile (repeatable)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_evidence)

    p = sub.add_parser("anomalies", help="fetch and extraction trouble: gone, moved, blocked, suspicious, unreachable",
                       description="Anomalies are recorded apart from changes. Open ones by default; --all adds closed ones.")
    p.add_argument("--all", action="store_true", help="include closed anomalies")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run_anomalies)

    p = sub.add_parser("accept", help="accept the next extraction of a source as its current version",
                       description="After a genuine big shrink (or a redesign) flagged as suspicious, the next "
                                   "check records the extracted text as the current version.")
    p.add_argument("ref", metavar="PROFILE/SOURCE")
    p.set_defaults(func=run_accept)

    p = sub.add_parser("reextract", help="rebuild current versions from stored snapshots with the current rules",
                       description="Re-extract the newest stored snapshots of every document (after a selector fix or "
                                   "an extractor upgrade). Differences are recorded as rebaselines, never alerted.")
    p.add_argument("--profile", action="append", default=[], metavar="ID", help="only this profile's documents")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run_reextract)


def run_review(args, ctx) -> int:
    reviewer = args.by or os.environ.get("CLAUSEWATCH_REVIEWER") or getpass.getuser()
    with ctx.archive.transaction() as tx:
        profiles = history.assessed_profiles(tx.session, args.change_id)
        if profiles is None:
            raise UsageError(f"no change {args.change_id} (list them with: clausewatch changes)")
        if not profiles:
            raise UsageError(f"change {args.change_id} has no assessment to review (a rebaseline is never assessed)")
        rows = [p for p in profiles if args.profile in (None, p)]
        if not rows:
            raise UsageError(f"change {args.change_id} is not assessed for profile {args.profile!r} "
                             f"(it is for: {', '.join(profiles)})")
        if len(rows) > 1:
            raise UsageError(f"change {args.change_id} concerns several profiles ({', '.join(rows)}): give --profile")
        review = history.record_review(tx, args.change_id, rows[0], ReviewStatus(args.status), args.note, reviewer)
    out = {"id": review.change_id, "profile": review.profile, "status": review.status, "note": review.note,
           "reviewer": review.reviewer, "reviewed_at": review.reviewed_at.isoformat() + "Z"}
    if args.json:
        emit_json(out)
    else:
        note = f": {review.note}" if review.note else ""
        print(f"change {review.change_id} for {review.profile}: {review.status} (by {review.reviewer}){note}")
    return 0


def evidence_rows(ctx, profiles=()) -> list[dict]:
    from diffing.evidence import evidence_status

    wanted = [p for p in ctx.catalog.profiles.values() if not profiles or p.id in profiles]
    keys = [p.sources[ev.source].key for p in wanted for c in p.criteria for ev in c.evidence]
    with ctx.reading() as s:
        texts = history.current_texts(s, keys)
    rows = []
    for profile in wanted:
        for criterion in profile.criteria:
            for ev in criterion.evidence:
                text = texts[profile.sources[ev.source].key]
                rows.append({"profile": profile.id, "criterion": criterion.id, "rating": criterion.rating,
                             "source": ev.source, "quote": ev.quote,
                             "status": evidence_status(ev.quote, text) if text is not None else "unchecked"})
    return rows


def run_evidence(args, ctx) -> int:
    ctx.report_profile_errors()
    rows = evidence_rows(ctx, args.profile)
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no evidence quotes in these profiles")
        return 0
    table([[f"{r['profile']}/{r['criterion']}", r["source"], r["status"].upper() if r["status"] != "found" else "found",
            r["quote"] if len(r["quote"]) < 90 else r["quote"][:87] + "…"] for r in rows],
          ["CRITERION", "SOURCE", "STATUS", "QUOTE"])
    broken = [r for r in rows if r["status"] in ("fuzzy", "missing")]
    if broken:
        print(f"\n{len(broken)} of {len(rows)} quotes are no longer found as written: the ratings they back need a look.")
    return 0


def run_anomalies(args, ctx) -> int:
    with ctx.reading() as s:
        entries = history.anomalies(s, closed=args.all)
    rows = [{"id": a.id, "url": a.url, "kind": a.kind, "since": a.since.isoformat() + "Z", "detail": a.detail,
             "open": a.open, "closed_at": a.closed_at.isoformat() + "Z" if a.closed_at else None} for a in entries]
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no open anomalies" if not args.all else "no anomalies recorded")
        return 0
    table([[r["id"], r["kind"], r["since"][:16].replace("T", " "), "open" if r["open"] else "closed", r["url"],
            r["detail"]] for r in rows], ["ID", "KIND", "SINCE", "STATE", "URL", "DETAIL"])
    return 0


def run_accept(args, ctx) -> int:
    from snapshots.anomalies import open_kinds

    with ctx.archive.transaction() as tx:
        doc = ctx.document(tx.session, args.ref)
        if AnomalyKind.SUSPICIOUS not in open_kinds(tx.session, doc.id):
            print(f"{args.ref}: nothing to accept: no text is held back (no suspicious anomaly is open)")
            return 0
        history.accept_next(tx, doc)
    print(f"{args.ref}: the next check records the extracted text as the current version, however much it shrank.")
    return 0


@exclusive("reextract")
def run_reextract(args, ctx) -> int:
    from crawler.reextract import reextract

    ctx.report_profile_errors()
    for pid in args.profile:
        if pid not in ctx.catalog.profiles:
            raise UsageError(f"no valid profile {pid!r}")
    summary = reextract(ctx.settings, ctx.archive, ctx.catalog, args.profile, run_id=ctx.run_id)
    if args.json:
        emit_json(summary)
    else:
        print(f"re-extracted {plural(summary['documents'], 'document')}: {summary['rebaselined']} rebaselined, "
              f"{summary['unchanged']} unchanged, {summary['failed']} failed")
        for e in summary["errors"]:
            print(f"  {e['url']}: {e['reason']}")
    return 3 if summary["failed"] else 0  # like check: a document that could not be read is a failure


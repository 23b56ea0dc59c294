"""The review page and what it shows, from the terminal: `serve`, `standing`, `export`, `user`."""

from __future__ import annotations

import getpass
import sys

from crawler.cli.context import UsageError, emit_json, table, when

ROLES = ("editor", "analyst")


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the editors' review page (login required)",
                       description="A small web app: the review queue, changes with their diff, documents, profiles "
                                   "and the standing of every criterion. Add users first with `clausewatch user add`.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--root-path", default="", metavar="PATH",
                   help="the path prefix a reverse proxy serves the page under and strips, e.g. /clausewatch")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS",
                   help="proxies whose X-Forwarded-For/-Proto headers are trusted (default 127.0.0.1; '*' for any)")
    p.add_argument("--https-only", action="store_true", help="send the session cookie over HTTPS only")
    p.set_defaults(func=run_serve)

    p = sub.add_parser("standing", help="does each rating still stand? verified, pending, stale or evidence-missing",
                       description="Per criterion: verified (cited documents fetched fine, nothing to review since the "
                                   "profile's reviewed date), pending (changes await review), stale (a cited document "
                                   "fails or is stuck), evidence-missing (a quote is not in today's text).")
    p.add_argument("profile", nargs="?", metavar="PROFILE", help="only this profile (default: all)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print as JSON")
    out.add_argument("--markdown", action="store_true",
                     help="print the profile as a directory page shows it: criteria with standing, sources checked")
    p.set_defaults(func=run_standing)

    p = sub.add_parser("export", help="one change as a self-contained HTML page for a compliance file",
                       description="URL, fetch timestamps, SHA-256 of both snapshots, the diff, the findings and the "
                                   "verdict, as one HTML page without scripts: clausewatch export 12 > change-12.html")
    p.add_argument("change_id", type=int, metavar="CHANGE_ID")
    p.set_defaults(func=run_export)

    p = sub.add_parser("user", help="manage who may sign in to the review page: add, list, remove")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="add a user or change their role and password")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", choices=ROLES, required=True, help="editor (may review) or analyst (reads only)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.set_defaults(func=run_user_add)
    a = actions.add_parser("list", help="list the users and their roles")
    a.add_argument("--json", action="store_true", help="print as JSON")
    a.set_defaults(func=run_user_list)
    a = actions.add_parser("remove", help="remove a user (their sessions end)")
    a.add_argument("name", metavar="NAME")
    a.set_defaults(func=run_user_remove)


def run_serve(args, ctx) -> int:
    import uvicorn

    from crawler.web.app import create_app

    ctx.report_profile_errors()
    app = create_app(ctx.settings, https_only=args.https_only)
    where = f" (links carry {args.root_path}: the proxy strips it before passing requests on)" if args.root_path else ""
    print(f"clausewatch: review page on http://{args.host}:{args.port}/{where}; Ctrl-C stops", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, root_path=args.root_path, proxy_headers=True,
                forwarded_allow_ips=args.forwarded_allow_ips, server_header=False, log_level="info")
    return 0


def run_standing(args, ctx) -> int:
    from crawler.profiles import parse_interval
    from crawler.standing import markdown, read_standing

    ctx.report_profile_errors()
    profiles = list(ctx.catalog.profiles.values())
    if args.profile:
        if args.profile not in ctx.catalog.profiles:
            raise UsageError(f"no profile {args.profile!r} (known: {', '.join(sorted(ctx.catalog.profiles)) or 'none'})")
        profiles = [ctx.catalog.profiles[args.profile]]
    max_age = parse_interval(ctx.settings.max_age)
    with ctx.db.session() as s:
        standings = [read_standing(s, p, max_age=max_age) for p in profiles]
    if args.json:
        data = [st.to_json() for st in standings]
        emit_json(data[0] if args.profile else data)
    elif args.markdown:
        sys.stdout.write("\n".join(markdown(st) for st in standings))
    else:
        for st in standings:
            print(f"{st.name} ({st.id}), reviewed {st.reviewed or 'never'}")
            table([[c.id, c.rating, c.standing.upper() if c.standing != "verified" else c.standing, c.sentence]
                   for c in st.criteria], ["CRITERION", "RATING", "STANDING", "WHY"])
            print()
    return 0


def run_export(args, ctx) -> int:
    from crawler.web.export import export_html

    with ctx.db.session() as s:
        page = export_html(s, args.change_id)
    if page is None:
        raise UsageError(f"no change {args.change_id} (list them with: clausewatch changes)")
    sys.stdout.write(page)
    return 0


def _password(args) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the two passwords differ")
    if len(password) < 8:
        raise UsageError("a password needs at least 8 characters")
    return password


def run_user_add(args, ctx) -> int:
    from crawler.web.auth import hash_password
    from snapshots.archive import Archive
    from snapshots.users import save_user

    name = args.name.strip()
    if not name or len(name) > 200 or any(c.isspace() for c in name):
        raise UsageError(f"{args.name!r}: a user name is 1–200 characters without spaces")
    digest = hash_password(_password(args))
    with Archive(ctx.db).transaction() as tx:
        save_user(tx, name, args.role, digest)
    print(f"user {name}: {args.role}")
    return 0


def run_user_list(args, ctx) -> int:
    from snapshots.users import list_users

    with ctx.db.session() as s:
        rows = [{"name": u.name, "role": u.role, "created_at": u.created_at} for u in list_users(s)]
    if args.json:
        emit_json(rows)
    elif rows:
        table([[r["name"], r["role"], when(r["created_at"])] for r in rows], ["USER", "ROLE", "ADDED"])
    else:
        print("no users yet (add one: clausewatch user add NAME --role editor)")
    return 0


def run_user_remove(args, ctx) -> int:
    from snapshots.archive import Archive
    from snapshots.users import remove_user

    with Archive(ctx.db).transaction() as tx:
        removed = remove_user(tx, args.name)
    if not removed:
        raise UsageError(f"no user {args.name!r}")
    print(f"user {args.name} removed")
    return 0

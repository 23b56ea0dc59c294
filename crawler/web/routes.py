"""Signing in, the queue, a change and its review, the audit export, raw snapshots, the feed.

Reading routes are plain functions (Starlette runs them in a thread pool); every one starts with
`guard(request)`, which sends anonymous visitors to the login page. No route fetches a URL.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from crawler.web.auth import CurrentUser, authenticate, basic_credentials, csrf_ok, current_user, sign_in
from crawler.web.diffview import diff_view
from diffing.evidence import locate
from snapshots.reviews import (ALL_STATUSES, REVIEW_STATUSES, QueueFilters, ReviewError, change_detail,
                               open_anomalies, profile_counts, queue, record_review, snapshot_bytes)

SIGNIFICANCES = ("material", "minor", "cosmetic")
VERDICTS = ("no-impact", "profile-updated", "follow-up")
MAX_NOTE = 4000


def render(request, name: str, status_code: int = 200, headers=None, **context) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code,
                                                        headers=headers)


def error(request, status: int, message: str) -> Response:
    return render(request, "error.html", status_code=status, message=message)


def root(request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def guard(request, editor: bool = False) -> Response | None:
    """None when the visitor may go on (request.state.user is set); else the response to send."""
    with request.app.state.archive.reading() as s:
        user = current_user(request, s)
    if user is None:
        target = request.url.path[len(root(request)):] or "/"
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"{root(request)}/login?" + urlencode({"next": target}), status_code=303)
    request.state.user = user
    if editor and not user.may_review:
        return error(request, 403, "Only editors may record reviews; you are signed in as an analyst.")
    return None


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%+=&?:,;@-]*")


def _next(value: str | None) -> str:
    """A safe place to go after signing in: a path on this site, never another host (no `//`, `/\\`,
    no whitespace or control characters, which browsers drop before reading the URL)."""
    return value if value and _LOCAL_PATH.fullmatch(value) else "/"


def login_form(request):
    with request.app.state.archive.reading() as s:
        if current_user(request, s):
            return RedirectResponse(f"{root(request)}/", status_code=303)
    return render(request, "login.html", next=_next(request.query_params.get("next")), failed=None)


async def login(request):
    form = await request.form()
    if not csrf_ok(request, form):
        return error(request, 403, "The form expired or was not sent from this site; reload the page and try again.")
    name = str(form.get("username", "")).strip()[:200]
    password = str(form.get("password", ""))[:1024]
    target = _next(form.get("next"))
    throttle = request.app.state.throttle
    keys = (f"addr:{request.client.host if request.client else '?'}", f"user:{name.lower()}")
    wait = throttle.retry_after(*keys)
    if wait:
        return render(request, "login.html", status_code=429, headers={"Retry-After": str(wait)}, next=target,
                      failed=f"Too many failed attempts; try again in {wait} seconds.")

    def check() -> CurrentUser | None:
        with request.app.state.archive.reading() as s:
            return authenticate(s, name, password)

    user = await run_in_threadpool(check)
    if user is None:
        throttle.failed(*keys)
        return render(request, "login.html", status_code=401, next=target, failed="Unknown user name or wrong password.")
    throttle.succeeded(*keys)
    sign_in(request, user)
    return RedirectResponse(root(request) + target, status_code=303)


async def logout(request):
    form = await request.form()
    if not csrf_ok(request, form):
        return error(request, 403, "The form expired or was not sent from this site; reload the page and try again.")
    request.session.clear()
    return RedirectResponse(f"{root(request)}/login", status_code=303)


def _date(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time()) if text else None
    except ValueError:
        return None


def queue_page(request):
    if (denied := guard(request)) is not None:
        return denied
    q = request.query_params
    status = q.get("status") or "unreviewed"
    if status not in REVIEW_STATUSES and status != ALL_STATUSES:
        status = "unreviewed"
    significance = q.get("significance") if q.get("significance") in SIGNIFICANCES else None
    since, until = _date(q.get("since")), _date(q.get("until"))
    filters = QueueFilters(profile=q.get("profile") or None, criterion=q.get("criterion") or None,
                           significance=significance, status=status, since=since,
                           until=until + dt.timedelta(days=1) if until else None)
    try:
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        page = 1
    with request.app.state.archive.reading() as s:
        items, total = queue(s, filters, page=page)
        counts = profile_counts(s)
        anomalies = open_anomalies(s, profile=filters.profile)
    catalog = request.app.state.catalog.get()
    current = {"profile": filters.profile, "criterion": filters.criterion, "significance": significance,
               "status": status if status != "unreviewed" else None, "since": q.get("since") if since else None,
               "until": q.get("until") if until else None}
    pages = max(1, -(-total // 50))
    return render(request, "queue.html", items=items, total=total, counts=counts, anomalies=anomalies,
                  profiles=sorted(set(catalog.profiles) | set(counts)), filters=current, status=status,
                  statuses=REVIEW_STATUSES, significances=SIGNIFICANCES, page=page, pages=pages,
                  criteria=sorted({c.id for p in catalog.profiles.values() for c in p.criteria}))


def affected(catalog, assessment, text: str) -> list[dict]:
    """The criteria a change may affect, with their rating and where their evidence stands after it."""
    profile = catalog.profiles.get(assessment.profile)
    out = []
    for cid in assessment.affected_criteria or []:
        criterion = next((c for c in profile.criteria if c.id == cid), None) if profile else None
        evidence = []
        for ev in criterion.evidence if criterion else ():
            if ev.source == assessment.source:
                where = locate(ev.quote, text)
                evidence.append({"quote": ev.quote, "status": where.status, "excerpt": where.excerpt})
        out.append({"id": cid, "label": criterion.label if criterion else cid,
                    "rating": criterion.rating if criterion else "unknown", "evidence": evidence})
    return out


def change_page(request):
    if (denied := guard(request)) is not None:
        return denied
    change_id = request.path_params["change_id"]
    view = "side" if request.query_params.get("view") == "side" else "inline"
    all_sections = request.query_params.get("sections") == "all"
    catalog = request.app.state.catalog.get()
    with request.app.state.archive.reading() as s:
        detail = change_detail(s, change_id)
        if detail is None:
            return error(request, 404, f"There is no change {change_id}.")
        diff = diff_view(detail.old_text, detail.new_text, all_sections=all_sections)
        assessments = [{"row": a, "criteria": affected(catalog, a, detail.new_text),
                        "findings": [{"row": f, "anchor": diff.anchor_for(f.section)} for f in a.findings]}
                       for a in detail.assessments]
        return render(request, "change.html", detail=detail, diff=diff, view=view, all_sections=all_sections,
                      assessments=assessments, verdicts=VERDICTS)


async def review(request):
    if (denied := guard(request)) is not None:
        return denied
    form = await request.form()
    if not csrf_ok(request, form):
        return error(request, 403, "The form expired or was not sent from this site; reload the page and try again.")
    if (denied := guard(request, editor=True)) is not None:
        return denied
    change_id = request.path_params["change_id"]
    status = form.get("status")
    if status not in VERDICTS:
        return error(request, 400, f"Choose one verdict: {', '.join(VERDICTS)}.")
    profile = str(form.get("profile") or "") or None
    note = str(form.get("note") or "").strip()[:MAX_NOTE]

    def write():
        with request.app.state.archive.transaction() as tx:
            record_review(tx, change_id, profile, status, note, by=request.state.user.name)

    try:
        await run_in_threadpool(write)
    except ReviewError as exc:
        return error(request, 404, str(exc))
    return RedirectResponse(f"{root(request)}/changes/{change_id}#review", status_code=303)


def export_page(request):
    if (denied := guard(request)) is not None:
        return denied
    from crawler.web.export import EXPORT_CSP, export_html

    with request.app.state.archive.reading() as s:
        page = export_html(s, request.path_params["change_id"])
    if page is None:
        return error(request, 404, f"There is no change {request.path_params['change_id']}.")
    headers = {"content-security-policy": EXPORT_CSP}
    if request.query_params.get("download"):
        headers["content-disposition"] = f'attachment; filename="change-{request.path_params["change_id"]}.html"'
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


def raw_snapshot(request):
    """The bytes as fetched, as plain text (or a download) — never rendered as a page."""
    if (denied := guard(request)) is not None:
        return denied
    with request.app.state.archive.reading() as s:
        found = snapshot_bytes(s, request.path_params["snapshot_id"])
    if found is None:
        return error(request, 404, "There is no such snapshot.")
    snap, body = found
    disposition = "attachment" if request.query_params.get("download") else "inline"
    return Response(body, media_type="text/plain", headers={
        "content-disposition": f'{disposition}; filename="snapshot-{snap.id}.txt"',
        "content-security-policy": "default-src 'none'; sandbox; frame-ancestors 'none'"})


def feed(request):
    """The Atom feed; feed readers may sign in with HTTP Basic (throttled like the login form)."""
    credentials = basic_credentials(request)
    if credentials:
        throttle = request.app.state.throttle
        keys = (f"addr:{request.client.host if request.client else '?'}", f"user:{credentials[0].lower()}")
        if throttle.retry_after(*keys):
            return PlainTextResponse("too many failed attempts", status_code=429)
        with request.app.state.archive.reading() as s:
            user = authenticate(s, *credentials)
        if user is None:
            throttle.failed(*keys)
            return PlainTextResponse("wrong user name or password", status_code=401,
                                     headers={"www-authenticate": 'Basic realm="clausewatch"'})
        request.state.user = user
    elif (denied := guard(request)) is not None:
        return denied
    try:
        from crawler.alerts.feed import atom_feed
    except ImportError:
        return PlainTextResponse("the feed is not available in this installation", status_code=404)
    import inspect

    base = str(request.base_url).rstrip("/") + "/"
    extra = {"catalog": request.app.state.catalog.get()} if "catalog" in inspect.signature(atom_feed).parameters else {}
    with request.app.state.archive.reading() as s:
        body = atom_feed(s, profile=request.query_params.get("profile") or None, base_url=base, **extra)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def routes() -> list[Route]:
    from crawler.web import pages

    return [
        Route("/login", login_form, methods=["GET"], name="login"),
        Route("/login", login, methods=["POST"], name="login_post"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/", queue_page, name="queue"),
        Route("/changes/{change_id:int}", change_page, name="change"),
        Route("/changes/{change_id:int}/review", review, methods=["POST"], name="review"),
        Route("/changes/{change_id:int}/export", export_page, name="export"),
        Route("/snapshots/{snapshot_id:int}/raw", raw_snapshot, name="raw_snapshot"),
        Route("/feed.atom", feed, name="feed"),
        *pages.routes(guard, render, error),
    ]

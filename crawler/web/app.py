"""The review page as a Starlette application: `create_app(settings)`; `clausewatch serve` runs it.

Server-rendered (Jinja2, autoescape on: every fetched string is escaped), reading through the
archive. Behind a reverse proxy, uvicorn's `--root-path` and proxy headers give the prefix and the
client address; links are built from the root path, never from the Host header. Every response
carries a CSP without inline script, `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from crawler.config import Settings
from crawler.profiles import Catalog, load_catalog
from crawler.web.auth import LoginThrottle, csrf_token
from snapshots.archive import Archive

HERE = Path(__file__).parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds the security headers to every response (a route may set a stricter or wider CSP itself)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        static = scope["path"].startswith(scope.get("root_path", "").rstrip("/") + "/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if "cache-control" not in headers:  # pages hold review data: not kept by browsers or proxies
                    headers["cache-control"] = "max-age=3600" if static else "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_secret(settings: Settings) -> str:
    """`web_secret`, or a random key kept in `<home>/web-secret` (created readable by the owner only)."""
    if settings.web_secret:
        return settings.web_secret
    path = Path(settings.home) / "web-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class CatalogCache:
    """The profiles folder, read again when one of its files changed."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._stamp, self._catalog = None, None

    def get(self) -> Catalog:
        files = sorted(self.folder.glob("*.toml")) if self.folder.is_dir() else []
        stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files)
        if stamp != self._stamp or self._catalog is None:
            self._catalog, self._stamp = load_catalog(self.folder), stamp
        return self._catalog


def safe_href(url) -> str | None:
    """The URL when it is http(s) — a `javascript:` or `data:` link from a page is never made live."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme in ("http", "https") else None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else "–"
    env.filters["day"] = lambda v: v.strftime("%Y-%m-%d") if v else "–"
    env.filters["href"] = safe_href
    return env


def _context(request) -> dict:
    root = request.scope.get("root_path", "").rstrip("/")

    def path(name: str, query: dict | None = None, **params) -> str:
        url = root + str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))
        query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        return url + ("?" + urlencode(query) if query else "")

    return {"path": path, "static": lambda file: f"{root}/static/{file}", "csrf_token": lambda: csrf_token(request),
            "user": getattr(request.state, "user", None)}


def create_app(settings: Settings, archive: Archive | None = None, https_only: bool = False) -> Starlette:
    from crawler.web.routes import routes

    templates = Jinja2Templates(env=_environment(), context_processors=[_context])
    app = Starlette(
        routes=routes() + [Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=[Middleware(SecurityHeaders),
                    Middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="clausewatch",
                               max_age=settings.web_session_max_age, same_site="strict", https_only=https_only)],
    )
    app.state.settings = settings
    app.state.archive = archive or Archive.open(settings.database)
    app.state.catalog = CatalogCache(settings.profiles)
    app.state.templates = templates
    app.state.throttle = LoginThrottle()
    return app

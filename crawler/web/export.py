"""A change as one self-contained HTML page for a compliance file (print it to PDF from a browser).

URL, fetch timestamps, SHA-256 of both versions' snapshots and texts, the diff, the findings and
the verdicts; styles inline, no script, no external resource. `clausewatch export CHANGE_ID` prints
it; the review page serves it at /changes/<id>/export.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2

from crawler.web.diffview import diff_view
from snapshots.reviews import change_detail

HERE = Path(__file__).parent
EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["when"] = lambda v: v.strftime("%Y-%m-%d %H:%M:%S UTC") if v else "–"


def export_html(session, change_id: int) -> str | None:
    detail = change_detail(session, change_id)
    if detail is None:
        return None
    diff = diff_view(detail.old_text, detail.new_text)
    css = (HERE / "static" / "style.css").read_text(encoding="utf-8")
    return _env.get_template("export.html").render(detail=detail, diff=diff, css=css, generated=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))

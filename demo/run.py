"""`make demo`: an offline walk-through on a fictional provider's documents.

Serves demo/site/v1 on 127.0.0.1:8765, checks, switches the site to v2 (a DPA edit that moves data
to the United States and lengthens deletion, plus page churn: a language picker, a footer year,
session ids in links), checks again and shows what clausewatch reports.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
PORT = int(os.environ.get("CLAUSEWATCH_DEMO_PORT", "8765"))


class Handler(SimpleHTTPRequestHandler):
    site = "v1"

    def do_GET(self):  # noqa: N802 - always the whole page: the demo swaps files within a second
        del self.headers["If-Modified-Since"]
        super().do_GET()

    def translate_path(self, path):
        name = path.split("?", 1)[0].strip("/") or "index"
        return str(HERE / "site" / Handler.site / f"{name}.html")

    def log_message(self, *args):
        pass


def clausewatch(env, *args) -> int:
    print(f"\n$ clausewatch {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "crawler", *args], env=env)


def main() -> int:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", PORT), functools.partial(Handler, directory=str(HERE)))
    except OSError as error:
        print(f"demo: cannot serve on 127.0.0.1:{PORT}: {error.strerror} (set CLAUSEWATCH_DEMO_PORT to another port)",
              file=sys.stderr)
        return 1
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = Path(tempfile.mkdtemp(prefix="clausewatch-demo-"))
    env = dict(os.environ, CLAUSEWATCH_HOME=str(home), CLAUSEWATCH_PROFILES=str(HERE / "profiles"),
               CLAUSEWATCH_ALLOW_PRIVATE_NETWORKS="1", CLAUSEWATCH_DATABASE_URL="",
               PYTHONPATH=str(HERE.parent))
    try:
        print(f"Serving a fictional provider's documents on http://127.0.0.1:{PORT}/ (version 1); data in {home}")
        clausewatch(env, "validate")
        clausewatch(env, "check")
        Handler.site = "v2"
        print("\n--- the provider edits its DPA; its privacy page gets a new language and footer year ---")
        clausewatch(env, "check")
        clausewatch(env, "changes")
        clausewatch(env, "show", "1")
        clausewatch(env, "evidence")
        clausewatch(env, "history", "acme-ai/dpa")
    finally:
        server.shutdown()
        if not os.environ.get("CLAUSEWATCH_DEMO_KEEP"):
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

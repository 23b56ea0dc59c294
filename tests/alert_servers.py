"""Real local receivers for alert tests: an SMTP server (aiosmtpd) and a JSON webhook, on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    """aiosmtpd on 127.0.0.1; `messages` are parsed email.message.EmailMessage objects."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
                outer.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self, to: str = "analysts@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=clausewatch@example.org&to={to}&mode=insecure"

    @staticmethod
    def parts(message) -> dict[str, str]:
        return {part.get_content_type(): part.get_content() for part in message.walk()
                if part.get_content_maintype() == "text"}

    def close(self):
        self.controller.stop()


class Webhook:
    """A JSON receiver on a fixed 127.0.0.1 port that a test can stop, start again, or make answer 500."""

    def __init__(self):
        self.port = free_port()
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        self.server = None
        self.start()

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def start(self):
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hook.status == 200:
                    hook.received.append(json.loads(body))
                    hook.headers.append(dict(self.headers))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

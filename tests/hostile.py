"""A hostile HTTP server on 127.0.0.1: one route per way a server can hurt a crawler.

Raw sockets (not http.server) so that a route can lie about lengths, drip, hang, speak HTTP/1.0
without a length, or reset the connection mid-body. `ROUTES` maps each path to what a correct
crawler must make of it: `("failed", reason fragment)`, `("anomaly", kind)` or `("version", text)`.

    with HostileServer() as server:
        server.url("/drip")

Used by tests/test_hostile.py and bench/robustness_report.py.
"""

from __future__ import annotations

import gzip
import random
import socket
import socketserver
import struct
import threading
import time
import zlib

GOOD = ("<html><head><title>Terms</title></head><body><main><h1>Terms of service</h1>"
        "<p>These terms apply to every customer of the service and describe how personal data is handled.</p>"
        "</main></body></html>")
BOMB_BYTES = 100 * 1024 * 1024  # what each compression bomb inflates to


def _html(text: str) -> str:
    return f"<html><body><main><h1>Policy</h1><p>{text}</p></main></body></html>"


def _random_bytes(n: int, low: int, high: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(low, high) for _ in range(n))


class _Payloads:
    """Bodies built once per process (the bombs take a moment)."""

    _cache: dict = {}

    @classmethod
    def get(cls, name: str) -> bytes:
        if name not in cls._cache:
            cls._cache[name] = getattr(cls, "_" + name.replace("-", "_"))()
        return cls._cache[name]

    @staticmethod
    def _gzip():
        return gzip.compress(b"\0" * BOMB_BYTES, compresslevel=9)

    @staticmethod
    def _deflate():
        return zlib.compress(b"\0" * BOMB_BYTES, 9)

    @staticmethod
    def _brotli():
        import brotli

        return brotli.compress(b"\0" * BOMB_BYTES, quality=5)

    @staticmethod
    def _binary_nul():
        return _random_bytes(20_000, 0, 256, 1)

    @staticmethod
    def _binary_no_nul():
        return _random_bytes(20_000, 0x80, 256, 2)  # high bytes only: no NUL, no control characters

    @staticmethod
    def _deep():
        return b"<html><body>" + b"<div>" * 100_000 + b"deep text" + b"</div>" * 100_000 + b"</body></html>"

    @staticmethod
    def _million():
        return b"<html><body><main>" + b"<i>a</i>" * 1_000_000 + b"</main></body></html>"

    @staticmethod
    def _fifty_mb():
        return b"<html><body><main>" + b"<p>" + b"word " * (10 * 1024 * 1024) + b"</p></main></body></html>"


# path -> (expectation, detail). Kinds: failed (the fetch failed with a reason containing detail),
# anomaly (the document has an open anomaly of that kind), version (a version whose text contains detail)
ROUTES: dict[str, tuple[str, str]] = {
    "/endless-chunked": ("failed", "too large"),
    "/huge-length": ("failed", "too large"),
    "/drip": ("failed", "timed out"),
    "/hang": ("failed", "timed out"),
    "/gzip-bomb": ("failed", "too large"),
    "/deflate-bomb": ("failed", "too large"),
    "/brotli-bomb": ("failed", "too large"),
    "/loop-a": ("failed", "redirect loop"),
    "/chain/30": ("failed", "too many redirects"),
    "/no-type": ("version", "every customer of the service"),
    "/wrong-type": ("failed", "not a document"),
    "/charset-invalid": ("version", "données personnelles"),
    "/charset-lying": ("version", "données personnelles"),
    "/charset-mixed": ("version", "données personnelles"),
    "/binary-nul": ("failed", "not a document"),
    "/binary-no-nul": ("failed", "not a document"),
    "/empty": ("anomaly", "suspicious"),
    "/challenge": ("anomaly", "blocked"),
    "/error-200": ("anomaly", "suspicious"),
    "/http10": ("version", "every customer of the service"),
    "/reset": ("failed", "data loss"),
    "/reset-length": ("failed", "data loss"),
    "/fifty-mb": ("failed", "too large"),
    "/deep": ("failed", "too deeply nested"),
    "/million": ("failed", "too complex"),
}


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock: socket.socket = self.request
        sock.settimeout(120)
        try:
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode("latin-1")
            self.server.hits.append(path)
            route = getattr(self, "route_" + path.strip("/").replace("-", "_").replace("/", "_"), None)
            if route is None and path.startswith("/chain/"):
                return self.chain(int(path.rsplit("/", 1)[1]))
            if route is None:
                return self.send(404, "not found", "text/plain")
            route()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass

    # helpers
    def send(self, status: int, body, content_type: str | None = "text/html; charset=utf-8", headers=(),
             version: str = "1.1", length: bool = True) -> None:
        body = body.encode() if isinstance(body, str) else body
        lines = [f"HTTP/{version} {status} X"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        if length:
            lines.append(f"Content-Length: {len(body)}")
        lines += list(headers) + ["Connection: close", "", ""]
        self.request.sendall("\r\n".join(lines).encode("latin-1") + body)

    def reset(self) -> None:
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()

    def stream(self, head: str, piece: bytes, limit_s: float = 60) -> None:
        self.request.sendall(head.encode("latin-1"))
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            self.request.sendall(piece)

    # routes
    def route_robots_txt(self):
        self.send(404, "", "text/plain")

    def route_good(self):
        self.send(200, GOOD)

    def route_endless_chunked(self):
        piece = b"<p>" + b"x" * 65536 + b"</p>"
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        self.stream("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n", chunk)

    def route_huge_length(self):
        self.stream("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000000000\r\n\r\n",
                    b"x" * 65536)

    def route_drip(self):
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n")
        for _ in range(5000):
            self.request.sendall(b"x")
            time.sleep(1)

    def route_hang(self):
        time.sleep(60)

    def _bomb(self, name: str, encoding: str):
        self.send(200, _Payloads.get(name), headers=[f"Content-Encoding: {encoding}"])

    def route_gzip_bomb(self):
        self._bomb("gzip", "gzip")

    def route_deflate_bomb(self):
        self._bomb("deflate", "deflate")

    def route_brotli_bomb(self):
        self._bomb("brotli", "br")

    def route_loop_a(self):
        self.send(302, "", headers=["Location: /loop-b"])

    def route_loop_b(self):
        self.send(302, "", headers=["Location: /loop-a"])

    def chain(self, n: int):
        if n <= 0:
            return self.send(200, GOOD)
        self.send(302, "", headers=[f"Location: /chain/{n - 1}"])

    def route_no_type(self):
        self.send(200, GOOD, content_type=None)

    def route_wrong_type(self):
        self.send(200, GOOD, content_type="image/png")

    def route_charset_invalid(self):
        self.send(200, _html("Les données personnelles sont protégées.").encode(), "text/html; charset=no-such-charset")

    def route_charset_lying(self):  # says UTF-8, is windows-1252
        self.send(200, _html("Les données personnelles sont protégées.").encode("cp1252"), "text/html; charset=utf-8")

    def route_charset_mixed(self):  # UTF-8 with one stray windows-1252 byte
        body = _html("Les données personnelles sont protégées.").encode() + "<p>caf\xe9</p>".encode("cp1252")
        self.send(200, body, "text/html; charset=utf-8")

    def route_binary_nul(self):
        self.send(200, _Payloads.get("binary-nul"))

    def route_binary_no_nul(self):
        self.send(200, _Payloads.get("binary-no-nul"))

    def route_empty(self):
        self.send(200, b"")

    def route_challenge(self):
        self.send(200, "<html><head><title>Just a moment...</title></head><body><p>Checking your browser before "
                       "accessing the site. Enable JavaScript and cookies to continue.</p></body></html>")

    def route_error_200(self):
        self.send(200, _html("Page not found. The page you are looking for does not exist."))

    def route_http10(self):
        self.send(200, GOOD, version="1.0", length=False)

    def route_reset(self):  # HTTP/1.0 without a length: only the connection's end delimits the body
        body = GOOD.encode()
        self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body[: len(body) * 8 // 10])
        time.sleep(0.2)
        self.reset()

    def route_reset_length(self):
        body = GOOD.encode()
        self.request.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
                             .encode() + body[: len(body) // 2])
        time.sleep(0.2)
        self.reset()

    def route_fifty_mb(self):
        self.send(200, _Payloads.get("fifty-mb"))

    def route_deep(self):
        self.send(200, _Payloads.get("deep"))

    def route_million(self):
        self.send(200, _Payloads.get("million"))


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[str] = []
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        for name in ("gzip", "deflate", "brotli"):
            _Payloads.get(name)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

"""A tiny web server on 127.0.0.1 for input tests: serves pages and PDFs written by the tests."""

from __future__ import annotations

import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TLS_CERT = str(__import__("pathlib").Path(__file__).resolve().parent / "tls" / "localhost.pem")


class _Loopback:
    """A socketserver on a thread, for ``with``: subclasses set ``self.server`` and call ``_serve``."""

    server: socketserver.BaseServer

    def _serve(self, server: socketserver.BaseServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebServer(_Loopback):
    """``routes`` maps a path to (status, content type, body bytes)."""

    def __init__(self, tls: bool = False) -> None:
        self.tls = tls
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def do_GET(self) -> None:
                hits.append(self.path)
                status, ctype, body = routes.get(self.path, (404, "text/html", b"<html>not found</html>"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:  # a test-only self-signed certificate for localhost / 127.0.0.1 (tests/tls/)
            import ssl
            from pathlib import Path

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS_CERT, Path(TLS_CERT).with_suffix(".key"))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self._serve(self.httpd)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"


class ConnectProxy(_Loopback):
    """An HTTP proxy on 127.0.0.1 that only tunnels (CONNECT), records each target it was asked for,
    and answers 407 to requests without ``require_auth`` when that is set."""

    def __init__(self, require_auth: str = "") -> None:
        import socket
        import socketserver

        self.targets: list[str] = []
        self.auth_seen: list[str] = []
        targets, auth_seen = self.targets, self.auth_seen

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                method, target = lines[0].split()[:2]
                auth = next((ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("proxy-authorization:")), "")
                auth_seen.append(auth)
                if method != "CONNECT":
                    self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                if require_auth and auth != f"Basic {require_auth}":
                    self.request.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                    return
                targets.append(target)
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pipes = [threading.Thread(target=_pipe, args=(a, b), daemon=True)
                         for a, b in ((self.request, upstream), (upstream, self.request))]
                for t in pipes:
                    t.start()
                for t in pipes:
                    t.join(timeout=30)
                upstream.close()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._serve(Server(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _pipe(src, dst) -> None:
    import socket

    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

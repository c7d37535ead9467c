"""Links cannot reach inside: internal addresses refused at every redirect hop, the checked address
is the one connected to, downloads bounded in total time and size. Real servers on loopback;
loopback is refused unless ``SUMMARIZER_ALLOW_HOSTS`` allows it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT
from pdf_factory import make_paper
from streamlit.testing.v1 import AppTest

from summarizer.inputs.fetch import fetch, load_reference
from summarizer.inputs.netguard import BlockedAddressError, DownloadLimitError, is_internal
from summarizer.model.errors import InputError

ARTICLE = ("<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens</h1>"
           + "".join(f"<p>The harbour reopened on day {n} after a storm closed it; officials counted {n * 7} ships "
                     f"waiting outside and said repairs to pier {n} would take weeks.</p>" for n in range(1, 7))
           + "</article></body></html>").encode()


class Server:
    """Loopback server with scripted routes: pages, redirects, a dripping body, dripping headers."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.redirects: dict[str, str] = {}
        hits, redirects = self.hits, self.redirects

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def do_GET(self) -> None:
                hits.append(self.path)
                try:
                    self._answer()
                except OSError:  # the client gave up (that is the point of the drip tests)
                    pass

            def _answer(self) -> None:
                if self.path in redirects:
                    self.send_response(302)
                    self.send_header("Location", redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/drip":  # headers at once, then one byte every 0.5 s, forever
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    for _ in range(120):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.5)
                elif self.path == "/drip-headers":  # the status line and headers, a byte at a time
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"y" * 200:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.5)
                elif self.path in ("/big", "/big-undeclared"):
                    body = b"a" * (3 * 1024 * 1024)
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    if self.path == "/big":
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/paper.pdf":
                    body = make_paper()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/pdf")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(ARTICLE)))
                    self.end_headers()
                    self.wfile.write(ARTICLE)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("SUMMARIZER_ALLOW_HOSTS", raising=False)
    s = Server()
    yield s
    s.close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2001:db8::1",
])
def test_internal_addresses_are_recognised(address):
    assert is_internal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert not is_internal(address)


def test_loopback_is_refused_without_the_allow_list_and_nothing_is_sent(server):
    for url in (f"{server.url}/news", f"http://localhost:{server.port}/news", f"http://0.0.0.0:{server.port}/news",
                f"http://[::ffff:127.0.0.1]:{server.port}/news", f"http://2130706433:{server.port}/news",
                f"http://0x7f.1:{server.port}/news"):
        with pytest.raises(BlockedAddressError, match="inside the server's network"):
            load_reference(url)
    assert server.hits == []


def test_cloud_metadata_address_is_refused_before_connecting():
    started = time.monotonic()
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        load_reference("http://169.254.169.254/latest/meta-data/")
    assert time.monotonic() - started < 1  # refused, not tried and timed out


def test_allow_list_lets_loopback_through(server, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "example.org, 127.0.0.1")
    assert load_reference(f"{server.url}/news").title == "Harbour reopens"
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.0/8")
    assert load_reference(f"{server.url}/news").title == "Harbour reopens"


def test_redirect_into_the_internal_network_is_refused_at_that_hop(server, monkeypatch):
    """localhost is allowed by name; its redirects to 127.0.0.1, the metadata address and file:// are not."""
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "localhost")
    server.redirects.update({"/to-admin": f"{server.url}/admin", "/to-meta": "http://169.254.169.254/latest/",
                             "/to-file": "file:///etc/passwd", "/hop1": "/hop2", "/hop2": f"{server.url}/admin"})
    base = f"http://localhost:{server.port}"
    for path, message in (("/to-admin", "inside the server's network"), ("/to-meta", "169.254.169.254"),
                          ("/to-file", "Only http and https"), ("/hop1", "inside the server's network")):
        with pytest.raises(InputError, match=message):
            load_reference(base + path)
    assert "/admin" not in server.hits
    assert server.hits.count("/hop2") == 1  # the relative redirect on the allowed host was followed


def test_allowed_redirects_are_followed_and_loops_end(server, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")
    server.redirects.update({"/old": "/new", "/loop": "/loop"})
    doc = load_reference(f"{server.url}/old")
    assert doc.title == "Harbour reopens" and doc.source.endswith("/new")
    with pytest.raises(InputError, match="redirected more than 5 times"):
        load_reference(f"{server.url}/loop")
    assert server.hits.count("/loop") == 6


def test_connects_to_the_address_it_checked(server, monkeypatch):
    """DNS rebinding: the name answers a checked address first and another one after; only the first
    lookup is made and used."""
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")
    real = socket.getaddrinfo
    calls = []

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.test":
            calls.append(host)
            answer = "127.0.0.1" if len(calls) == 1 else "10.255.255.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    got = fetch(f"http://rebind.test:{server.port}/news", timeout=5)
    assert b"Harbour reopens" in got.data and calls == ["rebind.test"]


def test_mixed_answer_with_one_internal_address_is_refused(server, monkeypatch):
    def two(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", two)
    with pytest.raises(BlockedAddressError):
        fetch("http://mixed.test/")


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_dripping_server_hits_the_total_time_cap(server, monkeypatch, path):
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SUMMARIZER_FETCH_SECONDS", "2")
    started = time.monotonic()
    with pytest.raises(DownloadLimitError, match=r"longer than 2 s in total \(the time cap\)"):
        load_reference(f"{server.url}{path}")
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_size_cap_is_named(server, monkeypatch, path):
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SUMMARIZER_FETCH_MB", "1")
    with pytest.raises(DownloadLimitError, match=r"larger than 1 MB \(the size cap\)"):
        load_reference(f"{server.url}{path}")


def test_configured_arxiv_mirror_is_trusted_but_user_links_to_it_are_not(server, monkeypatch):
    server.redirects["/pdf/2401.01234"] = "/paper.pdf"
    monkeypatch.setenv("ARXIV_BASE_URL", server.url)
    assert load_reference("2401.01234").title.startswith("Sparrow")
    with pytest.raises(BlockedAddressError):
        load_reference(f"{server.url}/paper.pdf")


def test_cli_refuses_a_loopback_link_with_one_line(server, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SUMMARIZER_ALLOW_HOSTS"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "summarizer", "summarize", f"{server.url}/news"], capture_output=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "inside the server's network" in proc.stderr.decode() and proc.stderr.decode().count("\n") == 1
    assert server.hits == []


def test_from_a_link_tab_refuses_loopback(server):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="link_text").input(f"{server.url}/news")
    form_buttons = [b for b in at.button if b.label == "Fetch"]
    form_buttons[0].click().run()
    assert not at.exception
    assert any("inside the server's network" in e.value for e in at.error)
    assert "doc" not in at.session_state and server.hits == []


def test_a_link_to_an_address_names_it_once():
    """'127.0.0.1 is 127.0.0.1' said nothing (issue #24); a name still says what it resolved to."""
    from summarizer.inputs.netguard import resolve_checked

    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked("127.0.0.1", 80)
    assert "(127.0.0.1)" in str(caught.value) and "127.0.0.1 is 127.0.0.1" not in str(caught.value)
    with pytest.raises(BlockedAddressError, match=r"localhost is (127\.0\.0\.1|::1)"):
        resolve_checked("localhost", 80)

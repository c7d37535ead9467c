"""Fetching a link a user gave without letting it reach inside the server's network (field note 28).

``guarded_get`` resolves the host of every hop itself, refuses addresses that are not on the
public internet (private, loopback, link-local — the cloud metadata address 169.254.169.254 —
multicast, reserved, unspecified, shared, in IPv4 and IPv6, also when an IPv4 address hides inside
an IPv6 one), connects to exactly the address it checked (no second DNS lookup that could answer
differently), and follows redirects itself so each new hop is checked the same way. Hosts or
addresses on ``SUMMARIZER_ALLOW_HOSTS`` (comma-separated names, addresses or networks; empty by
default) are exempt: tests and local setups use it.

The whole download is bounded in total time and size, not per read: a watchdog closes the socket
at the deadline, so a server that drips one byte at a time cannot hold a thread.

Behind a proxy (``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY``, ``NO_PROXY`` honoured; an HTTP proxy,
with ``user:password@`` if it needs it), each hop goes through a ``CONNECT`` tunnel to the address
checked here, never to a name the proxy would resolve again, and TLS is still verified for the name.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from summarizer.config.shared_server import SWITCH_OFF, SWITCH_ON, is_operator_endpoint, server_key_shared
from summarizer.model.errors import ConfigError, InputError

log = logging.getLogger(__name__)

ALLOW_ENV = "SUMMARIZER_ALLOW_HOSTS"
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddressError(InputError):
    """The link (or a redirect) points at an address inside the server's network."""


class DownloadLimitError(InputError):
    """A download went over its total time or size cap."""


@dataclass
class Response:
    status: int
    content_type: str
    data: bytes
    final_url: str


def _embedded(ip: _IPAddress) -> list[_IPAddress]:
    """The address and any IPv4 address carried inside an IPv6 one (mapped, NAT64, 6to4, Teredo)."""
    found: list[_IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            found.append(ip.ipv4_mapped)
        if ip in _NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour:
            found.append(ip.sixtofour)
        if ip.teredo:
            found.extend(ip.teredo)
    return found


def is_internal(address: str) -> bool:
    """True for every address that is not plainly on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    for a in [mapped] if mapped else _embedded(ip):  # ::ffff:a.b.c.d is a.b.c.d
        if (a.is_private or a.is_loopback or a.is_link_local or a.is_multicast or a.is_reserved
                or a.is_unspecified or not a.is_global):
            return True
    return False


def allow_list() -> list[str]:
    return [h.strip().lower().strip("[]") for h in os.environ.get(ALLOW_ENV, "").split(",") if h.strip()]


def _allowed(host: str, address: str, extra: frozenset[str]) -> bool:
    entries = allow_list() + sorted(extra)
    if host.lower() in entries:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    for entry in entries:
        try:
            if ip in ipaddress.ip_network(entry, strict=False) or any(
                    a in ipaddress.ip_network(entry, strict=False) for a in _embedded(ip)):
                return True
        except ValueError:  # a host name, not an address
            continue
    return False


def _same_address(host: str, address: str) -> bool:
    """True when ``host`` is written as the address itself ("127.0.0.1", "[::1]"): "127.0.0.1 is 127.0.0.1"
    says nothing."""
    return host.strip("[]").lower() == address.lower()


def resolve_checked(host: str, port: int, trusted: frozenset[str] = frozenset()) -> str:
    """The address to connect to for ``host``: every address it resolves to must be public (or
    allowed), so a name with one public and one internal address is refused too."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"Could not reach {host} (the name does not resolve: {exc}); check the link.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if is_internal(address) and not _allowed(host, address, trusted):
            log.info("refused %s: it resolves to the internal address %s", host, address)
            where = address if _same_address(host, address) else f"{host} is {address}"
            raise BlockedAddressError(
                f"The link points inside the server's network ({where}), so it is not fetched; "
                "open the page in your browser and paste its text instead.")
    if not addresses:
        raise InputError(f"Could not reach {host} (no address); check the link.")
    return addresses[0]


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy from the environment: where it listens, and its Basic credentials if any."""

    host: str
    port: int
    auth: str = ""  # base64 of "user:password"

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


def proxy_for(scheme: str, host: str) -> Proxy | None:
    """The proxy the environment names for ``scheme`` (``NO_PROXY`` honoured), or None."""
    import base64
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    url = proxies.get(scheme) or proxies.get("all")
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        log.warning("proxy %s is not an HTTP proxy; links are fetched without it", parts.scheme)
        return None
    auth = ""
    if parts.username is not None:
        from urllib.parse import unquote

        auth = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
    return Proxy(parts.hostname, parts.port or 80, auth)


def _tunnel(proxy: Proxy, address: str, port: int, timeout: float) -> socket.socket:
    """A socket through ``proxy`` to exactly ``address:port`` (HTTP CONNECT)."""
    sock = socket.create_connection((proxy.host, proxy.port), timeout)
    try:
        target = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
        if proxy.auth:
            head += f"Proxy-Authorization: Basic {proxy.auth}\r\n"
        sock.sendall((head + "\r\n").encode("ascii"))
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk or len(reply) > 65536:
                raise OSError(f"the proxy {proxy.label} closed the tunnel")
            reply += chunk
        status = reply.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(status) < 2 or status[1] != "200":
            raise OSError(f"the proxy {proxy.label} refused the tunnel ({' '.join(status[1:])[:60] or 'no status'})")
        return sock
    except BaseException:
        sock.close()
        raise


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand, whatever the name resolves to now
    (directly, or through a proxy's tunnel to that address)."""

    def __init__(self, host: str, port: int, address: str, timeout: float, proxy: Proxy | None = None) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address, self._proxy = address, proxy

    def _open(self) -> socket.socket:
        if self._proxy is not None:
            return _tunnel(self._proxy, self._address, self.port, self.timeout)
        return socket.create_connection((self._address, self.port), self.timeout)

    def connect(self) -> None:
        self.sock = self.raw_sock = self._open()


class _PinnedHTTPS(_PinnedHTTP, http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float, proxy: Proxy | None = None) -> None:
        http.client.HTTPSConnection.__init__(self, host, port, timeout=timeout, context=ssl.create_default_context())
        self._address, self._proxy = address, proxy

    def connect(self) -> None:
        self.raw_sock = self._open()
        self.sock = self._context.wrap_socket(self.raw_sock, server_hostname=self.host)


class _Watchdog:
    """Shuts the connection's socket at the deadline, which wakes any blocked read."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        # the connection forgets its socket once a closing response starts; the raw one stays known
        sock = getattr(self._conn, "raw_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def guarded_get(url: str, *, headers: dict[str, str], total_seconds: float, max_bytes: int,
                trusted_hosts: frozenset[str] = frozenset()) -> Response:
    """GET ``url`` following up to five redirects, each hop checked; bounded in total time and size.

    Raises ``BlockedAddressError`` for an internal address, ``DownloadLimitError`` naming the cap
    that was hit, ``InputError`` for other failures; HTTP error statuses are returned as responses.
    """
    deadline = time.monotonic() + total_seconds
    trusted = frozenset(h.lower() for h in trusted_hosts)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"Only http and https links are fetched, not '{current[:80]}'.")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve_checked(host, port, trusted)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DownloadLimitError(f"{host} took longer than {total_seconds:g} s in total (the time cap); "
                                     "open the page in your browser and paste its text instead.")
        conn_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        proxy = proxy_for(parts.scheme, host)
        conn = conn_class(host, port, address, timeout=remaining, proxy=proxy)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            with _Watchdog(conn, remaining) as watchdog:
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    location = response.getheader("Location")
                    if response.status in _REDIRECTS and location:
                        current = urljoin(current, location)
                        log.info("redirect %s → %s", host, current)
                        continue
                    data = _read_capped(response, max_bytes, host)
                    if watchdog.fired:  # the socket was shut at the deadline: what came is cut short
                        raise OSError("deadline")
                    return Response(response.status, (response.getheader("Content-Type") or "").lower(), data,
                                    current)
                except (OSError, http.client.HTTPException) as exc:
                    if watchdog.fired or time.monotonic() >= deadline:
                        raise DownloadLimitError(
                            f"{host} took longer than {total_seconds:g} s in total (the time cap); "
                            "open the page in your browser and paste its text instead.") from None
                    reason = getattr(exc, "reason", None) or exc.__class__.__name__ + (f": {exc}" if str(exc) else "")
                    via = f" through the proxy {proxy.label}" if proxy is not None else ""
                    raise InputError(f"Could not reach {parts.netloc.rpartition('@')[2]}{via} ({reason}); check your network, or open "
                                     "the page in your browser and paste its text instead.") from None
        finally:
            conn.close()
    raise InputError(f"{urlsplit(url).hostname} redirected more than {MAX_REDIRECTS} times; check the link.")


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, host: str) -> bytes:
    mb = f"{max_bytes / (1024 * 1024):g} MB"
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadLimitError(f"The download from {host} is larger than {mb} (the size cap).")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise DownloadLimitError(f"The download from {host} is larger than {mb} (the size cap).")
        chunks.append(chunk)
    return b"".join(chunks)


# -- model endpoints a visitor typed -----------------------------------------------------------------------

SHARED_SERVER_ENV = "SUMMARIZER_SHARED_SERVER"
ALLOWED_ENDPOINTS_ENV = "SUMMARIZER_ALLOWED_ENDPOINTS"
_web_server_address: Callable[[], str | None] | None = None  # set by the web app (register_web_server)


class BlockedEndpointError(ConfigError):
    """A Base URL typed in a browser session points inside the server's network."""


def is_loopback_host(address: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if address.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def served_to_others() -> bool:
    """Whether the app serves people other than the one at this machine.

    ``SUMMARIZER_SHARED_SERVER=1`` (or ``0``) says so explicitly; sharing the server key
    (``SUMMARIZER_SHARE_SERVER_KEY=1``) means others use it; otherwise a web server the app registered
    (``register_web_server``) that listens on anything but loopback ("" means every interface) serves
    others. The CLI and a library caller with no web server registered are one user."""
    explicit = os.environ.get(SHARED_SERVER_ENV, "").strip().lower()
    if explicit in SWITCH_ON:
        return True
    if explicit in SWITCH_OFF:
        return False
    if server_key_shared():
        return True
    if _web_server_address is None:  # no web app registered: the CLI, a library caller, a test
        return False
    try:
        address = _web_server_address()
    except Exception:  # the web server could not say where it listens: be careful
        log.warning("the web server's address could not be read", exc_info=True)
        return True
    if address is None:  # the app runs without a server (AppTest, bare mode)
        return False
    return not (address and is_loopback_host(str(address)))


def register_web_server(address: Callable[[], str | None]) -> None:
    """The web app tells the guard how to read the address its server listens on: ``address()`` returns
    it ("" for every interface), or None when no server runs. The library never imports the web framework;
    without a registered server it serves one user."""
    global _web_server_address
    _web_server_address = address


def guard_session_endpoint(base_url: str) -> None:
    """On a server that serves others, a Base URL typed in a session must not reach inside the server's
    network (``BlockedEndpointError``); the operator's own endpoint and a single-user app are not checked."""
    if not served_to_others() or is_operator_endpoint(base_url):
        return
    check_endpoint(base_url)


def allowed_endpoints() -> frozenset[str]:
    """The operator's allow-list for model endpoints inside the network (names, addresses or networks)."""
    return frozenset(h.strip().lower().strip("[]") for h in os.environ.get(ALLOWED_ENDPOINTS_ENV, "").split(",") if h.strip())


def check_endpoint(base_url: str) -> None:
    """Refuse a model endpoint inside the server's network (``BlockedEndpointError``, one line), unless its
    host is on ``SUMMARIZER_ALLOWED_ENDPOINTS``. Callers decide when a URL needs the check (a Base URL a
    visitor typed on a server that serves others): see ``guard_session_endpoint``."""
    parts = urlsplit(base_url.strip())
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise BlockedEndpointError(f"The base URL '{base_url[:80]}' is not a web address; it should look like "
                                   "https://api.openai.com/v1.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedEndpointError(f"The base URL '{base_url[:80]}' has an invalid port.") from None
    try:
        resolve_checked(host, port, allowed_endpoints())
    except BlockedAddressError:
        raise BlockedEndpointError(
            f"The model endpoint {host} is inside this server's network, so this server does not connect to it; "
            "use a public endpoint, or ask the operator to add it to SUMMARIZER_ALLOWED_ENDPOINTS.") from None
    except InputError:
        raise BlockedEndpointError(f"The model endpoint {host} does not resolve; check the base URL.") from None

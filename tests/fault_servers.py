"""Real TCP servers on 127.0.0.1 that misbehave in time, for the Stop/timeout/bounded-wait tests.

* ``NeverAnswerServer`` accepts a connection, reads the request and never answers; it records
  when each connection opened and when the client closed it (so a test can see a stream closed).
* ``DripServer`` answers a streamed chat completion with one small chunk every ``interval``
  seconds, for ``chunks`` chunks (forever by default): a server that never stalls long enough for
  a stall timeout yet never finishes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Connection:
    opened: float
    closed: float | None = None
    request: bytes = b""


@dataclass
class _Base:
    interval: float = 0.2
    chunks: int | None = None
    connections: list[Connection] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            record = Connection(time.monotonic())
            with self.lock:
                self.connections.append(record)
            threading.Thread(target=self._serve, args=(conn, record), daemon=True).start()

    def _read_request(self, conn: socket.socket, record: Connection) -> bool:
        conn.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                piece = conn.recv(65536)
                if not piece:
                    return False
                data += piece
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                piece = conn.recv(65536)
                if not piece:
                    return False
                body += piece
        except OSError:
            return False
        record.request = head + b"\r\n\r\n" + body
        return True

    def _wait_closed(self, conn: socket.socket, record: Connection) -> None:
        """Block until the client hangs up; note when."""
        conn.settimeout(0.05)
        while not self._stop.is_set():
            try:
                if conn.recv(1024) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        record.closed = time.monotonic()
        conn.close()

    def open_connections(self) -> int:
        with self.lock:
            return sum(1 for c in self.connections if c.closed is None)

    def _serve(self, conn: socket.socket, record: Connection) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class NeverAnswerServer(_Base):
    """Reads every request, answers none of them."""

    def _serve(self, conn: socket.socket, record: Connection) -> None:
        if not self._read_request(conn, record):
            record.closed = time.monotonic()
            conn.close()
            return
        self._wait_closed(conn, record)


class DripServer(_Base):
    """Streams a chat answer one chunk every ``interval`` seconds."""

    def _serve(self, conn: socket.socket, record: Connection) -> None:
        if not self._read_request(conn, record):
            record.closed = time.monotonic()
            conn.close()
            return
        head = record.request.split(b"\r\n", 1)[0]
        try:
            if head.startswith(b"GET"):
                payload = json.dumps({"object": "list", "data": [{"id": "test-model"}]}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(payload)).encode() + b"\r\nConnection: close\r\n\r\n" + payload)
                conn.close()
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            sent = 0
            while not self._stop.is_set() and (self.chunks is None or sent < self.chunks):
                chunk = {"id": "d", "object": "chat.completion.chunk", "created": 0, "model": "test-model",
                         "choices": [{"index": 0, "delta": {"content": "drip "}, "finish_reason": None}]}
                conn.sendall(f"data: {json.dumps(chunk)}\n\n".encode())
                sent += 1
                time.sleep(self.interval)
            if not self._stop.is_set():
                end = {"id": "d", "object": "chat.completion.chunk", "created": 0, "model": "test-model",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                conn.sendall(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        except OSError:
            pass
        record.closed = record.closed or time.monotonic()
        try:
            conn.close()
        except OSError:
            pass


def within(seconds: float, fn, *args, **kwargs):
    """Run ``fn`` on a daemon thread; fail the test (not hang it) if it takes longer than ``seconds``.
    Returns what it returned, or the exception it raised."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            box["value"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s"
    return box["value"]

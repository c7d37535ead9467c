"""A request in flight, as Stop and the call's time cap see it: the sockets it opened (found through the
HTTP client's trace hook), so that aborting it shuts them and a server that stops on disconnect stops
computing."""

from __future__ import annotations

import socket
import threading


class InflightCall:
    """One request in flight: its sockets, so Stop or the call's time cap can close them."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.aborted = ""  # why it was aborted: "cancelled" | "total"
        self.connected = False
        self._lock = threading.Lock()

    def trace(self, name: str, info: dict) -> None:
        if name.endswith("connect_tcp.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            with self._lock:
                self.connected = True
                if sock is not None:
                    self.sockets.append(sock)
            if self.aborted:
                self._shut(sock)

    def abort(self, why: str) -> None:
        with self._lock:
            if self.aborted:
                return
            self.aborted = why
            sockets = list(self.sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock) -> None:
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv, unlike close()
        except OSError:
            pass


#: The call running on this thread (set by the client around each request), for ``attach_trace``.
current = threading.local()


def attach_trace(request) -> None:
    """httpx request hook: let the call running on this thread see its connection."""
    call = getattr(current, "call", None)
    if call is not None:
        request.extensions = {**request.extensions, "trace": call.trace}

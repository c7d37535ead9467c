"""How many requests a run keeps in flight and how fast it sends them: ``AdaptiveLimit`` halves the calls in
flight on 429s and timeouts and recovers after successes; ``RateWindow`` keeps a run under the requests and
tokens per minute an operator set."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class AdaptiveLimit:
    """A concurrency limit that backs off on 429s and timeouts and recovers after successes."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.active = 0
        self.peak = 0
        self._streak = 0
        self._cond = threading.Condition()

    def acquire(self, stop: Callable[[], bool] | None = None) -> bool:
        """Wait for a free slot; False (nothing taken) as soon as ``stop()`` turns true."""
        with self._cond:
            while self.active >= self.limit:
                if stop is not None and stop():
                    return False
                self._cond.wait(0.1 if stop is not None else None)
            self.active += 1
            self.peak = max(self.peak, self.active)
            return True

    def release(self) -> None:
        with self._cond:
            self.active -= 1
            self._cond.notify_all()

    def cap(self, maximum: int) -> None:
        """Lower the ceiling for good (a server with ``maximum`` slots)."""
        with self._cond:
            self.maximum = max(1, min(self.maximum, maximum))
            self.limit = min(self.limit, self.maximum)

    def rate_limited(self) -> None:
        with self._cond:
            self.limit = max(1, self.limit // 2)
            self._streak = 0

    timed_out = rate_limited  # a server too slow to answer is as overloaded as one answering 429

    def succeeded(self) -> None:
        with self._cond:
            self._streak += 1
            if self.limit < self.maximum and self._streak >= self.limit:
                self.limit += 1
                self._streak = 0
                self._cond.notify_all()


class RateWindow:
    """Optional requests-per-minute and tokens-per-minute ceilings over a sliding minute."""

    def __init__(self, rpm: int | None, tpm: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rpm, self.tpm, self.clock = rpm, tpm, clock
        self._events: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def wait(self, tokens: int, stop: Callable[[], bool] | None = None) -> None:
        if not self.rpm and not self.tpm:
            return
        while True:
            with self._lock:
                now = self.clock()
                while self._events and now - self._events[0][0] >= 60:
                    self._events.popleft()
                used_tokens = sum(t for _, t in self._events)
                rpm_ok = not self.rpm or len(self._events) < self.rpm
                tpm_ok = not self.tpm or used_tokens + tokens <= self.tpm or not self._events
                if rpm_ok and tpm_ok:
                    self._events.append((now, tokens))
                    return
                sleep_for = max(0.05, 60 - (now - self._events[0][0]))
            if stop is not None and stop():
                return
            time.sleep(min(sleep_for, 0.25))

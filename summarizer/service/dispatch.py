"""Where jobs run. ``ThreadDispatcher``: in the server's own thread pool (nothing else to install); it takes
up every job nobody runs (at start, and whenever a runner's lease lapses), so a restart loses none and two
servers on one data folder never run a job twice at once. ``RedisDispatcher`` (in
``redis_queue.py``): on ``summarizer worker`` processes fed through Redis. Both answer ``cancel`` only once
the job can send no new model request."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from summarizer.config.settings import Settings
from summarizer.service.execute import RunningJobs, execute
from summarizer.service.jobs import ServiceStore
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)


class JobWatch:
    """Wakes a request waiting for a job (``Prefer: wait``) the moment the job ends in this process, instead of
    each waiting request reading the store tens of times a second (at 16 concurrent clients that polling was
    most of the server's CPU)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def register(self, job_id: str) -> asyncio.Event:
        """Call before reading the job's status (a job ending in between still wakes the waiter)."""
        event = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(job_id, []).append((asyncio.get_running_loop(), event))
        return event

    def forget(self, job_id: str, event: asyncio.Event) -> None:
        with self._lock:
            left = [w for w in self._waiters.get(job_id, []) if w[1] is not event]
            if left:
                self._waiters[job_id] = left
            else:
                self._waiters.pop(job_id, None)

    def notify(self, job_id: str) -> None:
        with self._lock:
            waiters = self._waiters.pop(job_id, [])
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed
                pass


class Dispatcher(Protocol):
    #: Set where jobs end in this process (then a waiting request is woken); None where they end elsewhere.
    watch: JobWatch | None

    def start(self) -> None: ...
    def submit(self, job_id: str) -> None: ...
    def cancel(self, job_id: str) -> None:
        """Return once the job sends no new model request (its cancel flag is already in the store)."""
        ...

    def stop(self) -> None: ...


class ThreadDispatcher:
    """Jobs on a thread pool in this process."""

    def __init__(self, store: ServiceStore, base: Settings, service: ServiceSettings, observe=None) -> None:
        self.store, self.base, self.service, self.observe = store, base, service, observe
        self.running = RunningJobs()
        self.watch = JobWatch()
        self.pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: set[str] = set()  # submitted here and not finished: never submitted twice
        self._stopping = threading.Event()

    def start(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=self.service.job_threads, thread_name_prefix="job")
        self._sweeper = threading.Thread(target=self._sweep, daemon=True, name="job-sweeper")
        self._sweeper.start()

    def _sweep(self) -> None:
        """Take up the jobs nobody runs: at start, those left by a process that died (or was restarted); then,
        every half lease, any whose runner stopped renewing its lease. A job another live process runs keeps
        its lease and is left alone."""
        first = True
        while not self._stopping.is_set():
            try:
                left = [j for j in self.store.unleased_jobs() if j.id not in self._pending]
                if left:
                    log.info("taking up %d job(s) nobody runs%s", len(left), " (from before the restart)" if first else "")
                for job in left:
                    self.submit(job.id)
            except Exception:  # the store away for a moment: the next sweep tries again
                log.exception("job sweep failed")
            first = False
            self._stopping.wait(self.service.lease_seconds / 2)

    def submit(self, job_id: str) -> None:
        assert self.pool is not None, "start() first"
        with self._lock:
            if job_id in self._pending:
                return
            self._pending.add(job_id)
        self.pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        try:
            execute(job_id, self.store, self.base, self.service, self.running, self.observe)
        except Exception:  # never lose the pool thread
            log.exception("job %s: unexpected failure", job_id)
        finally:
            with self._lock:
                self._pending.discard(job_id)
            self.watch.notify(job_id)

    def cancel(self, job_id: str) -> None:
        self.running.cancel(job_id)

    def stop(self) -> None:
        """Take no new job; jobs not started stay queued in the store and are taken up at the next start."""
        self._stopping.set()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

"""Where jobs run. ``ThreadDispatcher``: in the server's own thread pool (nothing else to install); at start
it takes up every job the store holds unfinished, so a restart loses none. ``RedisDispatcher`` (in
``redis_queue.py``): on ``summarizer worker`` processes fed through Redis. Both answer ``cancel`` only once
the job can send no new model request."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from summarizer.config.settings import Settings
from summarizer.service.execute import RunningJobs, execute
from summarizer.service.jobs import ServiceStore
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
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
        self.pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=self.service.job_threads, thread_name_prefix="job")
        left = [j for j in self.store.unfinished_jobs() if j.kind == "summary"]
        if left:
            log.info("taking up %d unfinished job(s) from before the restart", len(left))
        for job in left:
            self.submit(job.id)

    def submit(self, job_id: str) -> None:
        assert self.pool is not None, "start() first"
        self.pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        try:
            execute(job_id, self.store, self.base, self.service, self.running, self.observe)
        except Exception:  # never lose the pool thread
            log.exception("job %s: unexpected failure", job_id)

    def cancel(self, job_id: str) -> None:
        self.running.cancel(job_id)

    def stop(self) -> None:
        """Take no new job; jobs not started stay queued in the store and are taken up at the next start."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

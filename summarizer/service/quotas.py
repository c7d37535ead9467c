"""Each key's limits, checked before work is accepted: requests per minute (a sliding window kept in the
store, so every API replica counts the same), unfinished jobs at once, and model tokens per UTC day. Past a
limit: ``Problem(429)`` with ``Retry-After``."""

from __future__ import annotations

import math
import time

from summarizer.service.jobs import ApiKey, ServiceStore
from summarizer.service.problems import Problem

WINDOW = 60.0
#: How long a client over its job limit is told to wait: about one short job.
JOBS_RETRY_AFTER = 5


def _too_many(detail: str, retry_after: float) -> Problem:
    seconds = max(1, math.ceil(retry_after))
    return Problem(429, "quota-exceeded", detail, {"Retry-After": str(seconds)}, retry_after=seconds)


def check_rate(store: ServiceStore, key: ApiKey, now: float | None = None) -> None:
    """Count this request; refuse it past the key's requests per minute."""
    now = time.time() if now is None else now
    count, oldest = store.hit(key.id, now, WINDOW)
    if count > key.rpm:
        raise _too_many(f"This API key made more than {key.rpm} requests in the last minute.", oldest + WINDOW - now)


def day_start(now: float) -> float:
    """Midnight UTC of ``now``'s day."""
    return now - now % 86400


def check_jobs(store: ServiceStore, key: ApiKey, now: float | None = None, adding: int = 1) -> None:
    """Refuse new work past the key's unfinished jobs or its tokens for today."""
    now = time.time() if now is None else now
    active = store.active_jobs(key.id)
    if active + adding > key.concurrent_jobs:
        raise _too_many(f"This API key has {active} unfinished job(s), and its limit is {key.concurrent_jobs}; "
                        "wait for one to finish.", JOBS_RETRY_AFTER)
    check_tokens(store, key, now)


def check_tokens(store: ServiceStore, key: ApiKey, now: float | None = None) -> None:
    """Refuse model work once the key used its tokens for today (UTC)."""
    now = time.time() if now is None else now
    used = store.tokens_since(key.id, day_start(now))
    if used >= key.tokens_per_day:
        raise _too_many(f"This API key used its {key.tokens_per_day:,} model tokens for today (UTC).",
                        day_start(now) + 86400 - now)

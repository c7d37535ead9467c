"""The one job model behind every route: a ``Job`` (what was asked, by whom, where it stands, what it
produced), its ``JobStatus``, the ``JobEvent``s a client follows, and the ``ServiceStore`` interface both
stores (SQLite, Redis) keep them in, with the API keys and the stored documents."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Protocol


class JobStatus(StrEnum):
    """Where a job stands. ``done``: every section to summarize and the overall summary were made;
    ``partial``: something was made, something failed; ``failed``: nothing usable; ``cancelled``: stopped
    by its client."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobKind(StrEnum):
    SUMMARY = "summary"
    BATCH = "batch"


def new_id(prefix: str) -> str:
    """An id no client can guess (another client's id must not be found by trying)."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def fingerprint(*parts: object) -> str:
    """A stable hash of a request's parts (a client's identical requests in flight are one job)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass
class Job:
    """One request's work. ``options`` are the run's options as the client gave them (validated);
    ``result`` is the run's JSON (``output.summary_json``) once it finished; a batch keeps its children's
    ids in ``options["children"]``."""

    id: str
    client: str
    kind: JobKind = JobKind.SUMMARY
    status: JobStatus = JobStatus.QUEUED
    document_id: str = ""
    title: str = ""
    options: dict = field(default_factory=dict)
    fingerprint: str = ""
    idempotency_key: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str = ""
    result: dict | None = None
    markdown: str = ""
    tokens: int = 0
    cost_usd: float | None = None
    cancel_requested: bool = False
    attempts: int = 0
    parent: str = ""
    custom_id: str = ""

    def to_row(self) -> dict:
        row = asdict(self)
        row["kind"], row["status"] = str(self.kind), str(self.status)
        return row

    @classmethod
    def from_row(cls, row: dict) -> Job:
        values = dict(row)
        values["kind"], values["status"] = JobKind(values["kind"]), JobStatus(values["status"])
        values["cancel_requested"] = bool(values.get("cancel_requested"))
        return cls(**values)


@dataclass
class JobEvent:
    """One step a client can follow: ``seq`` counts from 1 per job (the SSE id); ``type`` is
    "section" (started or finished), "overview", "status" or "end"."""

    seq: int
    type: str
    data: dict


@dataclass
class ApiKey:
    """A client's key as stored: its hash only (the key itself is shown once, at creation), and its limits."""

    id: str
    name: str
    hash: str
    created: float = field(default_factory=time.time)
    expires: float | None = None
    revoked: float | None = None
    rpm: int = 120
    concurrent_jobs: int = 8
    tokens_per_day: int = 2_000_000

    def public(self) -> dict:
        """What ``keys list`` shows: never the hash."""
        return {k: v for k, v in asdict(self).items() if k != "hash"}


#: An event to add with a job's change, in the same write: its type and data.
Event = tuple[str, dict]


class ServiceStore(Protocol):
    """Where the service keeps what must outlive a process: jobs, their events, documents, keys, and the
    request counts of the per-minute quota. Every method is safe to call from several threads."""

    # keys
    def add_key(self, key: ApiKey) -> None: ...
    def key_by_hash(self, digest: str) -> ApiKey | None: ...
    def list_keys(self) -> list[ApiKey]: ...
    def revoke_key(self, key_id: str) -> bool: ...
    def has_keys(self) -> bool: ...

    # documents (parsed once, at submission; a job and Ask read them back)
    def save_document(self, client: str, document_id: str, data: dict) -> None: ...
    def load_document(self, client: str, document_id: str) -> dict | None: ...

    # jobs
    def create_job(self, job: Job, event: Event | None = None) -> Job:
        """Store ``job`` and its first ``event`` in one write, unless the client already has a job with its
        idempotency key or, in flight, its fingerprint: then that one is returned (and nothing is stored)."""
        ...

    def get_job(self, job_id: str, client: str | None = None) -> Job | None: ...
    def update_job(self, job_id: str, event: Event | None = None, **changes) -> None:
        """Change the job's fields and add ``event`` to its events in one write: a job is never seen finished
        without its "end" event, nor its "end" event without its result (a crash between two writes could)."""
        ...
    def request_cancel(self, job_id: str) -> None: ...

    def claim(self, job_id: str, owner: str, seconds: float, now: float | None = None) -> bool:
        """Take (or renew) the job's lease for ``owner`` for ``seconds``: True when it is ``owner``'s now, False
        while another owner's lease runs. One run of a job at a time, across threads, processes and machines."""
        ...

    def release(self, job_id: str, owner: str) -> None: ...
    def unfinished_jobs(self) -> list[Job]: ...
    def children(self, batch_id: str) -> list[Job]: ...
    def active_jobs(self, client: str) -> int: ...
    def tokens_since(self, client: str, since: float) -> int:
        """Model tokens the client's jobs created since ``since`` used, and its other requests (``add_usage``)."""
        ...

    def add_usage(self, client: str, what: str, tokens: int, cost_usd: float | None, now: float | None = None) -> None:
        """Count model tokens a request that is no job used (``what``: "ask") toward the client's tokens."""
        ...

    def count_by_status(self) -> dict[str, int]: ...

    # events
    def add_event(self, job_id: str, type_: str, data: dict) -> int: ...
    def events_after(self, job_id: str, after: int) -> list[JobEvent]: ...

    # the per-minute quota
    def hit(self, client: str, now: float, window: float) -> tuple[int, float]:
        """Count one request of ``client``; return how many it made in the last ``window`` seconds and
        when the oldest of them was made."""
        ...

    def ping(self) -> None:
        """Raise when the store cannot be written."""
        ...

"""Running one job: the stored document through ``run.engine.run`` with the job's settings, each section's
start and finish written to the job's events as it happens, the result written when the run ends. The same
function runs in the server's threads and in ``summarizer worker`` processes.

A job that was running when its process died runs again: the sections it had finished are read back from
its events and not asked again (``only``/``previous`` of the engine; the answer cache covers a section
answered but not yet recorded). A cancel is seen at once where the job runs in this process
(``RunningJobs.cancel`` stops its client before DELETE answers) and within a tick elsewhere."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from summarizer.config.settings import Settings
from summarizer.model.backend import Backend
from summarizer.model.document import Document
from summarizer.model.results import DocumentSummary, SectionResult, Status
from summarizer.output.render import render_markdown
from summarizer.output.summary_json import summary_json
from summarizer.run.engine import make_backend, plan, run
from summarizer.run.runner import cancel_backend, stopped_summary
from summarizer.service.intake import choose_sections, run_settings
from summarizer.service.jobs import Job, JobStatus, ServiceStore
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)

CANCELLED = "cancelled by its client"
#: Which process runs a job (host:pid), in its "running" event: an operator can tell where it ran.
WORKER = f"{socket.gethostname()}:{os.getpid()}"


class LeaseLost(Exception):
    """Another runner holds the job now (this one was taken for dead): this run stops and writes nothing."""
#: Seconds between looks at the store for a cancel, while a job runs where DELETE cannot reach it directly.
CANCEL_POLL = 0.5


class RunningJobs:
    """The jobs running in this process and their backends, so a cancel stops a job's client at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: dict[str, Backend] = {}
        self._cancelled: set[str] = set()

    def add(self, job_id: str, backend: Backend) -> None:
        with self._lock:
            self._backends[job_id] = backend

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._backends.pop(job_id, None)
            self._cancelled.discard(job_id)

    def cancel(self, job_id: str) -> bool:
        """Stop the job's client now (no new request leaves); True when it runs here."""
        with self._lock:
            backend = self._backends.get(job_id)
            if backend is None:  # not running here (a job about to start re-reads its cancel flag after add)
                return False
            self._cancelled.add(job_id)
        cancel_backend(backend, CANCELLED)
        return True

    def cancelled(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._cancelled

    def __contains__(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._backends


def status_of(summary: DocumentSummary, cancelled: bool) -> JobStatus:
    """The job's honest status: done only when every section to summarize and the overview were made."""
    if cancelled:
        return JobStatus.CANCELLED
    made = [r for r in summary.sections if r.ok]
    if not made:
        return JobStatus.FAILED
    if summary.failed or summary.overview_error or summary.stopped:
        return JobStatus.PARTIAL
    return JobStatus.DONE


def section_event(result: SectionResult) -> dict:
    data = {"index": result.index, "title": result.title, "kind": result.kind, "status": str(result.status)}
    if result.finished:
        data["result"] = result.to_json()
    return data


def finished_sections(store: ServiceStore, job_id: str) -> dict[int, SectionResult]:
    """The sections an earlier attempt of the job finished well, from its events."""
    done: dict[int, SectionResult] = {}
    for event in store.events_after(job_id, 0):
        if event.type == "section" and "result" in event.data:
            result = SectionResult.from_json(event.data["result"], event.data["index"])
            if result.ok:
                done[result.index] = result
    return done


def execute(job_id: str, store: ServiceStore, base: Settings, service: ServiceSettings, running: RunningJobs,
            observe: Callable[[Job, DocumentSummary, Settings], None] | None = None) -> bool:
    """Run job ``job_id`` to its end (or its cancel), writing its events and result; False when another runner
    holds the job's lease (it runs it; ask again later, in case that runner dies). Never raises: a failure is the
    job's status and one sentence."""
    owner = f"{WORKER}:{uuid.uuid4().hex[:8]}"  # this run: a second run of the job, even here, is another owner
    if not store.claim(job_id, owner, service.lease_seconds):
        job = store.get_job(job_id)
        if job is None or job.status.finished:
            return True
        log.info("job %s is being run elsewhere; not started again", job_id)
        return False
    try:
        _execute(job_id, owner, store, base, service, running, observe)
    finally:
        store.release(job_id, owner)
    return True


def _execute(job_id: str, owner: str, store: ServiceStore, base: Settings, service: ServiceSettings,
             running: RunningJobs, observe) -> None:
    job = store.get_job(job_id)
    if job is None or job.status.finished:
        return
    if job.cancel_requested:
        _finish(store, job, JobStatus.CANCELLED, error=CANCELLED)
        return
    try:
        data = store.load_document(job.client, job.document_id)
        if data is None:
            raise LookupError("its document is no longer stored")
        document = Document.from_json(data)
        choose_sections(document, job.options)
        settings = run_settings(base, service, job.options)
        backend = make_backend(settings)
    except Exception as exc:  # a Problem, a ConfigError, a store error: the job fails with its sentence
        log.warning("job %s cannot start: %s", job_id, exc)
        _finish(store, job, JobStatus.FAILED, error=f"The job could not start: {exc}")
        return
    resumed = job.attempts > 0
    store.update_job(job_id, status=JobStatus.RUNNING, started=job.started or time.time(), attempts=job.attempts + 1,
                     event=("status", {"status": "running", "resumed": resumed, "worker": WORKER}))
    running.add(job_id, backend)
    fresh = store.get_job(job_id)  # a cancel stored while the job started: before its first request
    if fresh is not None and fresh.cancel_requested:
        running.cancel(job_id)
    lease = Lease(store, job_id, owner, service.lease_seconds)
    try:
        summary, cancelled = _run(job, document, settings, backend, store, running, resumed, lease)
    except LeaseLost:
        log.warning("job %s: another runner took it over (this one was taken for dead); this run stops", job_id)
        return
    except Exception as exc:  # a bug must not leave the job running for ever
        log.exception("job %s failed unexpectedly", job_id)
        _finish(store, job, JobStatus.FAILED, error=f"The job failed unexpectedly ({exc.__class__.__name__}).")
        return
    finally:
        running.remove(job_id)
    status = status_of(summary, cancelled)
    markdown = render_markdown(summary)
    result = summary_json(document, summary, markdown)
    usage = summary.usage
    _finish(store, job, status, result=result, markdown=markdown, tokens=usage.tokens_in + usage.tokens_out,
            cost_usd=usage.cost_usd, error=CANCELLED if cancelled else summary.overview_error)
    if observe is not None:
        try:
            observe(job, summary, settings)
        except Exception:
            log.exception("metrics failed")


class Lease:
    """Keeps the job's lease while it runs: renewed a third of the way through its term."""

    def __init__(self, store: ServiceStore, job_id: str, owner: str, seconds: float) -> None:
        self.store, self.job_id, self.owner, self.seconds = store, job_id, owner, seconds
        self.renewed = time.monotonic()

    def keep(self) -> None:
        """Renew when due; ``LeaseLost`` when another runner holds the job now."""
        if time.monotonic() - self.renewed < self.seconds / 3:
            return
        if not self.store.claim(self.job_id, self.owner, self.seconds):
            raise LeaseLost(self.job_id)
        self.renewed = time.monotonic()


def _run(job: Job, document: Document, settings: Settings, backend: Backend, store: ServiceStore,
         running: RunningJobs, resumed: bool, lease: Lease) -> tuple[DocumentSummary, bool]:
    results = plan(document)
    only, previous = None, None
    if resumed:
        done = finished_sections(store, job.id)
        if done:
            for index, result in done.items():
                if index < len(results):
                    results[index] = result
            only = {r.index for r in results if r.status == Status.QUEUED}
            previous = DocumentSummary(document, backend.label, "", list(results))
            log.info("job %s resumes: %d section(s) already done, %d to do", job.id, len(done), len(only))
    said: dict[int, str] = {}
    last_look = time.monotonic()
    events = run(document, settings, backend=backend, only=only, previous=previous)
    try:
        for event in events:
            if event.kind == "section" and event.result is not None:
                r = event.result
                results[r.index] = r
                state = "finished" if r.finished else str(r.status)
                if state != said.get(r.index) and (r.finished or r.status == Status.RUNNING):
                    said[r.index] = state
                    if not (only is not None and r.index not in only and r.finished):  # not re-told on resume
                        store.add_event(job.id, "section", section_event(r))
            elif event.kind == "overview" and event.summary is not None:
                store.add_event(job.id, "overview", {"summary": event.summary.overview,
                                                     "error": event.summary.overview_error})
            elif event.kind == "done" and event.summary is not None:
                if not running.cancelled(job.id):
                    return event.summary, False
                break  # cancelled: what the sections did after their client stopped is not an answer
            if time.monotonic() - last_look >= CANCEL_POLL:
                last_look = time.monotonic()
                try:
                    lease.keep()
                except LeaseLost:
                    running.cancel(job.id)  # stop spending: the other runner answers the rest
                    raise
                fresh = store.get_job(job.id)
                if fresh is not None and fresh.cancel_requested:
                    running.cancel(job.id)
                    break
    finally:
        events.close()  # stops the engine: its client sends nothing new
    return stopped_summary(document, backend.label, results, CANCELLED, notices=list(backend.notices)), True


def _finish(store: ServiceStore, job: Job, status: JobStatus, **fields) -> None:
    store.update_job(job.id, status=status, finished=time.time(),
                     event=("end", {"status": str(status), "error": fields.get("error", "")}), **fields)
    log.info("job %s %s", job.id, status)

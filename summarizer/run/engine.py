"""Run a backend over a document: every section concurrently in a thread pool, then the overview.

``run`` is a generator that yields an ``Event`` each time a section changes state, and a "tick"
event a few times a second while it waits; it runs on the caller's thread, so a UI can draw every
update there (Streamlit drops ``st.*`` calls made from worker threads) and be interrupted there.
One failed section never stops the others; an endpoint that cannot serve the run (unreachable,
key rejected) stops them all at once with one reason.

Stopping: when the consumer stops iterating — a Stop button, a rerun, a closed tab (Streamlit
raises inside the consumer's loop and the generator is closed), or ``Settings.run_timeout`` — the
generator's cleanup cancels the client: no new request starts, the requests in flight are closed,
and sections already finished stay finished (and cached, as each answer is stored when it arrives).

Figures: with ``Settings.describe_figures``, a backend that reads images (``describes_figures``) and the PDF's bytes
(``pdf``), each located figure's image is cut from its page and described on the same pool as the sections, at the
same time and within the same limits (``DocumentRun.describe_figure``); a figure it could not describe keeps its
caption, and no section waits on or fails for a figure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from summarizer.model.backend import Backend
from summarizer.model.document import Document
from summarizer.model.errors import EndpointUnavailable
from summarizer.model.results import NOT_SENT, DocumentSummary, SectionResult, Status
from summarizer.run.runner import DocumentRun, Event, RunTimeout, cancel_backend
from summarizer.text.tokens import save_counts

log = logging.getLogger(__name__)

def make_backend(settings, **kwargs) -> Backend:
    """The backend ``settings`` choose (validated first)."""
    settings.validate()
    if settings.backend == "llm":
        from summarizer.llm.backend import LLMBackend

        return LLMBackend(settings, **kwargs)
    from summarizer.extractive.backend import ExtractiveBackend

    return ExtractiveBackend(settings)


def plan(document: Document) -> list[SectionResult]:
    """One result slot per section: queued when it will be summarized, skipped otherwise."""
    out = []
    for i, s in enumerate(document.sections):
        if s.summarizable:
            status, note = Status.QUEUED, ""
        elif not s.included:
            status, note = Status.SKIPPED, "excluded"
        elif not s.text.strip():
            status, note = Status.SKIPPED, "empty"
        else:
            status, note = Status.SKIPPED, f"{s.kind}: not summarized by default"
        out.append(SectionResult(i, s.title, s.kind, s.level, status, note=note))
    return out


@dataclass
class FailureGroup:
    """Failed sections that share one cause: one message for them all, not one per section."""

    cause: str
    titles: list[str]

    def describe(self, todo: int) -> str:
        """One line: "All 32 sections failed: <cause>", "3 sections failed: <cause> (a, b, c)"."""
        n = len(self.titles)
        if n == todo and n > 1:
            return f"All {n} sections failed: {self.cause}"
        if n == 1:
            return f"{self.titles[0]} failed: {self.cause}"
        names = ", ".join(self.titles[:5]) + ("…" if n > 5 else "")
        return f"{n} sections failed: {self.cause} ({names})"


def cause_of(error: str) -> str:
    """The reason behind a section's error: "not sent: X" failed because of X."""
    prefix = f"{NOT_SENT}: "
    return error[len(prefix):] if error.startswith(prefix) else (error or "no reason given")


def failure_groups(results: list[SectionResult]) -> list[FailureGroup]:
    """The sections that failed (not those a stopped run never ran), grouped by cause, largest first."""
    groups: dict[str, FailureGroup] = {}
    for r in results:
        if r.status == "failed" and not r.not_run:
            cause = cause_of(r.error)
            groups.setdefault(cause, FailureGroup(cause, [])).titles.append(r.title)
    return sorted(groups.values(), key=lambda g: -len(g.titles))


def sections_to_run(results: list[SectionResult]) -> int:
    """How many sections the run was to summarize (all but the skipped)."""
    return sum(1 for r in results if r.status != "skipped")


def run_status(summary: DocumentSummary, backend_label: str) -> str:
    """The run's one-line status once it ended: how many sections failed and for how many reasons
    (each reason is said once, by ``failure_groups``)."""
    groups = failure_groups(summary.sections)
    failed = sum(len(g.titles) for g in groups)
    todo = sections_to_run(summary.sections)
    if not failed:
        return f"Summarized with {backend_label}"
    reasons = "one reason" if len(groups) == 1 else f"{len(groups)} reasons"
    if failed == todo:
        return f"Nothing summarized with {backend_label}: all {todo} sections failed, for {reasons} (below)"
    return f"Summarized with {backend_label} — {failed} of {todo} sections failed, for {reasons} (below)"


def run(document: Document, settings, backend: Backend | None = None, only: set[int] | None = None,
        previous: DocumentSummary | None = None, section_prompts: dict[int, str] | None = None,
        feedback: dict[int, str] | None = None, pdf: bytes | None = None) -> Iterator[Event]:
    """Summarize ``document``; with ``only`` and ``previous``, redo just those sections.

    ``section_prompts`` maps a section index to the prompt the user chose for it (LLM backend);
    ``feedback`` names a problem found in a previous answer, for a re-ask; ``pdf`` is the document's PDF, from
    which figures' images are cut when ``settings.describe_figures`` is on.
    """
    if backend is None:
        backend = make_backend(settings, section_prompts=section_prompts) if settings.backend == "llm" \
            else make_backend(settings)
    results = plan(document)
    if previous is not None and only is not None:
        for i, old in enumerate(previous.sections):
            if i < len(results) and i not in only:
                results[i] = old
    todo = [r for r in results if r.status == "queued" and (only is None or r.index in only)]
    if feedback:
        backend.feedback = dict(feedback)
    state = DocumentRun(document, settings, backend, results)
    pool = ThreadPoolExecutor(max_workers=max(1, int(settings.workers)), thread_name_prefix="section")
    finished = False
    try:
        prepared = pool.submit(backend.prepare, document)
        yield from state.wait_for(prepared)
        try:
            prepared.result()
        except EndpointUnavailable as exc:
            state.fail_run(str(exc))
        for r in results:
            yield Event("section", replace(r))
        figures = document.figures_to_describe() if pdf is not None and settings.describe_figures \
            and backend.describes_figures and not state.fatal else []
        if todo or figures:
            # a figure after each request's sections: described while the sections are, not after them all
            jobs = _interleaved([(state.work_request, (unit,)) for unit in _requests(backend, document, todo)],
                                [(state.describe_figure, (figure, pdf)) for figure in figures])
            pending = [pool.submit(work, *args) for work, args in jobs]
            everything: Future = Future()
            _when_all(pending, everything)
            yield from state.wait_for(everything)
            yield from state.drain()
        overview, fields, error = "", {}, ""
        if state.fatal:
            error = state.fatal[0]
        elif any(r.ok for r in results):
            yield from state.overview(pool)
            overview, fields, error = state.overview_parts
        else:
            error = "No section could be summarized, so there is no overall summary."
        summary = state.summary(overview, fields, error)
        finished = True
        yield Event("overview", summary=summary)
        yield Event("done", summary=summary)
    except RunTimeout as exc:
        cancel_backend(backend, str(exc))
        finished = True
        summary = state.stopped(str(exc))
        yield Event("overview", summary=summary)
        yield Event("done", summary=summary)
    finally:
        if not finished:  # the consumer stopped listening: Stop, a rerun, a closed tab, an error
            cancel_backend(backend, "stopped")
        pool.shutdown(wait=False, cancel_futures=True)
        save_counts()  # token counts learned in this run make a cached re-run skip the tokenizer


def _requests(backend: Backend, document: Document, todo: list[SectionResult]) -> list[list[SectionResult]]:
    """The sections as requests: the backend's plan (it may group small sections), else one each."""
    if len(todo) < 2:
        return [[r] for r in todo]
    by_index = {r.index: r for r in todo}
    try:
        units = backend.plan_requests(document, [r.index for r in todo])
    except Exception:  # a broken prompt set, say: each section is asked alone and fails with its own message
        log.exception("grouping small sections failed: each is asked alone")
        return [[r] for r in todo]
    return [[by_index[i] for i in unit] for unit in units]


def _interleaved(first: list, second: list) -> list:
    """``first[0], second[0], first[1], second[1], …``, then what is left of the longer list."""
    out = []
    for n in range(max(len(first), len(second))):
        out += first[n:n + 1] + second[n:n + 1]
    return out


def _when_all(futures: list[Future], done: Future) -> None:
    left = [len(futures)]
    lock = threading.Lock()

    def one(_f) -> None:
        with lock:  # callbacks run on the worker threads that finish the futures
            left[0] -= 1
            last = left[0] == 0
        if last:
            done.set_result(None)

    if not futures:
        done.set_result(None)
    for f in futures:
        f.add_done_callback(one)


def recheck(document: Document, settings, result: DocumentSummary, backend: Backend | None = None) -> DocumentSummary:
    """Re-ask, once, each section whose summary has untraceable numbers or quotations, naming them."""
    problems = result.needs_recheck()
    if not problems:
        return result
    return summarize_document(document, settings, backend=backend, only=set(problems), previous=result,
                              feedback=problems)


def summarize_document(document: Document, settings, on_event: Callable[[Event], None] | None = None,
                       **kwargs) -> DocumentSummary:
    """Summarize and return the result; ``on_event`` sees every state change."""
    last = None
    for event in run(document, settings, **kwargs):
        if on_event and event.kind != "tick":
            on_event(event)
        last = event
    assert last is not None and last.summary is not None
    return last.summary

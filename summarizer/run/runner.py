"""One run of a document through a backend, as a small object instead of one long generator: the sections'
work on a thread pool (``work``, ``work_request``), the events it streams (``wait_for``, ``drain``), the
overall summary (``overview``) and what the run ends as (``summary``, ``stopped``). ``engine.run`` drives it."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from summarizer.model.backend import Backend
from summarizer.model.document import Document, Float
from summarizer.model.errors import Cancelled, EndpointUnavailable, SummarizerError
from summarizer.model.results import NOT_RUN, NOT_SENT, DocumentSummary, SectionResult, Status, Usage
from summarizer.output.render import render_fields, render_overview
from summarizer.verify.section_checks import check_section

log = logging.getLogger(__name__)

TICK = 0.2  # seconds between "tick" events while nothing changes
#: A figure's image for its description: its longest side at most this many pixels (a model asked at detail "low"
#: sees 512 x 512 at most; a local vision model resizes to its own size).
FIGURE_IMAGE_SIDE = 1024


@dataclass
class Event:
    """``kind`` is "section" (one section changed state), "tick" (nothing changed; a chance to be
    interrupted), "overview" or "done"."""

    kind: str
    result: SectionResult | None = None
    summary: DocumentSummary | None = None


class RunTimeout(Exception):
    """The run passed ``Settings.run_timeout``."""


def cancel_backend(backend: Backend, reason: str) -> None:
    """Stop a backend's spending: its client sends nothing new and closes what is in flight."""
    try:
        backend.cancel(reason)
    except Exception:  # stopping must never fail
        log.exception("cancel failed")


def written(result: SectionResult) -> SectionResult:
    """``result`` with its summary written from its fields where a backend answered it and output/ has not
    written it yet (a backend hands over fields; only output/ writes Markdown)."""
    if result.ok and not result.summary and result.fields:
        result.summary = render_fields(result.fields)
    return result


def stopped_summary(document: Document, backend_label: str, results: list[SectionResult], reason: str,
                    usage=None, notices: list[str] | None = None) -> DocumentSummary:
    """What a stopped run leaves: finished sections as they are, the others marked not finished."""
    sections = []
    for r in results:
        r = written(replace(r))  # answered in a group but not yet written when the run stopped
        if not r.finished:
            r.status, r.error = Status.FAILED, f"{NOT_RUN}: {reason}"
        sections.append(r)
    done = sum(1 for r in sections if r.ok)
    todo = sum(1 for r in sections if r.status != "skipped")
    error = f"Stopped ({reason}): {done} of {todo} section(s) finished; the overall summary was not made."
    summary = DocumentSummary(document, backend_label, "", sections, {}, error, usage if usage is not None else Usage(),
                              list(document.notices) + list(notices or []))
    summary.stopped = reason
    return summary


class DocumentRun:
    """The state of one run: its results, the updates its workers post, and the reason it ended early."""

    def __init__(self, document: Document, settings, backend: Backend, results: list[SectionResult]) -> None:
        self.document, self.settings, self.backend, self.results = document, settings, backend, results
        self.updates: queue.Queue = queue.Queue()
        self.fatal: list[str] = []  # the reason an endpoint cannot serve this run, once known
        self._fatal_lock = threading.Lock()
        limit = float(getattr(settings, "run_timeout", 0) or 0)
        self.deadline = time.monotonic() + limit if limit else None

    # ---- the workers' side ---------------------------------------------------------------------
    def fail_run(self, reason: str) -> bool:
        """Record the run-ending reason; True for the first caller only."""
        with self._fatal_lock:
            if self.fatal:
                return False
            self.fatal.append(reason)
        cancel_backend(self.backend, "the endpoint cannot serve this run")
        return True

    def report(self, result: SectionResult) -> None:
        self.updates.put(("update", replace(result)))

    def work(self, result: SectionResult, answered: bool = False) -> None:
        """Summarize one section (``answered``: its group's request already did) and check it."""
        fatal = self.fatal
        if fatal and not answered:
            result.status, result.error = Status.FAILED, f"{NOT_SENT}: {fatal[0]}"
            self.updates.put(("final", result))
            return
        if not answered:
            result.status = Status.RUNNING
            self.report(result)
        try:
            if not answered:
                self.backend.summarize_section(self.document, result, self.report)
            written(result)
            if result.ok:
                check_section(result, self.document, self.backend.cache)
        except EndpointUnavailable as exc:
            first = self.fail_run(str(exc))
            result.status, result.error = Status.FAILED, str(exc) if first else f"{NOT_SENT}: {fatal[0]}"
        except Cancelled as exc:
            result.status, result.error = Status.FAILED, f"{NOT_SENT}: {fatal[0]}" if fatal else str(exc)
        except SummarizerError as exc:
            result.status, result.error = Status.FAILED, str(exc)
        except Exception as exc:  # a bug must not take the other sections down
            log.exception("section %d failed unexpectedly", result.index)
            result.status, result.error = Status.FAILED, f"Unexpected error ({exc.__class__.__name__}): {str(exc)[:200]}"
        result.live = ""
        self.updates.put(("final", result))

    def work_request(self, unit: list[SectionResult]) -> None:
        """One request's sections: a group is asked together first; what its answer did not cover
        is asked alone."""
        if len(unit) > 1 and not self.fatal:
            for result in unit:
                result.status = Status.RUNNING
                self.report(result)
            try:
                self.backend.summarize_group(self.document, unit, self.report)
            except EndpointUnavailable as exc:
                self.fail_run(str(exc))
            except SummarizerError as exc:
                log.info("sections %s asked together failed (%s): each is asked alone", [r.index for r in unit], exc)
            except Exception:  # a bug must not lose the sections: they are asked alone
                log.exception("sections %s asked together failed unexpectedly", [r.index for r in unit])
        missed = [r for r in unit if not r.ok]
        for result in unit:  # the answered ones are final now, not after the others' re-asks
            if result.ok:
                self.work(result, answered=True)
        if len(missed) > 1:  # asked alone, at once (the client still holds the run to its concurrency)
            with ThreadPoolExecutor(max_workers=len(missed), thread_name_prefix="section-alone") as alone:
                list(alone.map(self.work, missed))
        elif missed:
            self.work(missed[0])

    def describe_figure(self, figure: Float, pdf: bytes) -> None:
        """One figure's description (``Settings.describe_figures``): its image cut from the PDF and handed to the
        backend. Whatever goes wrong leaves the figure with its caption; an endpoint that cannot serve the run
        ends it as a section's request would."""
        if self.fatal:
            return
        try:
            from summarizer.pdf.page_view import render_region

            x0, y0, x1, y1 = figure.bbox
            zoom = min(2.0, FIGURE_IMAGE_SIDE / max(1.0, x1 - x0, y1 - y0))
            self.backend.describe_figure(self.document, figure, render_region(pdf, figure.page, figure.bbox, zoom))
        except EndpointUnavailable as exc:
            self.fail_run(str(exc))
        except SummarizerError as exc:  # a cut image that failed, a stopped run: the caption stays
            log.info("%s not described: %s", figure.label, exc)
        except Exception:  # a bug must not take the sections down
            log.exception("%s not described", figure.label)

    # ---- the consumer's side -------------------------------------------------------------------
    def wait_for(self, future: Future) -> Iterator[Event]:
        """Yield section updates and ticks until ``future`` is done (or the run's time is up)."""
        future.add_done_callback(lambda _f: self.updates.put(("wake", None)))  # no tick's wait after the end
        while True:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise RunTimeout(f"the run passed its time limit of {self.settings.run_timeout:.0f} s")
            try:
                kind, snapshot = self.updates.get(timeout=TICK)
            except queue.Empty:
                yield Event("tick")
                continue
            if kind == "wake":
                if future.done():
                    return
                continue
            if kind == "final":
                snapshot = replace(snapshot)
                self.results[snapshot.index] = snapshot
            yield Event("section", snapshot)

    def drain(self) -> Iterator[Event]:
        """The last updates, posted after the last worker finished."""
        while not self.updates.empty():
            kind, snapshot = self.updates.get_nowait()
            if kind == "wake":
                continue
            if kind == "final":
                self.results[snapshot.index] = replace(snapshot)
            yield Event("section", replace(snapshot))

    def overview(self, pool: ThreadPoolExecutor) -> Iterator[Event]:
        """Ask for the overall summary (on ``pool``, with ticks meanwhile); sets ``self.overview_parts``."""
        box: dict = {}

        def synthesize() -> None:
            try:
                box["value"] = self.backend.synthesize(self.document, self.results)
            except SummarizerError as exc:
                box["error"] = str(exc)

        yield from self.wait_for(pool.submit(synthesize))
        text, fields = box.get("value", ("", {}))
        if fields and not text:  # the model's overview came in its fields: output writes them
            text = render_overview(fields)
        self.overview_parts = (text, fields, box.get("error", ""))

    def summary(self, overview: str, fields: dict, error: str) -> DocumentSummary:
        """What the run ends as: its results, the overview and its checks, usage, notices."""
        self.results[:] = [written(r) for r in self.results]
        summary = DocumentSummary(self.document, self.backend.label, overview, self.results, fields, error,
                                  self.usage(), list(self.document.notices) + self.notices())
        if self.fatal:
            summary.stopped = self.fatal[0]
        if overview:
            from summarizer.verify.faithfulness import check_summary

            summary.overview_unverified = check_summary(overview, self.document.text).numbers
        return summary

    def stopped(self, reason: str) -> DocumentSummary:
        return stopped_summary(self.document, self.backend.label, self.results, reason, self.usage(), self.notices())

    def notices(self) -> list[str]:
        """The backend's notices and its answer cache's (a rebuilt store is said once)."""
        notices = list(self.backend.notices)
        if self.backend.cache is not None:
            notices += [n for n in self.backend.cache.take_notices() if n not in notices]
        return notices

    def usage(self) -> Usage:
        try:
            return self.backend.usage()
        except Exception:
            return Usage()

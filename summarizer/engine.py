"""Run a backend over a document: every section concurrently in a thread pool, then the overview.

``run`` is a generator that yields an ``Event`` each time a section changes state; it runs on the
caller's thread, so a UI can draw every update there (Streamlit drops ``st.*`` calls made from
worker threads). One failed section never stops the others.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from .document import Document
from .errors import SummarizerError
from .faithfulness import check_summary
from .results import DocumentSummary, SectionResult


def verify(result: SectionResult, source: str) -> None:
    """Record what in the section's summary cannot be traced to the section's text."""
    check = check_summary(result.summary, source)
    result.unverified_numbers, result.unverified_quotes, result.unverified_names = check.numbers, check.quotes, check.names


def ground(result: SectionResult, document: Document) -> None:
    """Give each claim of the section's summary its supporting sentence and page(s)."""
    from .grounding import ground_summary

    result.bullets = ground_summary(result.summary, document.sections[result.index], document.language)


@dataclass
class Event:
    """``kind`` is "section" (one section changed state), "overview" or "done"."""

    kind: str
    result: SectionResult | None = None
    summary: DocumentSummary | None = None


def make_backend(settings, **kwargs):
    settings.validate()
    if settings.backend == "llm":
        from .llm_backend import LLMBackend

        return LLMBackend(settings, **kwargs)
    from .extractive_backend import ExtractiveBackend

    return ExtractiveBackend(settings)


def plan(document: Document) -> list[SectionResult]:
    """One result slot per section: queued when it will be summarized, skipped otherwise."""
    out = []
    for i, s in enumerate(document.sections):
        if s.summarizable:
            status, note = "queued", ""
        elif not s.included:
            status, note = "skipped", "excluded"
        elif not s.text.strip():
            status, note = "skipped", "empty"
        else:
            status, note = "skipped", f"{s.kind}: not summarized by default"
        out.append(SectionResult(i, s.title, s.kind, s.level, status, note=note))
    return out


def run(document: Document, settings, backend=None, only: set[int] | None = None,
        previous: DocumentSummary | None = None, section_prompts: dict[int, str] | None = None,
        feedback: dict[int, str] | None = None) -> Iterator[Event]:
    """Summarize ``document``; with ``only`` and ``previous``, redo just those sections.

    ``section_prompts`` maps a section index to the prompt the user chose for it (LLM backend);
    ``feedback`` names a problem found in a previous answer, for a re-ask.
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
    if feedback and hasattr(backend, "feedback"):
        backend.feedback = dict(feedback)
    backend.prepare(document)
    updates: queue.Queue = queue.Queue()

    def report(result: SectionResult) -> None:
        updates.put(("update", replace(result)))

    def work(result: SectionResult) -> None:
        result.status = "running"
        report(result)
        try:
            backend.summarize_section(document, result, report)
            if result.ok:
                section = document.sections[result.index]
                verify(result, f"{document.title}\n{section.title}\n{section.text}")
                ground(result, document)
        except SummarizerError as exc:
            result.status, result.error = "failed", str(exc)
        except Exception as exc:  # a bug must not take the other sections down
            result.status, result.error = "failed", f"Unexpected error ({exc.__class__.__name__}): {str(exc)[:200]}"
        updates.put(("final", result))

    for r in results:
        yield Event("section", replace(r))
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, int(settings.workers)), thread_name_prefix="section") as pool:
            for r in todo:
                pool.submit(work, r)
            pending = len(todo)
            while pending:
                kind, snapshot = updates.get()
                if kind == "final":
                    pending -= 1
                    snapshot = replace(snapshot)
                yield Event("section", snapshot)
    overview, fields, error = "", {}, ""
    try:
        if any(r.ok for r in results):
            overview, fields = backend.synthesize(document, results)
        else:
            error = "No section could be summarized, so there is no overall summary."
    except SummarizerError as exc:
        error = str(exc)
    summary = DocumentSummary(document, backend.label, overview, results, fields, error, backend.usage(),
                              list(document.notices) + list(getattr(backend, "notices", [])))
    if overview:
        summary.overview_unverified = check_summary(overview, document.text).numbers
    yield Event("overview", summary=summary)
    yield Event("done", summary=summary)


def recheck(document: Document, settings, result: DocumentSummary, backend=None) -> DocumentSummary:
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
        if on_event:
            on_event(event)
        last = event
    assert last is not None and last.summary is not None
    return last.summary

"""The JSON of a finished run: what ``summarize --json`` prints and what the HTTP service answers for a job
(one shape, written in one place)."""

from __future__ import annotations

from summarizer.model.document import Document
from summarizer.model.results import DocumentSummary
from summarizer.verify.coverage import coverage
from summarizer.verify.key_results import key_results


def summary_json(document: Document, result: DocumentSummary, markdown: str) -> dict:
    """The run's title, backend, overall summary, Markdown, per-section results (bullets, pages,
    faithfulness notes), usage and cost, coverage, and the tables and figures found (``Float.to_json``)."""
    return {
        "title": document.title,
        "backend": result.backend,
        "summary": result.overview,
        "markdown": markdown,
        "sections": [r.to_json() for r in result.sections],
        "usage": result.usage.as_json(),
        "unverified_numbers": result.unverified_count,
        "overview_error": result.overview_error,
        "stopped": result.stopped,
        "coverage": coverage(result).as_json(),
        "key_results": [k.as_json() for k in key_results(document)] if document.genre == "paper" else [],
        # tables and figures by caption (cells where read, a figure's description where one was asked for)
        "floats": [f.to_json() for f in document.floats],
    }

"""The JSON of a finished run: what ``summarize --json`` prints and what the HTTP service answers for a job
(one shape, written in one place), and ``summary_from_json``, the run back from it (a batch's ``ID.json``)."""

from __future__ import annotations

from summarizer.model.document import Document
from summarizer.model.results import DocumentSummary, SectionResult, Usage
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
        "key_results": [k.as_json() for k in key_results(document, result.sections)] if document.genre == "paper" else [],
        # tables and figures by caption (cells where read, a figure's description where one was asked for)
        "floats": [f.to_json() for f in document.floats],
    }


def summary_from_json(data: dict, document: Document | None = None) -> DocumentSummary:
    """A run back from its JSON (``summary_json``, with the batch's ``document``, ``notices``, ``overview_fields``
    and ``overview_unverified`` where it kept them) over ``document`` (default: the JSON's own ``document``)."""
    if document is None:
        document = Document.from_json(data["document"])
    usage = data.get("usage") or {}
    return DocumentSummary(
        document, str(data.get("backend", "")), str(data.get("summary") or ""),
        [SectionResult.from_json(s) for s in data.get("sections") or []],
        dict(data.get("overview_fields") or {}), str(data.get("overview_error") or ""),
        Usage(**{k: usage[k] for k in Usage.__dataclass_fields__ if k in usage}),
        [str(n) for n in data.get("notices") or []], [str(n) for n in data.get("overview_unverified") or []],
        stopped=str(data.get("stopped") or ""))

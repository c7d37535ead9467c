"""What History keeps, as data: a run's line in the list (``RunInfo``), everything stored for it
(``RunRecord``, ``SectionRecord``), the JSON the store writes for a document and a section result (their one
shape, ``to_json``), the settings a run records (``public_settings``: never the key), and ``HistoryStore``,
the small interface the app, the CLI and the batch use."""

from __future__ import annotations

import json
import time
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlparse

from summarizer.model.document import Document
from summarizer.model.results import DocumentSummary, SectionResult, Usage

# ---------------------------------------------------------------------------------------------
# Data


@dataclass
class RunInfo:
    """One line of the history list."""

    id: str
    owner: str
    title: str
    source: str
    doc_hash: str
    pages: int | None
    backend: str
    model: str
    host: str
    length: str
    language: str
    origin: str  # "app", "batch" or "cli"
    status: str  # "running" (or interrupted), "done", "failed"
    started: float
    finished: float | None
    sections_done: int
    sections_failed: int
    sections_total: int
    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    rating: int | None
    comment: str

    @property
    def label(self) -> str:
        return "extractive" if self.backend == "extractive" else f"{self.model} @ {self.host}"


@dataclass
class SectionRecord:
    """A stored section result with the reviewer's rating (1-5) and comment."""

    result: SectionResult
    rating: int | None = None
    comment: str = ""


@dataclass
class RunRecord:
    """Everything stored for one run."""

    info: RunInfo
    settings: dict
    prompts: dict
    overview: str
    overview_error: str
    overview_unverified: list[str]
    notices: list[str]
    markdown: str
    requests: int
    sections: list[SectionRecord] = field(default_factory=list)
    body_hash: str = ""  # the stored document as summarized (``load_document``)
    qa: list[dict] = field(default_factory=list)  # ``qa.Turn.as_json()`` of each question asked

    @property
    def backend_label(self) -> str:
        return self.settings.get("backend_label") or self.info.label

    def to_summary(self, document: Document) -> DocumentSummary:
        """The run as the engine's ``DocumentSummary`` (for showing it again, or finishing it)."""
        usage = Usage(self.info.tokens_in, self.info.tokens_out, self.requests, self.info.cost_usd)
        summary = DocumentSummary(document, self.backend_label, self.overview, [s.result for s in self.sections],
                                  {}, self.overview_error, usage, list(self.notices), list(self.overview_unverified))
        summary.qa = [dict(turn) for turn in self.qa]
        return summary

    def provenance(self):
        """How the run was made, as the exports state it (``output.provenance.Provenance``): from what History kept,
        the backend, model and host, the prompts' hashes, when it finished, its cost and its untraced numbers."""
        from datetime import datetime, timezone

        from summarizer.output.provenance import Provenance

        llm = self.info.backend == "llm"
        unverified = sum(len(s.result.unverified_numbers) for s in self.sections) + len(self.overview_unverified)
        return Provenance(self.backend_label, self.info.model if llm else "", self.info.host if llm else "",
                          dict(self.prompts), datetime.fromtimestamp(self.info.finished or self.info.started, timezone.utc),
                          self.info.cost_usd, unverified, offline=not llm)

    @property
    def unfinished(self) -> list[int]:
        return [s.result.index for s in self.sections if s.result.status in ("queued", "running", "retrying")]


# ---------------------------------------------------------------------------------------------
# Helpers


def safe_host(base_url: str) -> str:
    """The endpoint's host and port, never credentials written into the URL."""
    parsed = urlparse(base_url or "")
    host = parsed.hostname or ""
    return f"{host}:{parsed.port}" if parsed.port else host


def public_settings(settings) -> dict:
    """The settings a run records: what decides the summary, never the key or its URL credentials."""
    keep = ("backend", "model", "language", "length", "parser", "temperature", "workers", "small_model",
            "route_below_tokens", "use_cache", "include_reasoning", "context_window", "group_below",
            "whole_paper_below", "describe_figures")
    out = {k: getattr(settings, k, None) for k in keep}
    out["host"] = safe_host(settings.base_url) if settings.backend == "llm" else ""
    out["backend_label"] = f"llm ({settings.model} @ {out['host']})" if settings.backend == "llm" else settings.backend_label
    return out


def document_to_blob(document: Document) -> bytes:
    return zlib.compress(json.dumps(document.to_json(), ensure_ascii=False).encode("utf-8"), 6)


def document_from_blob(blob: bytes) -> Document:
    return Document.from_json(json.loads(zlib.decompress(blob).decode("utf-8")))


def section_json(result: SectionResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False)


def section_from_json(text: str) -> SectionResult:
    return SectionResult.from_json(json.loads(text))


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]


# ---------------------------------------------------------------------------------------------
# The interface


class HistoryStore(Protocol):
    """What the app, CLI and batch need from a history store (SQLite here; Postgres could replace it)."""

    notice: str

    def start_run(self, owner: str, document: Document, doc_hash: str, settings, origin: str = "app",
                  plan: Iterable[SectionResult] = ()) -> str: ...
    def reopen_run(self, run_id: str) -> None: ...
    def record_section(self, run_id: str, result: SectionResult) -> None: ...
    def finish_run(self, run_id: str, summary: DocumentSummary, markdown: str) -> None: ...
    def list_runs(self, owner: str | None, search: str = "", limit: int = 5000) -> list[RunInfo]: ...
    def get_run(self, owner: str | None, run_id: str) -> RunRecord | None: ...
    def delete_run(self, owner: str | None, run_id: str) -> bool: ...
    def delete_all(self, owner: str) -> int: ...
    def rate(self, owner: str | None, run_id: str, section: int | None, rating: int | None,
             comment: str | None = None) -> None: ...
    def comment(self, owner: str | None, run_id: str, section: int | None, text: str) -> None: ...
    def save_qa(self, owner: str | None, run_id: str, turns: list[dict]) -> None: ...
    def save_document(self, doc_hash: str, document: Document) -> None: ...
    def load_document(self, doc_hash: str) -> Document | None: ...
    def save_source(self, doc_hash: str, pdf: bytes) -> None: ...
    def load_source(self, doc_hash: str) -> bytes | None: ...
    def save_session(self, owner: str, state: dict) -> None: ...
    def load_session(self, owner: str) -> dict | None: ...

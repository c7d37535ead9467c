"""Recording a run into History from the engine's events (``RunRecorder``), reopening a stored run as a
``DocumentSummary`` (``reopen``), and the recorders the CLI and the batch use, which go on without History
when it cannot be opened (one warning, never a failed run)."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from summarizer.model.document import Document
from summarizer.model.results import DocumentSummary, SectionResult
from summarizer.store.history import SQLiteHistory, open_history
from summarizer.store.records import HistoryStore, RunRecord

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Recording a run from the engine's events


class RunRecorder:
    """Feeds a history store from ``engine.run`` events: call it with each event (``on_event``).

    The run is created on the first event; each section is written when it reaches a final state;
    the overall result when the run is done. A failing store never fails the run (logged instead).
    """

    def __init__(self, store: HistoryStore, owner: str, document: Document, doc_hash: str, settings,
                 origin: str = "app", run_id: str | None = None,
                 markdown: Callable[[DocumentSummary], str] | None = None) -> None:
        self.store, self.owner, self.document, self.doc_hash = store, owner, document, doc_hash
        self.settings, self.origin, self.run_id = settings, origin, run_id
        self.markdown = markdown
        self._reopen = run_id is not None  # continuing a stored run (retry, finish the rest)
        self.failed = False

    def _safely(self, what: str, step: Callable[[], object]) -> None:
        if self.failed:
            return
        try:
            step()
        except (sqlite3.Error, OSError) as exc:
            self.failed = True
            log.error("history: could not %s (%s); this run is not recorded further", what, exc)

    def _start(self, first: SectionResult) -> None:
        self.run_id = self.store.start_run(self.owner, self.document, self.doc_hash, self.settings, self.origin,
                                           plan=[first])

    def __call__(self, event) -> None:
        if event.kind == "section" and event.result is not None:
            result = event.result
            if self.run_id is None:
                self._safely("start the run", lambda: self._start(result))
            elif self._reopen:
                self._reopen = False
                self._safely("reopen the run", lambda: self.store.reopen_run(self.run_id))
            if self.run_id is not None and (result.finished or result.status == "queued"):
                self._safely("record a section", lambda: self.store.record_section(self.run_id, result))
        elif event.kind == "done" and event.summary is not None and self.markdown is not None:
            self.finish(event.summary, self.markdown(event.summary))

    def finish(self, summary: DocumentSummary, markdown: str) -> None:
        """Store the overall result and the Markdown the user got."""
        if self.run_id is not None:
            self._safely("finish the run", lambda: self.store.finish_run(self.run_id, summary, markdown))


def reopen(store: HistoryStore, owner: str | None, run_id: str) -> tuple[RunRecord, DocumentSummary] | None:
    """A stored run and its result over the document as it was summarized (None if gone or not the owner's)."""
    record = store.get_run(owner, run_id)
    if record is None:
        return None
    document = store.load_document(record.body_hash)
    if document is None:
        return None
    return record, record.to_summary(document)


def store_or_none(path: str | Path | None, what: str) -> SQLiteHistory | None:
    """The store, or None when it cannot be opened (the run goes on unrecorded; the log says why)."""
    try:
        store = open_history(path)
    except (sqlite3.Error, OSError) as exc:
        log.error("history: cannot open the store (%s); this %s is not recorded", exc, what)
        return None
    if store.notice:
        log.warning("history: %s", store.notice)
    return store


def command_recorder(document: Document, settings, path: str | Path | None = None) -> RunRecorder | None:
    """For ``summarize`` on the command line: a recorder whose runs belong to the owner ``cli`` (listed by
    ``summarizer history list --owner cli``), the document keyed by the text read (no second read of the
    file); the caller ``finish``es it with the Markdown it wrote. None if the store cannot be opened."""
    store = store_or_none(path, "run")
    if store is None:
        return None
    doc_hash = hashlib.sha256(document.text.encode("utf-8", errors="replace")).hexdigest()
    return RunRecorder(store, "cli", document, doc_hash, settings, origin="cli")


def batch_recorder(owner: str = "batch", path: str | Path | None = None):
    """For ``batch.process_item``: a function giving each document's ``RunRecorder`` (None if the store
    cannot be opened — the batch then runs without history, and says so in the log)."""
    store = store_or_none(path, "batch")
    if store is None:
        return None

    def make(item, document: Document, settings) -> RunRecorder:
        return RunRecorder(store, owner, document, item.content_hash, settings, origin="batch")

    return make

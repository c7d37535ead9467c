"""Building a literature table: papers read (a paper that fails is a row with its reason; the same paper twice
is one row), each paper's cells filled (quoted offline, or one request per paper with the model; cached cells
reused), progress per paper, Stop between papers, the cost estimated before, and the synthesis after."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.config.prices import cost_usd
from summarizer.config.settings import DEFAULT_BASE_URL, Settings
from summarizer.model.document import Document
from summarizer.model.errors import InputError, SummarizerError
from summarizer.output.citation import citation_key, read_reference
from summarizer.table.columns import Column, check_columns
from summarizer.table.model import Cell, LiteratureTable, PaperRow, Usage
from summarizer.table.offline import offline_cell
from summarizer.table.papers import PaperIndex, paper_hash
from summarizer.table.synthesis import model_synthesis, offline_synthesis

log = logging.getLogger(__name__)

MAX_PAPERS = 50
MIN_PAPERS = 2
MAX_PAGES_NOTE = f"A table holds up to {MAX_PAPERS} papers; each is read once and asked once."
SYNTHESIS_TOKENS_OUT = 500


@dataclass
class PaperInput:
    """A paper handed to the table: its document, or why it could not be read; where it came from."""

    name: str
    document: Document | None = None
    error: str = ""
    doc_hash: str = ""  # History's hash of the source, where the paper came from History or the app (page view)
    summaries: dict[int, str] = field(default_factory=dict)  # its section summaries from an earlier run (History)


@dataclass
class TableEstimate:
    papers: int
    requests: int
    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    cached_cells: int = 0
    notes: list[str] = field(default_factory=list)


def read_papers(paths: list[str | Path], parser: str = "pymupdf", max_pages: int | None = None) -> list[PaperInput]:
    """Each path read as a document; one that fails is kept with its one-sentence reason."""
    from summarizer.inputs.loading import load_path

    out = []
    for path in paths:
        name = Path(path).name
        try:
            out.append(PaperInput(name, load_path(path, parser, max_pages)))
        except SummarizerError as exc:
            log.warning("table: %s cannot be read: %s", path, exc)
            out.append(PaperInput(name, error=str(exc)))
    return out


def model_is_offline(settings: Settings) -> bool:
    """Quote offline: the extractive backend, or the LLM backend naming no endpoint and holding no key (it would
    send the papers to a hosted endpoint the user never chose); a local model file is always used."""
    if settings.backend != "llm":
        return True
    return not settings.is_local and not settings.clean_key() and settings.base_url.strip().rstrip("/") == DEFAULT_BASE_URL


class TableBuilder:
    """Fills a literature table for ``columns`` with ``settings``' backend."""

    def __init__(self, settings: Settings, columns: list[Column], cache=None) -> None:
        self.settings = settings
        self.columns = check_columns(list(columns))
        self.offline = model_is_offline(settings)
        self._cache = cache
        self._cells = None  # the model's cell filler, made on first use (it may start a local model)

    @property
    def cells(self):
        if self._cells is None:
            from summarizer.table.fill import ModelCells

            self._cells = ModelCells(self.settings, self._cache)
        return self._cells

    @property
    def backend(self) -> str:
        return "offline (quoted sentences)" if self.offline else self.settings.backend_label

    def rows_for(self, papers: list[PaperInput]) -> tuple[list[tuple[PaperRow, PaperIndex | None]], list[str]]:
        """A row per distinct paper (keys P1, P2 … in the order given) with its index; and a note per merged duplicate."""
        if len([p for p in papers if p.document is not None]) > MAX_PAPERS:
            raise InputError(f"A table holds at most {MAX_PAPERS} papers; {len(papers)} were given. Split them into "
                             "several tables.")
        rows: list[tuple[PaperRow, PaperIndex | None]] = []
        seen: dict[str, str] = {}
        notes: list[str] = []
        for paper in papers:
            key = f"P{len(rows) + 1}"
            doc = paper.document
            if doc is None:
                rows.append((PaperRow(key, paper.doc_hash, paper.name, paper.name, error=paper.error or "not read"), None))
                continue
            digest = paper_hash(doc)
            if digest in seen:
                notes.append(f"'{paper.name}' is the same paper as {seen[digest]}; it is one row.")
                continue
            seen[digest] = key
            if not doc.text.strip():
                rows.append((PaperRow(key, paper.doc_hash or digest, doc.title, paper.name, list(doc.authors),
                                      error="The paper has no text to read (a scanned PDF needs OCR, e.g. the Nougat "
                                            "parser)."), None))
                continue
            reference = read_reference(doc)
            row = PaperRow(key, paper.doc_hash or digest, doc.title or paper.name, paper.name, list(doc.authors),
                           reference.year, pages=doc.page_count, citekey=citation_key(reference))
            rows.append((row, PaperIndex(doc, paper.summaries)))
        return rows, notes

    def estimate(self, papers: list[PaperInput]) -> TableEstimate:
        """What filling the table will send and cost (cached cells are free); offline, nothing."""
        rows, notes = self.rows_for(papers)
        readable = [(r, ix) for r, ix in rows if ix is not None]
        if self.offline:
            return TableEstimate(len(readable), 0, 0, 0, 0.0, notes=notes)
        requests = tokens_in = tokens_out = cached = 0
        for _row, index in readable:
            digest = paper_hash(index.document)
            have = self.cells.cached(digest, self.columns)
            cached += len(have)
            missing = [c for c in self.columns if c.key not in have]
            if missing:
                sent, back = self.cells.estimate_tokens(index, missing)
                requests, tokens_in, tokens_out = requests + 1, tokens_in + sent, tokens_out + back
        if len(readable) >= 2:  # the synthesis reads the cells
            requests += 1
            tokens_in += 60 * len(readable) * len(self.columns)
            tokens_out += SYNTHESIS_TOKENS_OUT
        return TableEstimate(len(readable), requests, tokens_in, tokens_out,
                             cost_usd(tokens_in, tokens_out, self.settings.price), cached, notes)

    def build(self, papers: list[PaperInput], on_row: Callable[[PaperRow, int, int], None] | None = None,
              stop: threading.Event | None = None, synthesize: bool = True) -> LiteratureTable:
        """The table: every paper's row (``on_row(row, done, total)`` as each ends), then the synthesis. After
        ``stop`` is set no new paper is started (and no synthesis asked): the table is marked stopped and keeps
        the rows already filled."""
        rows, notes = self.rows_for(papers)
        table = LiteratureTable(list(self.columns), [r for r, _ in rows], backend=self.backend, id=uuid.uuid4().hex[:16],
                                notes=notes)
        todo = [(r, ix) for r, ix in rows if ix is not None]
        lock = threading.Lock()
        done = [len(rows) - len(todo)]
        cached_before = 0

        def fill(item: tuple[PaperRow, PaperIndex]) -> None:
            row, index = item
            if stop is not None and stop.is_set():
                return
            row.cells = self._fill_row(index)
            with lock:
                done[0] += 1
                if on_row is not None:
                    on_row(row, done[0], len(rows))

        for row, _ in rows:
            if row.error and on_row is not None:
                on_row(row, 0, len(rows))
        workers = 1 if self.offline else max(1, min(self.settings.workers, len(todo) or 1))
        if not self.offline and todo:
            cached_before = sum(len(self.cells.cached(paper_hash(ix.document), self.columns)) for _, ix in todo)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="table") as pool:
            list(pool.map(fill, todo))
        table.stopped = bool(stop is not None and stop.is_set())
        if synthesize and not table.stopped:
            table.synthesis = offline_synthesis(table) if self.offline else \
                model_synthesis(table, self.settings, self.cells.for_paper(self.settings.language
                                                                            if self.settings.language in ("en", "zh") else "en"))
        if not self.offline and self._cells is not None:
            usage = self.cells.usage
            table.usage = Usage(usage.requests, usage.tokens_in, usage.tokens_out, usage.cost_usd, cached_before)
        return table

    def _fill_row(self, index: PaperIndex) -> dict[str, Cell]:
        if self.offline:
            return {c.key: offline_cell(index, c) for c in self.columns}
        return self.cells.fill(paper_hash(index.document), index, self.columns)


"""The literature table's data: a cell (an answer, its status and the passage it cites), a paper's row, the
synthesis across papers and the table itself, each with one JSON shape (``--json``, History and exports)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from summarizer.table.columns import Column
from summarizer.text.retrieval import Passage


class CellStatus(StrEnum):
    FOUND = "found"  # an answer with the passage it comes from
    NOT_REPORTED = "not reported"  # the paper does not say (never a guess)
    FAILED = "failed"  # the model's answer was refused by the checks, or the request failed


class Method(StrEnum):
    QUOTE = "quote"  # offline: the paper's best matching sentence, quoted
    MODEL = "model"  # the LLM backend's answer, checked against the passage it cites


@dataclass
class Cell:
    """One paper's answer for one column."""

    column: str  # the column's key
    status: CellStatus
    answer: str = ""
    source: Passage | None = None  # the passage the answer comes from (section, page, text)
    method: Method = Method.QUOTE
    unverified: list[str] = field(default_factory=list)  # numbers or names not found in the cited passage
    note: str = ""  # why not reported or failed, in one sentence

    @property
    def text(self) -> str:
        """As a reader sees it in a table: the answer and its citation, or what stands instead."""
        if self.status == CellStatus.FOUND:
            flag = f" (not in the cited passage: {', '.join(self.unverified)})" if self.unverified else ""
            return f"{self.answer} {self.source.citation if self.source else ''}".strip() + flag
        if self.status == CellStatus.NOT_REPORTED:
            return "not reported"
        return f"failed: {self.note}" if self.note else "failed"

    def as_json(self) -> dict:
        return {"column": self.column, "status": str(self.status), "answer": self.answer,
                "source": self.source.as_json() if self.source else None, "method": str(self.method),
                "unverified": list(self.unverified), "note": self.note}

    @classmethod
    def from_json(cls, data: dict) -> Cell:
        source = data.get("source")
        return cls(str(data["column"]), CellStatus(data.get("status", "failed")), str(data.get("answer", "")),
                   Passage.from_json(source) if isinstance(source, dict) else None, Method(data.get("method", "quote")),
                   [str(x) for x in data.get("unverified", [])], str(data.get("note", "")))


@dataclass
class PaperRow:
    """One paper: who wrote it, when, and its cells; a paper that could not be read has only its reason."""

    key: str  # P1, P2 … as the synthesis cites it
    doc_hash: str
    title: str
    source: str  # the file name or URL it was read from
    authors: list[str] = field(default_factory=list)
    year: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)
    error: str = ""
    pages: int | None = None
    citekey: str = ""  # the paper's BibTeX key (``output.citation.citation_key``), as its exports cite it

    def as_json(self) -> dict:
        return {"key": self.key, "doc_hash": self.doc_hash, "title": self.title, "source": self.source,
                "authors": list(self.authors), "year": self.year, "pages": self.pages, "error": self.error,
                "citekey": self.citekey, "cells": {k: c.as_json() for k, c in self.cells.items()}}

    @classmethod
    def from_json(cls, data: dict) -> PaperRow:
        return cls(str(data["key"]), str(data.get("doc_hash", "")), str(data.get("title", "")),
                   str(data.get("source", "")), [str(a) for a in data.get("authors", [])], str(data.get("year", "")),
                   {k: Cell.from_json(c) for k, c in (data.get("cells") or {}).items()}, str(data.get("error", "")),
                   data.get("pages"), str(data.get("citekey", "")))


@dataclass
class Conflict:
    """One measure that papers report with different values, side by side with their citations."""

    column: str
    measure: str
    values: list[tuple[str, str, str]]  # (paper key, the value as written, its citation)

    def as_json(self) -> dict:
        return {"column": self.column, "measure": self.measure,
                "values": [{"paper": p, "value": v, "citation": c} for p, v, c in self.values]}

    @classmethod
    def from_json(cls, data: dict) -> Conflict:
        return cls(str(data.get("column", "")), str(data.get("measure", "")),
                   [(str(v["paper"]), str(v["value"]), str(v.get("citation", ""))) for v in data.get("values", [])])


@dataclass
class Synthesis:
    """What the papers share and where they differ, each claim citing papers and pages (``[P2 §3, p. 4]``)."""

    text: str = ""
    method: Method = Method.QUOTE
    conflicts: list[Conflict] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)  # numbers in a model's synthesis that no cell holds
    dropped_citations: list[str] = field(default_factory=list)  # citations naming no paper or page of the table
    error: str = ""

    def as_json(self) -> dict:
        return {"text": self.text, "method": str(self.method), "conflicts": [c.as_json() for c in self.conflicts],
                "unverified": list(self.unverified), "dropped_citations": list(self.dropped_citations),
                "error": self.error}

    @classmethod
    def from_json(cls, data: dict) -> Synthesis:
        return cls(str(data.get("text", "")), Method(data.get("method", "quote")),
                   [Conflict.from_json(c) for c in data.get("conflicts", [])], list(data.get("unverified", [])),
                   list(data.get("dropped_citations", [])), str(data.get("error", "")))


@dataclass
class Usage:
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    cached_cells: int = 0

    def as_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class LiteratureTable:
    """Papers (rows) against columns, with the synthesis; how it was made and what it cost."""

    columns: list[Column]
    rows: list[PaperRow] = field(default_factory=list)
    synthesis: Synthesis = field(default_factory=Synthesis)
    backend: str = ""
    usage: Usage = field(default_factory=Usage)
    created: float = field(default_factory=time.time)
    stopped: bool = False
    id: str = ""
    notes: list[str] = field(default_factory=list)  # papers merged as duplicates, and the like

    @property
    def title(self) -> str:
        readable = [r for r in self.rows if not r.error]
        head = ", ".join((r.title or r.source)[:40] for r in readable[:2])
        more = f" and {len(readable) - 2} more" if len(readable) > 2 else ""
        return f"{len(readable)} papers: {head}{more}" if readable else "no papers read"

    def row(self, key: str) -> PaperRow | None:
        return next((r for r in self.rows if r.key == key), None)

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "created": self.created, "backend": self.backend,
                "stopped": self.stopped, "columns": [c.as_json() for c in self.columns],
                "rows": [r.as_json() for r in self.rows], "synthesis": self.synthesis.as_json(),
                "usage": self.usage.as_json(), "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: dict) -> LiteratureTable:
        usage = data.get("usage") or {}
        return cls([Column.from_json(c) for c in data.get("columns", [])],
                   [PaperRow.from_json(r) for r in data.get("rows", [])],
                   Synthesis.from_json(data.get("synthesis") or {}), str(data.get("backend", "")),
                   Usage(**{k: usage[k] for k in Usage.__dataclass_fields__ if k in usage}),
                   float(data.get("created", 0) or 0), bool(data.get("stopped", False)), str(data.get("id", "")),
                   [str(n) for n in data.get("notes", [])])

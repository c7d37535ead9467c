"""What a run produces: per-section results, the overall summary, and usage totals."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum

from summarizer.model.document import Document


class Status(StrEnum):
    """The states a section goes through; the UI shows them as they change. Members equal their strings
    ("done" == Status.DONE), so stored runs and JSON keep reading as before."""

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    DONE = "done"
    UNSTRUCTURED = "unstructured"  # a sound free-text answer kept as the summary, not in the expected fields
    FAILED = "failed"
    CACHED = "cached"  # answered from the cache, not paid again
    SKIPPED = "skipped"


STATES = tuple(Status)
FINISHED = frozenset({Status.DONE, Status.UNSTRUCTURED, Status.FAILED, Status.CACHED, Status.SKIPPED})
ANSWERED = frozenset({Status.DONE, Status.UNSTRUCTURED, Status.CACHED})
#: How the error of a section a stopped run never ran begins ("failed" for compatibility, but not a failure).
NOT_RUN = "not finished"
#: How the error of a section begins when the run's endpoint failed before the section was sent.
NOT_SENT = "not sent"
#: A bullet whose best support covers less of its (IDF-weighted) terms than this is "not found" (grounding).
SUPPORT_THRESHOLD = 0.4
NOT_FOUND = "not found in the section"


@dataclass
class Support:
    sentence: str
    score: float
    pages: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"sentence": self.sentence, "score": self.score}  # exact: rounded, 0.39996 would read back as found


@dataclass
class Bullet:
    """One claim of a summary (a bullet line, or a line of prose) and what supports it."""

    text: str
    pages: list[int] = field(default_factory=list)
    support: Support | None = None
    line: int = -1  # the line of the summary it came from

    @property
    def found(self) -> bool:
        return self.support is not None and self.support.score >= SUPPORT_THRESHOLD

    @classmethod
    def from_dict(cls, data: dict) -> Bullet:
        """A bullet back from ``as_json`` or ``dataclasses.asdict`` (a run stored in History)."""
        support = data.get("support")
        return cls(str(data.get("text", "")), [int(p) for p in data.get("pages") or []],
                   Support(str(support.get("sentence", "")), float(support.get("score", 0.0)),
                           [int(p) for p in support.get("pages") or data.get("pages") or []])
                   if isinstance(support, dict) else None, int(data.get("line", -1)))

    def as_json(self) -> dict:
        return {"text": self.text, "pages": list(self.pages), "line": self.line,
                "support": self.support.as_json() if self.support else None,
                **({} if self.found else {"note": NOT_FOUND})}


@dataclass
class Check:
    """What in a summary could not be traced to its source."""

    numbers: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.numbers or self.quotes or self.names)

    def problem(self) -> str:
        """The problem, named for a re-ask."""
        parts = []
        if self.numbers:
            parts.append("these numbers do not appear in the text: " + ", ".join(self.numbers))
        if self.quotes:
            parts.append("these quotations are not in the text: " + "; ".join(f"“{q}”" for q in self.quotes))
        if self.names:
            parts.append("these names are not in the text: " + ", ".join(self.names))
        return "; ".join(parts)




@dataclass
class SectionResult:
    index: int
    title: str
    kind: str
    level: int
    status: Status = Status.QUEUED
    summary: str = ""
    fields: dict = field(default_factory=dict)
    reasoning: str = ""
    error: str = ""
    note: str = ""  # e.g. "unstructured answer", "split into 3 parts"
    prompt: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cached: bool = False
    attempts: int = 0
    unverified_numbers: list[str] = field(default_factory=list)
    unverified_quotes: list[str] = field(default_factory=list)
    unverified_names: list[str] = field(default_factory=list)
    #: Each claim of the summary with the page(s) and source sentence behind it (``Bullet``).
    bullets: list = field(default_factory=list)
    #: How many parts a long section was summarized in (1: read whole).
    parts: int = 1
    structured: bool = True  # False: the answer was not in the prompt's fields (status "unstructured")
    #: The sections whose request this one shared (small neighbours asked together); not a note for readers.
    asked_with: list[str] = field(default_factory=list)
    #: The answer as it streams in, while the section runs (shown live; emptied when it finishes, never stored).
    live: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if any(isinstance(b, dict) for b in self.bullets):  # restored from JSON (History, a saved session)
            self.bullets = [Bullet.from_dict(b) if isinstance(b, dict) else b for b in self.bullets]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def ok(self) -> bool:
        return self.status in ANSWERED

    @property
    def not_run(self) -> bool:
        """A section the run stopped before it was summarized (Stop, a time limit): not a failure of its own."""
        return self.status == "failed" and self.error.startswith(NOT_RUN)

    def to_json(self) -> dict:
        """The section result's one JSON shape (``--json``, History, the API); ``from_json`` reads it back,
        and also the shape History stored before it (``dataclasses.asdict``). A cached answer's status is
        "done" with ``cached`` true; the answer as it streams in is not a result and is left out."""
        return {
            "index": self.index, "title": self.title, "kind": self.kind, "level": self.level,
            "status": str(Status.DONE if self.status == Status.CACHED else Status(self.status)),
            "summary": self.summary, "fields": dict(self.fields), "reasoning": self.reasoning, "error": self.error,
            "note": self.note, "structured": self.structured,
            "prompt": self.prompt,
            "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
            "cached": self.cached, "attempts": self.attempts,
            "unverified_numbers": list(self.unverified_numbers), "unverified_quotes": list(self.unverified_quotes),
            "unverified_names": list(self.unverified_names),
            "bullets": [b.as_json() for b in self.bullets], "parts": self.parts, "asked_with": list(self.asked_with),
        }

    @classmethod
    def from_json(cls, data: dict, index: int | None = None) -> SectionResult:
        known = {f.name for f in fields(cls)} - {"live"}
        values = {k: v for k, v in data.items() if k in known}
        if index is not None:
            values["index"] = index
        if "status" in values:
            values["status"] = Status(values["status"])
        if values.get("status") == Status.DONE and values.get("cached") and not values.get("tokens_in"):
            values["status"] = Status.CACHED  # an answer taken from the cache, not paid again
        return cls(**values)


@dataclass
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    cost_usd: float | None = None
    cached_tokens: int = 0  # prompt tokens the provider served from its prefix cache, where it says

    def as_json(self) -> dict:
        return {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "requests": self.requests,
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
                "cached_tokens": self.cached_tokens}


@dataclass
class DocumentSummary:
    document: Document
    backend: str
    overview: str
    sections: list[SectionResult]
    overview_fields: dict = field(default_factory=dict)
    overview_error: str = ""
    usage: Usage = field(default_factory=Usage)
    notices: list[str] = field(default_factory=list)
    overview_unverified: list[str] = field(default_factory=list)
    #: Questions asked about the document and their answers (``qa.Turn.as_json()``), kept with the run.
    qa: list[dict] = field(default_factory=list)
    stopped: str = ""  # why the run ended early (Stop, time limit, endpoint unavailable); "" when it ran through

    @property
    def unverified_count(self) -> int:
        return sum(len(s.unverified_numbers) for s in self.sections) + len(self.overview_unverified)

    def needs_recheck(self) -> dict[int, str]:
        """Sections whose summary holds numbers, quotations or names not found in their text."""
        return {s.index: Check(s.unverified_numbers, s.unverified_quotes, s.unverified_names).problem()
                for s in self.sections if s.ok and (s.unverified_numbers or s.unverified_quotes)}

    @property
    def failed(self) -> list[SectionResult]:
        return [s for s in self.sections if s.status == "failed"]

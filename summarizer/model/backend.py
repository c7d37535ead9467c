"""The contract between the engine (``run/``) and a way of summarizing (``llm/``, ``extractive/``): what a
backend must offer, typed, so the engine calls it instead of probing for optional methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from summarizer.model.document import Document, Float
from summarizer.model.results import SectionResult, Usage


class AnswerStore(Protocol):
    """A backend's answer cache, as the checks and the engine see it."""

    def get(self, key: str) -> object: ...

    def take_notices(self) -> list[str]: ...


@runtime_checkable
class Backend(Protocol):
    """One way of summarizing a document, section by section, then as a whole."""

    #: How the backend is named to the user ("extractive", "gpt-4o-mini at api.openai.com").
    label: str
    #: Things the user should know about this run (said once each, with the result).
    notices: list[str]
    #: Section index → a problem found in its previous answer, named when it is asked again.
    feedback: dict[int, str]
    #: The answers it keeps between runs, or None.
    cache: AnswerStore | None
    #: Whether it can describe a figure from its image (a model that reads images): only then does the engine,
    #: with ``Settings.describe_figures``, cut figures' images from the PDF and hand them to ``describe_figure``.
    describes_figures: bool

    def prepare(self, document: Document) -> None:
        """Get ready for ``document`` (before any section): calibrate, start a local server, reset notices."""

    def plan_requests(self, document: Document, indices: list[int]) -> list[list[int]]:
        """The sections ``indices`` as requests: small neighbours may share one; each index once, in order."""

    def summarize_section(self, document: Document, result: SectionResult,
                          report: Callable[[SectionResult], None]) -> SectionResult:
        """Fill ``result`` (status, fields, usage) for its section; ``report`` shows progress as it comes."""

    def summarize_group(self, document: Document, results: list[SectionResult],
                        report: Callable[[SectionResult], None]) -> None:
        """Fill the ``results`` asked together in one request; those its answer did not cover stay unfinished."""

    def synthesize(self, document: Document, results: list[SectionResult]) -> tuple[str, dict]:
        """The overall summary: ("", its fields) for ``output/`` to write, or (its text, its fields)."""

    def describe_figure(self, document: Document, figure: Float, png: bytes) -> None:
        """Set ``figure.description`` (and ``described_by``) from its image ``png``, or leave it empty where the model
        cannot or will not (said once in ``notices``); never a failed section."""

    def usage(self) -> Usage:
        """What the run sent and received so far, and what it cost."""

    def cancel(self, reason: str) -> None:
        """Send nothing new and close what is in flight (Stop, a time limit)."""

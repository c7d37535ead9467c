"""The built-in backend: extractive summaries, no network, no key."""

from __future__ import annotations

from collections.abc import Callable

from summarizer.config.settings import LENGTHS, Settings
from summarizer.extractive.news import long_overview, news_overview
from summarizer.extractive.ranking import summarize_text, summary_sentences
from summarizer.model.document import Document, Float
from summarizer.model.results import SectionResult, Status, Usage


class ExtractiveBackend:
    """Per section: the most central sentences; overall: from the abstract, or the lead for news."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.label = settings.backend_label
        self.scale = LENGTHS.get(settings.length, 1.0)
        self.notices: list[str] = []  # said to the user with the result
        self.feedback: dict[int, str] = {}  # quoting the source, it has nothing to re-ask
        self.cache = None  # ranking is quicker than a cache lookup
        self.describes_figures = False  # it has no model to look at an image

    def prepare(self, document: Document) -> None:
        wanted = self.settings.language
        self.notices = []
        if wanted != "auto" and wanted != document.language:
            self.notices.append(
                "The extractive backend quotes the source, so this summary stays in the source's language; "
                "choose the LLM backend on the Settings page for a summary in another language.")

    def plan_requests(self, document: Document, indices: list[int]) -> list[list[int]]:
        """Each section on its own (there is no request to share)."""
        return [[i] for i in indices]

    def summarize_group(self, document: Document, results: list[SectionResult],
                        report: Callable[[SectionResult], None]) -> None:
        for result in results:
            self.summarize_section(document, result, report)

    def cancel(self, reason: str) -> None:
        """Nothing to stop: it sends no request, and the engine stops handing it sections."""

    def describe_figure(self, document: Document, figure: Float, png: bytes) -> None:
        """Never called (``describes_figures`` is False): a figure keeps its caption, and nothing is said about it."""

    def summarize_section(self, document: Document, result: SectionResult,
                          report: Callable[[SectionResult], None]) -> SectionResult:
        section = document.sections[result.index]
        lang = document.language
        # the answer's fields; output/ writes them as Markdown (one bullet per sentence)
        result.fields = {"summary": summary_sentences(section.text, lang, scale=self.scale)}
        result.status = Status.DONE
        result.attempts = 1
        return result

    def synthesize(self, document: Document, results: list[SectionResult]) -> tuple[str, dict]:
        lang = document.language
        if document.genre == "article":
            headline, paragraph = news_overview(document.text, lang, scale=self.scale)
            return "", {"headline": headline, "summary": paragraph}  # output/ writes them as Markdown
        source = document.abstract.strip()
        if source:
            text = summarize_text(source, lang, budget=int((110 if lang == "zh" else 70) * self.scale) or None)
        else:
            body = "\n\n".join(s.text for s in document.sections if s.summarizable)
            text = long_overview(body or document.text, lang, scale=self.scale)
        return text, {"tldr": text}

    def usage(self) -> Usage:
        return Usage()

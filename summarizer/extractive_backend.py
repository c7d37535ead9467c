"""The built-in backend: extractive summaries, no network, no key."""

from __future__ import annotations

from collections.abc import Callable

from .document import Document
from .extractive import summarize_text, summary_sentences
from .news import long_overview, news_overview
from .results import SectionResult, Usage
from .settings import LENGTHS, Settings


class ExtractiveBackend:
    """Per section: the most central sentences; overall: from the abstract, or the lead for news."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.label = settings.backend_label
        self.scale = LENGTHS.get(settings.length, 1.0)
        self.notices: list[str] = []  # said to the user with the result

    def prepare(self, document: Document) -> None:
        wanted = self.settings.language
        self.notices = []
        if wanted != "auto" and wanted != document.language:
            self.notices.append(
                "The extractive backend quotes the source, so this summary stays in the source's language; "
                "choose the LLM backend on the Settings page for a summary in another language.")

    def summarize_section(self, document: Document, result: SectionResult,
                          report: Callable[[SectionResult], None]) -> SectionResult:
        section = document.sections[result.index]
        lang = document.language
        bullets = "\n".join(f"- {s}" for s in summary_sentences(section.text, lang, scale=self.scale))
        result.summary = bullets
        result.fields = {"summary": bullets}
        result.status = "done"
        result.attempts = 1
        return result

    def synthesize(self, document: Document, results: list[SectionResult]) -> tuple[str, dict]:
        lang = document.language
        if document.genre == "article":
            headline, paragraph = news_overview(document.text, lang, scale=self.scale)
            return f"**{headline}**\n\n{paragraph}".strip(), {"headline": headline, "summary": paragraph}
        source = document.abstract.strip()
        if source:
            text = summarize_text(source, lang, budget=int((110 if lang == "zh" else 70) * self.scale) or None)
        else:
            body = "\n\n".join(s.text for s in document.sections if s.summarizable)
            text = long_overview(body or document.text, lang, scale=self.scale)
        return text, {"tldr": text}

    def usage(self) -> Usage:
        return Usage()

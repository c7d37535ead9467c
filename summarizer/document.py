"""The one data model that flows through every stage: a ``Document`` made of ``Section``s.

Loaders and parsers produce it, the summarizer reads it, the renderer turns its results into Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Canonical section kinds, in the order papers usually present them.
KINDS = (
    "abstract",
    "introduction",
    "related_work",
    "background",
    "method",
    "experiments",
    "results",
    "discussion",
    "conclusion",
    "limitations",
    "appendix",
    "acknowledgements",
    "references",
    "caption",
    "body",
    "other",
)

#: Kinds kept in the document but not summarized unless the user asks for them.
NOT_SUMMARIZED = frozenset({"references", "acknowledgements", "caption"})


@dataclass
class Section:
    """One part of a document, as its author structured it."""

    title: str
    text: str
    level: int = 1
    kind: str = "other"
    page_start: int | None = None
    page_end: int | None = None
    included: bool = True

    @property
    def summarizable(self) -> bool:
        """True when the section has prose worth summarizing and the user kept it."""
        return self.included and self.kind not in NOT_SUMMARIZED and bool(self.text.strip())

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "level": self.level,
            "kind": self.kind,
            "page_start": self.page_start,
            "text": self.text,
        }


@dataclass
class Document:
    """A parsed input: title, authors, abstract and the ordered sections."""

    title: str
    source: str
    sections: list[Section] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    language: str = "en"
    genre: str = "paper"  # "paper" or "article"
    page_count: int | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "source": self.source,
            "authors": list(self.authors),
            "language": self.language,
            "page_count": self.page_count,
            "notices": list(self.notices),
            "sections": [s.as_json() for s in self.sections],
        }

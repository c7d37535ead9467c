"""The one data model that flows through every stage: a ``Document`` made of ``Section``s.

Loaders and parsers produce it, the summarizer reads it, the renderer turns its results into Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

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

class Genre(StrEnum):
    """What a document is, which decides its prompts and its overview. Members equal their strings."""

    PAPER = "paper"  # scholarly prose: sections, an abstract, an overall synthesis
    ARTICLE = "article"  # news: a lead, a headline and a short summary


#: Kinds kept in the document but not summarized unless the user asks for them.
NOT_SUMMARIZED = frozenset({"references", "acknowledgements", "caption"})

#: Kinds of ``Block`` inside a section. Only ``paragraph`` blocks are prose: they make up
#: ``Section.text`` and are the only source of summary sentences, retrieval passages and citations.
#: The others are kept for later features (tables, code, equations) but never offered as sentences.
BLOCK_KINDS = ("paragraph", "code", "table", "equation", "caption", "algorithm", "note", "list")


@dataclass(frozen=True)
class Block:
    """One typed piece of a section: a prose paragraph, a table, a code listing, ...

    ``page`` is 1-based (the page the block starts on); ``page_end`` is set when a paragraph
    continues onto a later page, and ``breaks`` then says where: (offset, page) pairs, the offset counted in
    non-space characters of ``text`` (so it holds however the text's spaces are later normalised), so each
    sentence's own page is known (``page_at``).
    """

    kind: str
    text: str
    page: int | None = None
    page_end: int | None = None
    breaks: tuple[tuple[int, int], ...] = ()

    @property
    def prose(self) -> bool:
        return self.kind == "paragraph"

    def page_at(self, offset: int) -> int | None:
        """The page holding the non-space character at ``offset`` of the text."""
        page = self.page
        for start, later in self.breaks:
            if offset >= start:
                page = later
        return page

    def to_json(self) -> dict:
        out = {"kind": self.kind, "text": self.text, "page": self.page, "page_end": self.page_end}
        if self.breaks:
            out["breaks"] = [list(b) for b in self.breaks]
        return out

    @classmethod
    def from_json(cls, data: dict) -> Block:
        breaks = tuple((int(b[0]), int(b[1])) for b in data.get("breaks") or () if isinstance(b, list | tuple) and len(b) == 2)
        return cls(str(data["kind"]), str(data["text"]), data.get("page"), data.get("page_end"), breaks)


def nonspace(text: str) -> int:
    """Characters of ``text`` that are not white space (the unit of ``Block.breaks``)."""
    return len(text) - sum(text.count(c) for c in " \t\n\r\f\v\u3000\xa0")


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
    #: The section's typed blocks in reading order. Parsers that know pages fill it, and then ``text`` is
    #: their prose, derived on creation; when it is empty, ``paragraphs`` derives paragraph blocks from
    #: ``text`` (pages unknown beyond ``page_start``).
    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the prose lives in one place: a section with prose blocks takes its text from them, so a merge, a
        # split or a rename can never leave the summary (text) and grounding and Ask (blocks) out of step
        if any(b.prose for b in self.blocks):
            self.text = "\n\n".join(b.text for b in self.blocks if b.prose)

    @property
    def paragraphs(self) -> list[Block]:
        """The prose paragraphs of the section, each with the page it starts on where known."""
        if self.blocks:
            return [b for b in self.blocks if b.prose]
        return [Block("paragraph", p.strip(), self.page_start) for p in self.text.split("\n\n") if p.strip()]

    @property
    def summarizable(self) -> bool:
        """True when the section has prose worth summarizing and the user kept it."""
        return self.included and self.kind not in NOT_SUMMARIZED and bool(self.text.strip())

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "level": self.level,
            "kind": self.kind,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "text": self.text,
            "blocks": [b.to_json() for b in self.blocks],
        }

    @classmethod
    def from_json(cls, data: dict) -> Section:
        return cls(title=data["title"], text=data["text"], level=data.get("level", 1), kind=data.get("kind", "other"),
                   page_start=data.get("page_start"), page_end=data.get("page_end"),
                   blocks=[Block.from_json(b) for b in data.get("blocks", [])])


class FloatKind(StrEnum):
    TABLE = "table"
    FIGURE = "figure"


@dataclass
class Float:
    """A table or figure of the paper: its caption and number, the page and region (PDF points) it is on, a
    table's cells, and the section that cites it first. ``bbox`` is None when no region was found for the
    caption (the caption is still the reader's). A figure may carry a one-line ``description`` of what its image
    shows, written by the model named in ``described_by`` (``Settings.describe_figures``; off by default)."""

    kind: FloatKind
    number: str
    caption: str
    page: int
    bbox: tuple[float, float, float, float] | None = None
    rows: list[list[str]] = field(default_factory=list)
    section: int | None = None
    caption_box: tuple[float, float, float, float] | None = None  # where the caption is (to find the region)
    description: str = ""  # a figure's one-line description by a model that read its image ("" when none was asked)
    described_by: str = ""  # the model that wrote ``description``
    note: str = ""  # why a table's cells are not shown where they were looked for (set sideways, an image, not found)

    @property
    def label(self) -> str:
        return f"{'Table' if self.kind == FloatKind.TABLE else 'Figure'} {self.number}"

    @property
    def cells_text(self) -> str:
        """A table's cells as text, a row per line (what the faithfulness check reads)."""
        return "\n".join(" | ".join(" ".join(str(c).split()) for c in row) for row in self.rows)

    def to_json(self) -> dict:
        return {"kind": str(self.kind), "number": self.number, "label": self.label, "caption": self.caption,
                "page": self.page, "bbox": list(self.bbox) if self.bbox else None, "rows": self.rows,
                "section": self.section, "caption_box": list(self.caption_box) if self.caption_box else None,
                "description": self.description, "described_by": self.described_by, "note": self.note}

    @classmethod
    def from_json(cls, data: dict) -> Float:
        bbox, box = data.get("bbox"), data.get("caption_box")
        return cls(FloatKind(data.get("kind", "figure")), str(data.get("number", "")), str(data.get("caption", "")),
                   int(data.get("page") or 1), tuple(float(x) for x in bbox) if bbox else None,
                   [[str(c) for c in row] for row in data.get("rows") or []], data.get("section"),
                   tuple(float(x) for x in box) if box else None,
                   # History rows stored before figure descriptions have neither key
                   str(data.get("description") or ""), str(data.get("described_by") or ""), str(data.get("note") or ""))


@dataclass
class Document:
    """A parsed input: title, authors, abstract and the ordered sections."""

    title: str
    source: str
    sections: list[Section] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    language: str = "en"
    genre: Genre = Genre.PAPER
    page_count: int | None = None
    notices: list[str] = field(default_factory=list)
    floats: list[Float] = field(default_factory=list)  # tables and figures found (PDFs), in page order

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)

    def figures_to_describe(self) -> list[Float]:
        """The figures a run with ``describe_figures`` asks about: those with a region on their page (found by
        ``pdf.floats.locate_floats``; an image needs one) and no description yet."""
        return [f for f in self.floats if f.kind == FloatKind.FIGURE and f.bbox is not None and not f.description]

    def to_json(self) -> dict:
        """The document's one JSON shape: ``--json``, History and the API write it, ``from_json`` reads it."""
        return {
            "title": self.title,
            "source": self.source,
            "authors": list(self.authors),
            "abstract": self.abstract,
            "language": self.language,
            "genre": str(self.genre),
            "page_count": self.page_count,
            "notices": list(self.notices),
            "floats": [f.to_json() for f in self.floats],
            "sections": [s.to_json() for s in self.sections],
        }

    @classmethod
    def from_json(cls, data: dict) -> Document:
        return cls(title=data["title"], source=data.get("source", ""),
                   sections=[Section.from_json(s) for s in data.get("sections", [])],
                   authors=list(data.get("authors", [])), abstract=data.get("abstract", ""),
                   language=data.get("language", "en"), genre=Genre(data.get("genre", "paper")),
                   page_count=data.get("page_count"), notices=list(data.get("notices", [])),
                   floats=[Float.from_json(f) for f in data.get("floats") or []])

"""A ``Document`` from the headings and blocks that a structured file states (Word, EPUB, PowerPoint, OpenDocument).

Those readers know the structure the author gave: they hand over an ``Outline``, in reading order, of
``Heading``s at the depth the file gives them and ``Block``s (paragraphs and list items as prose, tables and
captions kept apart), with the title and authors the file's metadata names. Sections are then made as the text
parser makes them from Markdown, so every input reads alike: the depths in use normalised onto 1, 2, 3 ...,
kinds from the titles (``assign_kinds``), language and genre from the text, the title from the metadata, else a
lone top heading, else the text. A file without a single heading is read as its text, like pasted text
(numbered headings, parts, or a news article), its tables kept beside the paragraph they followed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from summarizer.inputs.text_parser import clean_text, genre_of_kinds, normalise_levels, parse_text, title_from_text
from summarizer.model.document import Block, Document, Genre, Section
from summarizer.model.errors import InputError
from summarizer.text.kinds import assign_kinds, kind_from_title
from summarizer.text.language import detect_language

logger = logging.getLogger(__name__)

_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
#: Author fields that name a program or a template, not a person.
_NOT_AUTHORS = frozenset({"python-docx", "python-pptx", "ebooklib", "unknown", "author", "user", "owner", "admin",
                          "administrator", "microsoft office user", "windows user", "apache poi", "calibre"})


@dataclass(frozen=True)
class Heading:
    """A heading as the file states it: ``level`` 1 is the top; ``page`` where the file has pages (slides)."""

    text: str
    level: int
    page: int | None = None


@dataclass
class Outline:
    """What a structured file holds, in reading order, before it is cut into sections."""

    items: list[Heading | Block] = field(default_factory=list)
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    page_count: int | None = None
    notices: list[str] = field(default_factory=list)
    #: False where every heading is a section of its own (a slide): none is taken for the document's title.
    title_from_heading: bool = True


def tidy(text: str) -> str:
    """One line of text: control and zero-width characters removed, white space collapsed, none left between two
    CJK characters (a line break inside a Chinese paragraph is not a space)."""
    text = clean_text(text).replace("\x0b", " ")
    text = re.sub(rf"(?<={_CJK})\s*\n\s*(?={_CJK})", "", text)
    return " ".join(text.split())


def people(values: list[str]) -> list[str]:
    """Author names from metadata fields ("A; B" splits), without program or template names."""
    found: list[str] = []
    for value in values:
        for person in re.split(r"\s*;\s*", tidy(value or "")):
            if person and person.casefold() not in _NOT_AUTHORS and person not in found:
                found.append(person)
    return found


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _has_words(text: str) -> bool:
    return bool(re.search(r"\w", text))


def build_document(outline: Outline, source: str, empty: str) -> Document:
    """The ``Document`` of an outline; ``empty`` is the one sentence given when it holds no prose to summarize."""
    items: list[Heading | Block] = []
    for item in outline.items:
        if isinstance(item, Heading):
            text = tidy(item.text)
            if _has_words(text):
                items.append(Heading(text, max(1, item.level), item.page))
        elif item.kind == "table":
            if _has_words(item.text):
                items.append(item)
        else:
            text = tidy(item.text)
            if _has_words(text):
                items.append(Block(item.kind, text, item.page))
    if not any(isinstance(i, Block) and i.prose for i in items):
        logger.info("'%s' has no prose: %d heading(s), %d other block(s)", source,
                    sum(isinstance(i, Heading) for i in items), sum(isinstance(i, Block) for i in items))
        raise InputError(empty)

    title = tidy(outline.title or "") or None
    headings = [i for i in items if isinstance(i, Heading)]
    if outline.title_from_heading and headings:
        first = headings[0]
        before = items[:items.index(first)]
        if title is not None and _same(first.text, title):  # the title repeated as the first heading
            items.remove(first)
        elif title is None and not any(isinstance(i, Block) and i.prose for i in before) \
                and kind_from_title(first.text) is None \
                and (len(headings) == 1 or all(h.level > first.level for h in headings[1:])):
            title = first.text  # a lone top heading above the sections, as "# Title" above "## Sections"
            items.remove(first)
    if not any(isinstance(i, Heading) for i in items):
        document = _from_text(items, source, title)
    else:
        document = _from_headings(items, source, title)
    document.authors = people(outline.authors)
    document.page_count = outline.page_count
    document.notices = outline.notices + document.notices
    return document


def _from_headings(items: list[Heading | Block], source: str, title: str | None) -> Document:
    """Sections cut at the headings; what stands before the first one is the preamble."""
    parts: list[tuple[Heading | None, list[Block]]] = [(None, [])]
    for item in items:
        if isinstance(item, Heading):
            parts.append((item, []))
        else:
            parts[-1][1].append(item)
    preamble, parts = parts[0][1], parts[1:]
    lang = detect_language("\n\n".join([h.text for h, _ in parts if h] + [b.text for _, blocks in parts for b in blocks]
                                       + [b.text for b in preamble]))
    titles = [h.text for h, _ in parts if h]
    levels = normalise_levels([h.level for h, _ in parts if h], titles)
    kinds = assign_kinds(titles, levels)
    sections: list[Section] = []
    if preamble:
        sections.append(_section("Preamble", 1, "other", None, preamble))
    for (heading, blocks), level, kind in zip(parts, levels, kinds):
        assert heading is not None
        sections.append(_section(heading.text, level, kind, heading.page, blocks))
    genre = genre_of_kinds(kinds)
    title = title or file_title(source) or title_from_text(sections, lang, genre)
    return Document(title=title, source=source, sections=sections,
                    abstract=next((s.text for s in sections if s.kind == "abstract"), ""), language=lang,
                    genre=Genre(genre))


_GENERIC_NAMES = re.compile(r"^(?:document|doc|untitled|new|draft|final|copy|file|report|presentation|slides?|book"
                            r"|文档|新建|未命名)(?:\s*\(?\d+\)?)?$", re.I)


def file_title(source: str) -> str:
    """A title from the file's name ("annual_report_2025.docx" -> "annual report 2025") when the file names none: a
    report whose sections are all headings has no sentence that is its title. "" for a name that says nothing
    ("Document1", "untitled", a word of fewer than four letters)."""
    stem = re.sub(r"[_\s]+", " ", Path(source.replace("\\", "/").split("/")[-1]).stem).strip()
    if _GENERIC_NAMES.match(stem) or len(re.sub(r"[^\w]", "", stem)) < 4 or stem in ("pasted text", "stdin", "-"):
        return ""
    return stem


def _section(title: str, level: int, kind: str, page: int | None, blocks: list[Block]) -> Section:
    pages = [p for p in [page] + [b.page for b in blocks] if p is not None]
    return Section(title=title, text="", level=level, kind=kind, page_start=min(pages, default=None),
                   page_end=max(pages, default=None), blocks=list(blocks))


def _from_text(items: list[Heading | Block], source: str, title: str | None) -> Document:
    """A file without headings, read as pasted text is; each table (and caption) goes back after the paragraph
    it followed, in whichever section that paragraph landed."""
    prose: list[str] = []
    after: list[tuple[str | None, Block]] = []  # (the paragraph before, the kept-apart block)
    for item in items:
        if isinstance(item, Block) and item.prose:
            prose.append(item.text)
        elif isinstance(item, Block):
            after.append((prose[-1] if prose else None, item))
    document = parse_text("\n\n".join(prose), source, title=title)
    if not after:
        return document
    sections: list[list[Block]] = [[Block("paragraph", p.strip()) for p in s.text.split("\n\n") if p.strip()]
                                   for s in document.sections]
    leading = 0  # blocks placed before the first paragraph, kept in their order
    for before, block in after:
        if before is None:
            sections[0].insert(leading, block)
            leading += 1
            continue
        home = next(((blocks, i) for blocks in sections for i, b in enumerate(blocks) if b.prose and b.text == before),
                    None)
        if home is None:  # a paragraph the parser rewrote (a news text's cleaning): the block goes last
            sections[-1].append(block)
            continue
        blocks, at = home
        at += 1
        while at < len(blocks) and not blocks[at].prose:  # after the blocks that already follow that paragraph
            at += 1
        blocks.insert(at, block)
    document.sections = [replace(section, blocks=blocks) for section, blocks in zip(document.sections, sections)]
    return document

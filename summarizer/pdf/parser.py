"""Read a PDF paper into a ``Document`` with PyMuPDF, the way its authors structured it.

The parser is an ordered tuple of small steps (``STEPS``) over one ``ParseState``; each step
returns a new state and never changes the objects an earlier step made:

read pages (lines in reading order, captions set apart) → drop running lines → check the text
layer (scanned or garbled pages) → tables and figures by their captions → outline → headings → drop the
labels on figures → levels → merge the outline → keep the numbering's shape; then ``build_document``
rebuilds paragraphs and typed blocks and finds title, authors and abstract. The steps live in
``summarizer.pdf``; this module keeps the names others import.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from summarizer.config.environ import MAX_PAGES as DEFAULT_MAX_PAGES
from summarizer.model.document import Block, Document
from summarizer.model.errors import InputError, ScannedPdfError
from summarizer.pdf.extract import Line, PageText, clean_text, extract_pages, open_pdf, repaired
from summarizer.pdf.front import title_and_authors
from summarizer.pdf.headings import (
    Heading,
    assign_levels,
    body_style,
    detect_headings,
    numbering,
    outline_headings,
)
from summarizer.pdf.headings import (
    merge_outline as outline_completed,
)
from summarizer.pdf.outline import keep_numbering
from summarizer.pdf.quality import readable_lines
from summarizer.pdf.running import drop_running_lines as running_lines_dropped
from summarizer.pdf.sections import build_document

__all__ = ["DEFAULT_MAX_PAGES", "Heading", "Line", "PageText", "ParseState", "STEPS", "build_document", "parse_pdf",
           "open_pdf", "extract_pages", "detect_headings", "assign_levels", "clean_text", "title_and_authors"]


@dataclass(frozen=True)
class ParseState:
    """The one document every step reads and returns (changed with ``dataclasses.replace``)."""

    doc: Any  # the open PyMuPDF document
    max_pages: int
    use_outline: bool = True
    pages: tuple[PageText, ...] = ()
    lines: tuple[Line, ...] = ()
    captions: tuple[Block, ...] = ()
    caption_boxes: tuple[tuple[float, float, float, float], ...] = ()
    floats: tuple = ()  # tables and figures (``summarizer.pdf.floats``)
    outline: tuple[Heading, ...] = ()
    headings: tuple[Heading, ...] = ()
    notices: tuple[str, ...] = field(default=())


def read_pages(state: ParseState) -> ParseState:
    """Lines of every page in reading order, with the notices the file itself calls for."""
    doc = state.doc
    notices = list(state.notices)
    if doc.page_count > state.max_pages:
        notices.append(f"Only the first {state.max_pages} of {doc.page_count} pages were read (the page limit: raise "
                       "it in Settings, with --max-pages or with SUMMARIZER_MAX_PAGES).")
    if repaired(doc):
        notices.append("This PDF was damaged and has been repaired; some text may be missing.")
    return replace(state, pages=tuple(extract_pages(doc, state.max_pages)), notices=tuple(notices))


def drop_running_lines(state: ParseState) -> ParseState:
    """Running headers and footers, page and line numbers removed; the lines of all pages in order."""
    heights = [state.doc[i].rect.height for i in range(len(state.pages))]
    pages = running_lines_dropped(list(state.pages), heights)
    return replace(state, pages=tuple(pages), lines=tuple(line for pt in pages for line in pt.lines),
                   captions=tuple(c for pt in pages for c in pt.captions),
                   caption_boxes=tuple(b for pt in pages for b in pt.caption_boxes))


def check_text_layer(state: ParseState) -> ParseState:
    """A scanned PDF is refused; garbled pages are left out and named (``summarizer.pdf.quality``)."""
    doc, lines = state.doc, list(state.lines)
    chars = sum(len(line.text) for line in lines)
    if chars < 40 * min(doc.page_count, state.max_pages) * 0.25 and chars < 200:
        has_images = any(doc[i].get_images() for i in range(min(len(state.pages), 5)))
        if chars == 0 and not has_images and repaired(doc):
            raise InputError("This PDF is damaged (truncated or corrupted) and no text could be read from it.")
        if has_images or chars == 0:
            raise ScannedPdfError(
                "This PDF has no text layer (it looks scanned); choose the Nougat parser, or run OCR on it first.")
    notices = list(state.notices)
    lines = readable_lines(doc, list(state.pages), lines, notices)
    if not lines:
        raise InputError("No text could be read from this PDF.")
    return replace(state, lines=tuple(lines), notices=tuple(notices))


def find_outline(state: ParseState) -> ParseState:
    """The PDF's own outline, each entry located in the page text (stale entries dropped)."""
    if not state.use_outline:
        return state
    return replace(state, outline=tuple(outline_headings(state.doc, list(state.lines))))


def find_headings(state: ParseState) -> ParseState:
    """Heading candidates from font, weight, numbering and position (run-in headings split off their line)."""
    lines = list(state.lines)
    headings, lines = detect_headings(lines, body_style(lines))
    return replace(state, headings=tuple(headings), lines=tuple(lines))


def drop_figure_labels(state: ParseState) -> ParseState:
    """Heading candidates that are words on a figure's image (``summarizer.pdf.figure_text``) go back to the text."""
    from summarizer.pdf.figure_text import headings_off_figures

    return replace(state, headings=tuple(headings_off_figures(state.doc, list(state.headings), list(state.lines),
                                                              state.floats)))


def heading_levels(state: ParseState) -> ParseState:
    return replace(state, headings=tuple(assign_levels(list(state.headings), list(state.lines))))


def merge_outline(state: ParseState) -> ParseState:
    """The outline's headings and levels, completed by headings the text shows and the outline lacks."""
    if not state.outline:
        return state
    return replace(state, headings=tuple(outline_completed(list(state.outline), list(state.headings))))


def keep_outline_shape(state: ParseState) -> ParseState:
    """No unnumbered heading adopts numbered headings whose parent number came before it."""
    levels = keep_numbering([numbering(h.title)[0] for h in state.headings], [h.level for h in state.headings])
    return replace(state, headings=tuple(replace(h, level=level) for h, level in zip(state.headings, levels)))


def find_tables_and_figures(state: ParseState) -> ParseState:
    """Each numbered caption's table or figure with its page (regions and cells later, when asked for:
    ``summarizer.pdf.floats.locate_floats``)."""
    from summarizer.pdf.floats import captioned_floats

    return replace(state, floats=tuple(captioned_floats(state.captions, state.caption_boxes)))


#: The parser's steps, in order. Each takes and returns a ``ParseState``.
STEPS = (read_pages, drop_running_lines, check_text_layer, find_tables_and_figures, find_outline, find_headings,
         drop_figure_labels, heading_levels, merge_outline, keep_outline_shape)


def parse_pdf(data: bytes, source: str = "document.pdf", max_pages: int = DEFAULT_MAX_PAGES,
              use_outline: bool = True) -> Document:
    """Parse PDF bytes into a ``Document``."""
    doc = open_pdf(data)
    try:
        state = ParseState(doc, max_pages, use_outline)
        for step in STEPS:
            state = step(state)
        page_count = doc.page_count
        meta_title = (doc.metadata or {}).get("title") or ""
    finally:
        doc.close()
    document = build_document(list(state.lines), list(state.headings), list(state.captions), source, meta_title,
                              page_count, list(state.notices))
    from summarizer.pdf.floats import assign_sections

    document.floats = assign_sections(document, list(state.floats))
    return document

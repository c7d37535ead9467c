"""One page of a PDF as a PNG, with a sentence highlighted: the "show me where" view.

PyMuPDF renders the page offline, and ``Page.search_for`` finds the sentence's rectangles on it.
Extracted text and the page's own text differ in line breaks, hyphens and ligatures, so a
sentence that is not found whole is looked for in overlapping runs of words (characters for
Chinese); every run found is highlighted. Also used by the grounding bench to check pages.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from summarizer.model.errors import InputError
from summarizer.pdf.engine import pymupdf
from summarizer.text.language import has_han

log = logging.getLogger(__name__)

RUN_WORDS = 5
RUN_CHARS = 8


@dataclass
class PageImage:
    png: bytes
    page: int  # 1-based
    pages: int
    highlighted: int  # rectangles highlighted


def _runs(sentence: str) -> list[str]:
    """Overlapping pieces of a sentence that PyMuPDF can find on a page."""
    sentence = " ".join(sentence.split())
    if has_han(sentence):
        text = re.sub(r"\s", "", sentence)
        step = RUN_CHARS // 2
        return [text[i:i + RUN_CHARS] for i in range(0, max(1, len(text) - RUN_CHARS + 1), step)]
    words = sentence.split()
    if len(words) <= RUN_WORDS:
        return [sentence]
    step = max(1, RUN_WORDS - 1)
    return [" ".join(words[i:i + RUN_WORDS]) for i in range(0, len(words) - RUN_WORDS + 1, step)]


def find_sentence(page, sentence: str) -> list:
    """Rectangles of ``sentence`` on a PyMuPDF page: whole if possible, else its word runs."""
    if not sentence.strip():
        return []
    whole = page.search_for(" ".join(sentence.split()))
    if whole:
        return whole
    rects = []
    for run in _runs(sentence):
        rects.extend(page.search_for(run))
    return rects


def _letters(text: str) -> str:
    """Text reduced to lower-case letters and digits (NFKC: ligatures split), for comparing what
    the parser repaired (hyphens, line breaks, quotes) with the page's raw text."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def text_holds(text: str, sentence: str, share: float = 0.6) -> bool:
    """True when ``text`` (a page's raw text) holds the sentence: whole, in its letters and digits,
    or at least ``share`` of its word runs."""
    text = _letters(text)
    wanted = _letters(sentence)
    if wanted and wanted in text:
        return True
    runs = [_letters(r) for r in _runs(sentence)]
    return bool(runs) and sum(bool(r) and r in text for r in runs) >= share * len(runs)


def page_holds(page, sentence: str, share: float = 0.6) -> bool:
    """True when the PyMuPDF page holds the sentence (see ``text_holds``)."""
    return text_holds(page.get_text(), sentence, share)


def _opened(fitz, data: bytes, purpose: str):
    """The PDF in ``data``, open (a context manager), or ``InputError`` saying it cannot be opened for ``purpose``."""
    try:
        return fitz.open(stream=data, filetype="pdf")
    except Exception as exc:
        log.warning("%s: the PDF could not be opened (%s)", purpose, exc.__class__.__name__)
        raise InputError(f"The PDF could not be opened for {purpose}.") from None


def render_page(data: bytes, page: int, highlight: str = "", zoom: float = 1.6) -> PageImage:
    """The 1-based ``page`` of the PDF in ``data`` as a PNG, ``highlight`` marked in yellow."""
    fitz = pymupdf()
    with _opened(fitz, data, "the page view") as doc:
        count = doc.page_count
        if count == 0:
            raise InputError("The PDF has no pages to show.")
        number = min(max(1, page), count)
        p = doc[number - 1]
        rects = find_sentence(p, highlight) if highlight else []
        for rect in rects:
            p.add_highlight_annot(rect)
        pix = p.get_pixmap(matrix=fitz.Matrix(zoom, zoom), annots=True)
        return PageImage(pix.tobytes("png"), number, count, len(rects))


#: A figure image's longest side in pixels: a huge figure is downsampled, never shown at full scan size.
REGION_MAX_SIDE = 1600


def render_region(data: bytes, page: int, bbox: tuple[float, float, float, float], zoom: float = 2.0) -> bytes:
    """A region of a page (a figure or a table, PDF points) as a PNG, its longest side at most ``REGION_MAX_SIDE``."""
    fitz = pymupdf()
    with _opened(fitz, data, "its figure") as doc:
        if not 1 <= page <= doc.page_count:
            raise InputError(f"The PDF has no page {page}.")
        p = doc[page - 1]
        clip = fitz.Rect(bbox) & p.rect
        if clip.is_empty:
            raise InputError("The figure's region is off its page.")
        side = max(clip.width, clip.height) * zoom
        if side > REGION_MAX_SIDE:
            zoom *= REGION_MAX_SIDE / side
        return p.get_pixmap(matrix=fitz.Matrix(zoom, zoom), clip=clip).tobytes("png")


def first_pages_text(data: bytes, pages: int = 2) -> str:
    """The raw text of the PDF's first ``pages`` pages, running headers, footers and rotated margin stamps
    included (the parser leaves them out of the sections; a paper's venue, DOI and arXiv id often sit there).
    "" when the PDF cannot be opened: the caller reads the record from the parsed document alone."""
    fitz = pymupdf()
    try:
        with _opened(fitz, data, "its first pages") as doc:
            return "\n".join(doc[i].get_text() for i in range(min(pages, doc.page_count)))
    except InputError:
        return ""


# -- page marks in the summary view ------------------------------------------------------------------

#: A page mark in the summary view links to ``#pm-<section index>-<summary line>``: a fragment, so a
#: click never loads another page; the main page's listener turns the click into a page view.
MARK_PREFIX = "pm-"
_MARK = re.compile(rf"^#?{MARK_PREFIX}(\d{{1,6}})-(\d{{1,6}})$")


#: A table or figure named in a summary ("Figure 2", "Table 1") links to ``#fr-<figure|table>-<number>``, opened
#: the same way: its region (or its cells) in a dialog beside the summary.
FLOAT_PREFIX = "fr-"
_FLOAT_REF = re.compile(rf"^#?{FLOAT_PREFIX}(figure|table)-([0-9A-Za-z.]{{1,12}})$")


def float_anchor(label: str) -> str:
    """The link target of a reference to the float labelled ``label`` ("Figure 2" -> ``#fr-figure-2``)."""
    kind, _, number = label.partition(" ")
    return f"#{FLOAT_PREFIX}{kind.lower()}-{number}"


def float_target(floats, anchor: object):
    """The float (of ``floats``) a clicked reference names; None for anything that is not one of them (the value
    comes from the browser)."""
    m = _FLOAT_REF.match(anchor) if isinstance(anchor, str) else None
    if m is None:
        return None
    label = f"{m.group(1).capitalize()} {m.group(2)}"
    return next((f for f in floats if f.label == label), None)


@dataclass(frozen=True)
class MarkTarget:
    """What a clicked page mark shows: the page, the sentence to highlight, the claim it backs."""

    page: int
    sentence: str
    claim: str


def mark_anchor(section: int, line: int) -> str:
    """The link target of the page mark of ``line`` of section ``section``'s summary."""
    return f"#{MARK_PREFIX}{section}-{line}"


def mark_target(result, anchor: object) -> MarkTarget | None:
    """The page behind a clicked mark of ``result`` (a ``DocumentSummary``); None for anything that
    is not one of its marks (the value comes from the browser)."""
    m = _MARK.match(anchor) if isinstance(anchor, str) else None
    if m is None:
        return None
    section, line = int(m.group(1)), int(m.group(2))
    for r in result.sections:
        if r.index != section:
            continue
        for b in r.bullets:
            if b.line == line and b.found and b.pages:
                return MarkTarget(b.pages[0], b.support.sentence if b.support else "", b.text)
    return None

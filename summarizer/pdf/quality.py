"""Is the text layer usable? Pages whose text is missing (scanned images) or garbled (fonts
without a character map extract as private-use or unknown codes) are found and named, so that a
document is never summarized from garbage silently."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.model.errors import GarbledPdfError
from summarizer.pdf.extract import Line, PageText

#: Private-use code points and the replacement character: what a font without a ToUnicode map
#: (a Type 3 font, a subset CJK font) extracts as.
_UNKNOWN = re.compile(r"[\ue000-\uf8ff\U000f0000-\U0010ffff\ufffd]")
#: Control characters never occur in real text; glyph ids read as character codes bring them (a space is \x03).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Any character that could be garbage: a cheap test before counting.
_SUSPECT = re.compile(r"[\ue000-\uf8ff\U000f0000-\U0010ffff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
#: This share of control characters means the whole text is glyph ids, not characters.
CONTROL_SHARE = 0.02


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds of the text-layer check."""

    #: A line or a page with at least this share of garbled characters is unreadable.
    garbled_share: float = 0.3
    #: A document with at least this share of garbled characters (or of garbled pages) is refused
    #: as a whole; below it, the garbled pages are left out and named.
    refuse_share: float = 0.5
    #: A page with fewer visible characters than this has no text layer to speak of.
    empty_chars: int = 20
    #: A page whose images cover at least this share of it carries its content as pictures.
    image_cover: float = 0.5


DEFAULT_QUALITY = QualitySettings()


def visible_count(text: str) -> int:
    """Characters that are not white space (``str.split`` cuts at exactly those, in C)."""
    return sum(map(len, text.split()))


def garbled_share(text: str) -> float:
    """Share of the visible characters that are not text; 1.0 when control codes show that the
    characters are glyph ids."""
    if not _SUSPECT.search(text):
        return 0.0
    chars = visible_count(text)
    if not chars:
        return 0.0
    if len(_CONTROL.findall(text)) / chars >= CONTROL_SHARE:
        return 1.0
    return len(_UNKNOWN.findall(text)) / chars


def page_list(pages: list[int]) -> str:
    """1-based page numbers with runs shortened: "3, 5–7"."""
    out: list[str] = []
    nums = sorted(p + 1 for p in pages)
    start = prev = None
    for n in nums + [None]:
        if start is not None and (n is None or n != prev + 1):
            out.append(str(start) if start == prev else f"{start}–{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ", ".join(out)


@dataclass(frozen=True)
class TextLayer:
    """What the check found: garbled pages, picture-only pages, and the share of garbled text."""

    garbled_pages: tuple[int, ...]
    picture_pages: tuple[int, ...]
    garbled_share: float

    def notices(self) -> list[str]:
        out = []
        if self.garbled_pages:
            out.append(f"Page(s) {page_list(list(self.garbled_pages))} have unreadable text (fonts without a character "
                       "map) and were left out; the Nougat parser can read them from the page images.")
        if self.picture_pages:
            out.append(f"Page(s) {page_list(list(self.picture_pages))} carry only images, no text layer; if they are "
                       "scanned text, run OCR on them or choose the Nougat parser.")
        return out


def check_pages(page_texts: list[str], image_cover: list[float] | None = None,
                cfg: QualitySettings = DEFAULT_QUALITY) -> TextLayer:
    """Garbled and picture-only pages from each page's text (and the share of it images cover,
    computed only for pages with almost no text: pass a callable's results or None)."""
    garbled, pictures = [], []
    bad = total = 0
    for n, text in enumerate(page_texts):
        chars = visible_count(text)
        share = garbled_share(text)
        bad += round(share * chars)
        total += chars
        if chars >= cfg.empty_chars and share >= cfg.garbled_share:
            garbled.append(n)
        elif chars < cfg.empty_chars and image_cover is not None and image_cover[n] >= cfg.image_cover:
            pictures.append(n)
    return TextLayer(tuple(garbled), tuple(pictures), bad / total if total else 0.0)


def _image_cover(page) -> float:
    """Share of the page that its images cover (overlaps counted twice, capped at 1)."""
    area = abs(page.rect.width * page.rect.height) or 1.0
    try:
        boxes = [info["bbox"] for info in page.get_image_info()]
    except Exception:  # a broken image resource: no cover known
        return 0.0
    return min(1.0, sum(abs((b[2] - b[0]) * (b[3] - b[1])) for b in boxes) / area)

def readable_lines(doc, pages: list[PageText], lines: list[Line], notices: list[str]) -> list[Line]:
    """The lines whose text is readable; pages that are garbled or pictures only are named in a
    notice, and a document that is mostly garbled is refused with the way out."""
    texts = [" ".join(line.text for line in pt.lines) for pt in pages]
    cover = [_image_cover(doc[n]) if visible_count(t) < DEFAULT_QUALITY.empty_chars else 0.0
             for n, t in enumerate(texts)]
    layer = check_pages(texts, cover)
    with_text = sum(1 for t in texts if t.strip())
    if layer.garbled_share >= DEFAULT_QUALITY.refuse_share or len(layer.garbled_pages) > with_text * DEFAULT_QUALITY.refuse_share:
        where = page_list(list(layer.garbled_pages)) or "most pages"
        raise GarbledPdfError(
            f"The text of this PDF cannot be read: its fonts carry no character map, so pages {where} extract as "
            "meaningless codes; choose the Nougat parser, which reads the page images instead.")
    notices.extend(layer.notices())
    dropped = set(layer.garbled_pages)
    return [line for line in lines if line.page not in dropped and garbled_share(line.text) < 0.5]

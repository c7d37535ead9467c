"""Tables and figures. Each caption the text layer set apart ("Table 2: …", "Fig. 3.", "表 1", "图 2") becomes a
``Float`` with its number and page while the PDF is parsed (cheap: ``captioned_floats``). Its region, and a
table's cells, are found later by ``locate_floats``, only for a reader who asks for tables and figures:
``find_tables`` costs hundreds of milliseconds a page, so it runs only on pages with a table caption, taking the
table nearest the caption (ruled by lines, else, for a booktabs table of horizontal rules, rules for rows and text
for columns). A figure's region is the images and vector drawings nearest its caption, joined. A caption with no
region found keeps its caption and page (``bbox`` None). Each float is given to the section that cites it first
("Table 2", "Fig. 3"), else to the section its page is in."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from summarizer.model.document import Block, Document, Float, FloatKind
from summarizer.text.float_names import ZH_FIGURE, ZH_TABLE

log = logging.getLogger(__name__)

_NUMBERED = re.compile(r"^\s*(?:(?P<fig>fig(?:ure)?\.?|图)|(?P<tab>tab(?:le)?\.?|表))\s*"
                       r"(?P<num>[0-9]+(?:\.[0-9]+)*[A-Za-z]?|SI\s?[0-9]+|S[0-9]+|[IVXLC]+|[A-Z])(?![\w.]*[0-9])", re.I)
#: How far (PDF points) a region may be from its caption, and the smallest drawing cluster counted as a figure.
NEAR = 260.0
MIN_SIDE = 24.0
#: Cells kept per table (a huge table is cut: its first rows are what a summary cites).
MAX_ROWS = 60
MAX_COLS = 20

Box = tuple[float, float, float, float]

#: Why a table caption's cells are not shown: said under the caption (Markdown, the app, Word, HTML, ``--json``).
SIDEWAYS = "This table is set sideways on its page; its cells were not read. See the page."
AN_IMAGE = "This table is an image, not text; its cells were not read. See the page."
NOT_FOUND = "This table's cells were not found on its page. See the page."


def numbered(caption: str) -> tuple[FloatKind, str] | None:
    """(table or figure, its number) of a caption; None for an algorithm, a listing or an unnumbered one."""
    m = _NUMBERED.match(caption)
    if not m:
        return None
    return (FloatKind.FIGURE if m.group("fig") else FloatKind.TABLE), " ".join(m.group("num").upper().split())


def _gap(a: Box, b: Box) -> float:
    """The vertical distance between two boxes (0 when they overlap vertically)."""
    return max(0.0, max(a[1], b[1]) - min(a[3], b[3]))


def _overlaps_horizontally(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.3 * min(a[2] - a[0], b[2] - b[0])


def _union(boxes: Sequence[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _nearest(caption: Box, regions: list[Box]) -> int | None:
    near = [(i, _gap(caption, r)) for i, r in enumerate(regions) if _overlaps_horizontally(caption, r)]
    near = [(i, g) for i, g in near if g <= NEAR]
    return min(near, key=lambda x: x[1])[0] if near else None


def _figure_regions(page) -> list[Box]:
    """The page's images and clusters of vector drawings large enough to be a figure."""
    boxes: list[Box] = []
    try:
        for info in page.get_image_info():
            boxes.append(tuple(info["bbox"]))
    except Exception:  # a page whose images cannot be listed: drawings may still be there
        log.debug("images of page %d not listed", page.number + 1)
    try:
        boxes += [tuple(r) for r in page.cluster_drawings()]
    except Exception:
        log.debug("drawings of page %d not clustered", page.number + 1)
    area = page.rect
    return [b for b in boxes if b[2] - b[0] >= MIN_SIDE and b[3] - b[1] >= MIN_SIDE
            and (b[2] - b[0]) * (b[3] - b[1]) < 0.95 * area.width * area.height]


def _table_cells(table, words: list) -> list[list[str]]:
    """A table's cells as text: the page's words whose middle falls in each cell, in reading order. PyMuPDF's own
    ``extract`` cuts a cell's text character by character, and splits "0.81" into "081" and "." where a font's
    period sits lower than its digits; words are what the rest of the parse reads."""
    try:
        grid = [list(row.cells) for row in table.rows[:MAX_ROWS]]
        x0, y0, x1, y1 = table.bbox
    except Exception:
        return []
    # the table's own words, once: each cell then looks through a few dozen, not the whole page
    words = [w for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1]
    out = []
    for row in grid:
        cells = []
        for box in row[:MAX_COLS]:
            inside = [] if box is None else [
                w for w in words if box[0] <= (w[0] + w[2]) / 2 < box[2] and box[1] <= (w[1] + w[3]) / 2 < box[3]]
            cells.append(" ".join(w[4] for w in sorted(inside, key=lambda w: (w[5], w[6], w[7]))))
        out.append(cells)
    return out


def captioned_floats(captions: Sequence[Block], boxes: Sequence[Box]) -> list[Float]:
    """The parse's share (cheap): each numbered caption as a float with its page; the caption's box is kept
    (``caption_box``) so ``locate_floats`` can find the region later, when someone looks."""
    out: list[Float] = []
    for caption, box in zip(captions, boxes, strict=False):
        kind_number = numbered(caption.text)
        if kind_number and caption.page:
            f = Float(kind_number[0], kind_number[1], " ".join(caption.text.split()), caption.page)
            f.caption_box = tuple(box)
            out.append(f)
    return _first_of_each(out)


def locate_floats(data: bytes, floats: Sequence[Float]) -> list[Float]:
    """Regions for ``floats`` (and a table's cells), read from the PDF in ``data``: the costly share — hundreds of
    milliseconds per page with a table — done only when tables and figures are asked for. A float whose region is
    not found keeps its caption and page."""
    from summarizer.pdf.extract import open_pdf

    doc = open_pdf(data)
    try:
        by_page: dict[int, list[Float]] = {}
        for f in floats:
            if f.bbox is None and f.caption_box is not None and 1 <= f.page <= doc.page_count:
                by_page.setdefault(f.page, []).append(f)
        for page_no, items in sorted(by_page.items()):
            _locate_on_page(doc[page_no - 1], items)
    finally:
        doc.close()
    return list(floats)


def _locate_on_page(page, items: list[Float]) -> None:
    page_no = page.number + 1
    tables, figures = [], []
    if any(f.kind == FloatKind.TABLE for f in items):
        try:
            tables = list(page.find_tables().tables)
        except Exception as exc:  # a page find_tables cannot read: the captions stay, without cells
            log.info("tables of page %d not read (%s)", page_no, exc.__class__.__name__)
    if any(f.kind == FloatKind.FIGURE for f in items):
        figures = _figure_regions(page)
    used_tables: set[int] = set()
    ruled: list | None = None  # booktabs tables: horizontal rules only, columns from the text
    words: list | None = None  # the page's words, read once for the cells of its tables
    for f in items:
        box = f.caption_box
        if f.kind == FloatKind.TABLE:
            free = [(i, tuple(t.bbox)) for i, t in enumerate(tables) if i not in used_tables]
            pick = _nearest(box, [b for _, b in free])
            if pick is None and ruled is None:
                try:
                    ruled = list(page.find_tables(horizontal_strategy="lines", vertical_strategy="text").tables)
                except Exception as exc:
                    log.info("ruled tables of page %d not read (%s)", page_no, exc.__class__.__name__)
                    ruled = []
                tables += ruled
                free = [(i, tuple(t.bbox)) for i, t in enumerate(tables) if i not in used_tables]
                pick = _nearest(box, [b for _, b in free])
            if pick is not None:
                index = free[pick][0]
                used_tables.add(index)
                if words is None:
                    words = page.get_text("words")
                f.bbox, f.rows = free[pick][1], _table_cells(tables[index], words)
            if not any(any(c.strip() for c in row) for row in f.rows):
                f.note = _why_no_cells(page, box)
        else:
            pick = _nearest(box, figures)
            if pick is None:
                continue
            # the figure: the nearest region and those beside it on the same side of the caption
            first = figures[pick]
            above = first[3] <= box[1] + 2
            group = [r for r in figures if _overlaps_horizontally(box, r) and _gap(first, r) <= 12
                     and ((r[3] <= box[1] + 2) if above else (r[1] >= box[3] - 2))]
            f.bbox = _union(group or [first])


def _why_no_cells(page, caption: Box) -> str:
    """Why no cells were read for the table captioned at ``caption``: its caption runs sideways (a landscape table
    on a portrait page), an image sits at the caption (a table pasted as a picture, or a scanned page under its
    recognised text), or the cells were not found."""
    try:
        images = [tuple(info["bbox"]) for info in page.get_image_info()]
    except Exception:  # a page that cannot be read again: say only that the cells were not found
        return NOT_FOUND
    if page.rotation in (90, 270) or _sideways(_lines_at(page, caption)):
        return SIDEWAYS
    return AN_IMAGE if _nearest(caption, images) is not None else NOT_FOUND


def _lines_at(page, caption: Box | None) -> list[dict]:
    """The page's text lines (PyMuPDF's dicts) that meet the caption's box."""
    if caption is None:
        return []
    try:
        lines = [line for block in page.get_text("dict").get("blocks", []) for line in block.get("lines", [])]
    except Exception:
        return []
    return [line for line in lines if _meets(tuple(line.get("bbox", (0, 0, 0, 0))), caption)]


def _sideways(lines: list[dict]) -> bool:
    """A caption that runs up or down the page: its table is turned with it."""
    return any(abs(line.get("dir", (1, 0))[1]) > 0.7 for line in lines)


def _meets(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _first_of_each(floats: list[Float]) -> list[Float]:
    """One float per label: a caption repeated (a continued table, "Table 2 (continued)") keeps the first."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for f in floats:
        if (f.kind, f.number) not in seen:
            seen.add((f.kind, f.number))
            kept.append(f)
    return kept


def assign_sections(document: Document, floats: list[Float]) -> list[Float]:
    """Each float with the section that cites it first, else the section whose pages hold it."""
    for f in floats:
        word = r"(?:tables?|tab\.)" if f.kind == FloatKind.TABLE else r"(?:figures?|figs?\.)"
        cites = re.compile(rf"\b{word}\s*{re.escape(f.number)}\b"
                           rf"|{ZH_TABLE if f.kind == FloatKind.TABLE else ZH_FIGURE}\s*{re.escape(f.number)}(?!\.?\d)", re.I)
        f.section = next((i for i, s in enumerate(document.sections) if s.kind != "caption" and cites.search(s.text)), None)
        if f.section is None:
            f.section = next((i for i, s in enumerate(document.sections)
                              if s.page_start and s.page_start <= f.page <= (s.page_end or s.page_start)), None)
    return floats

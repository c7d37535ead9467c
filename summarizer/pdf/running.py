"""Drop running headers and footers (repeated at the page edges), page numbers and line numbers (step 2).

A line is at a page's edge when it lies in the page's top or bottom share (``RunningSettings.edge``), or when it is
on the page's outermost text rows (``RunningSettings.edge_rows``): a wide-margin layout (Springer's LNCS, a thesis
template) sets its running head below the top share, but still above everything else on the page. The title page is
judged by the share alone, so a title that the running heads repeat stays.
"""

from __future__ import annotations

import re
from collections import Counter

from summarizer.pdf.config import DEFAULT_RUNNING, RunningSettings
from summarizer.pdf.extract import Line, PageText

_ONLY_NUMBER = re.compile(r"^[\s\divxlcIVXLC.\-–—()/|]*$")


def drop_running_lines(pages: list[PageText], heights: list[float],
                        cfg: RunningSettings = DEFAULT_RUNNING) -> list[PageText]:
    """Pages without their running headers/footers (repeated at the page edges), page and line numbers."""
    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())
    edges = [_edge_lines(pt, h, cfg, first=n == 0) for n, (pt, h) in enumerate(zip(pages, heights))]
    edge_counts: Counter = Counter()
    for at_edge in edges:
        edge_counts.update({key(line) for line in at_edge.values()})
    threshold = max(2, int(len(pages) * cfg.repeat_share))
    out: list[PageText] = []
    for pt, at_edge in zip(pages, edges):
        kept = []
        for line in pt.lines:
            if _ONLY_NUMBER.match(line.text) and len(line.text) <= cfg.number_chars:
                continue  # page numbers, line numbers, stray roman numerals
            if id(line) in at_edge and edge_counts[key(line)] >= threshold and len(pages) >= cfg.min_pages:
                continue
            kept.append(line)
        out.append(PageText(kept, list(pt.captions), list(pt.caption_boxes)))
    return out


def _edge_lines(page: PageText, height: float, cfg: RunningSettings, first: bool) -> dict[int, Line]:
    """The page's lines at its edge, by ``id``: in the top or bottom share of the page, or (past the title page) on
    its ``edge_rows`` outermost rows of text (lines whose tops lie within ``row_gap`` points form one row)."""
    at_edge = {id(line): line for line in page.lines if line.y1 < height * cfg.edge or line.y0 > height * (1 - cfg.edge)}
    if first or not page.lines:
        return at_edge
    rows = sorted({round(line.y0) for line in page.lines})
    merged: list[int] = []
    for y in rows:
        if not merged or y - merged[-1] > cfg.row_gap:
            merged.append(y)
    if len(merged) <= 2 * cfg.edge_rows:  # a nearly empty page: no body to set its edges apart from
        return at_edge
    top, bottom = merged[cfg.edge_rows - 1] + cfg.row_gap, merged[-cfg.edge_rows] - cfg.row_gap
    for line in page.lines:
        if line.y0 <= top or line.y0 >= bottom:
            at_edge[id(line)] = line
    return at_edge

"""Drop running headers and footers (repeated at the page edges), page numbers and line numbers (step 2)."""

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
    edge_counts: Counter = Counter()
    for pt, h in zip(pages, heights):
        seen = set()
        for line in pt.lines:
            if line.y1 < h * cfg.edge or line.y0 > h * (1 - cfg.edge):
                seen.add(key(line))
        edge_counts.update(seen)
    threshold = max(2, int(len(pages) * cfg.repeat_share))
    out: list[PageText] = []
    for pt, h in zip(pages, heights):
        kept = []
        for line in pt.lines:
            at_edge = line.y1 < h * cfg.edge or line.y0 > h * (1 - cfg.edge)
            if _ONLY_NUMBER.match(line.text) and len(line.text) <= cfg.number_chars:
                continue  # page numbers, line numbers, stray roman numerals
            if at_edge and edge_counts[key(line)] >= threshold and len(pages) >= cfg.min_pages:
                continue
            kept.append(line)
        out.append(PageText(kept, list(pt.captions), list(pt.caption_boxes)))
    return out

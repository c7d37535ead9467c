"""Words drawn over a figure's image are the figure's labels ("光源", "Substrate"), never a heading, however large
their type. Only the pages that carry a figure caption are looked at, and only the headings that have no number;
an image that covers most of its page is a background (or the scan under an OCR text layer), not a figure.
"""

from __future__ import annotations

import logging

from summarizer.model.document import FloatKind
from summarizer.pdf.extract import Line
from summarizer.pdf.headings import Heading
from summarizer.text.kinds import kind_from_title

log = logging.getLogger(__name__)

#: An image covering more of its page than this is a background or a scan, not a figure with labels on it.
BACKGROUND_SHARE = 0.6
#: How far (points) a label may reach past its figure's edge and still be read as on it.
SLACK = 6.0
#: Images this close (points) belong to one figure: a diagram is often set as many tiles.
GAP = 8.0
#: A page with more images than this (a picture cut into pieces) is not searched for labels: merging is quadratic.
MAX_IMAGES = 300


def headings_off_figures(doc, headings: list[Heading], lines: list[Line], floats) -> list[Heading]:
    """``headings`` without the unnumbered ones whose lines lie on a figure's image, on pages with a figure caption; a
    heading that names a section's kind ("References", "Conclusion") stays wherever it lies (a watermark or a
    cropped image's full box may reach under it)."""
    figure_pages = {f.page - 1 for f in floats if f.kind == FloatKind.FIGURE}
    boxes: dict[int, list[tuple[float, float, float, float]]] = {}
    kept = []
    for h in headings:
        first = lines[h.index] if 0 <= h.index < len(lines) else None
        if h.numbered or first is None or first.page not in figure_pages or kind_from_title(h.title) is not None:
            kept.append(h)
            continue
        if first.page not in boxes:
            boxes[first.page] = _figure_images(doc[first.page])
        if any(_on(line, box) for box in boxes[first.page] for line in lines[h.index:max(h.end, h.index + 1)]):
            log.debug("heading candidate %r on p. %d lies on a figure's image: a label", h.title, first.page + 1)
            continue
        kept.append(h)
    return kept


def _figure_images(page) -> list[tuple[float, float, float, float]]:
    """The regions of a page's figures drawn as images: images that touch (within ``GAP``) merged into one, as a
    diagram set as tiles is one figure; a region that covers most of the page is a background, not a figure."""
    area = max(1.0, page.rect.width * page.rect.height)
    try:
        boxes = [tuple(info["bbox"]) for info in page.get_image_info()]
    except Exception:  # a damaged image list: no labels found, nothing dropped
        return []
    if len(boxes) > MAX_IMAGES:
        return []
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] - GAP <= b[2] and b[0] - GAP <= a[2] and a[1] - GAP <= b[3] and b[1] - GAP <= a[3]:
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return [b for b in boxes if (b[2] - b[0]) * (b[3] - b[1]) < BACKGROUND_SHARE * area]


def _on(line: Line, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    return line.x0 >= x0 - SLACK and line.x1 <= x1 + SLACK and line.y0 >= y0 - SLACK and line.y1 <= y1 + SLACK

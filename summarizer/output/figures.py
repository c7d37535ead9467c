"""Figures written next to the Markdown on export: ``<name>_assets/figure-N.png``, one per figure with a region,
each cut from its page (``pdf.page_view.render_region``), at most ``MAX_TOTAL_BYTES`` in all (the rest keep their
caption and page); the Markdown links them by a relative path, so the folder moves with it (Obsidian, Git)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from summarizer.config.paths import write_atomic
from summarizer.model.document import Document, FloatKind
from summarizer.model.errors import SummarizerError

log = logging.getLogger(__name__)
MAX_TOTAL_BYTES = 20 * 2**20


def write_figures(document: Document, pdf: bytes, markdown_path: Path) -> dict[str, str]:
    """Each figure's image beside ``markdown_path``; label -> its path relative to the Markdown."""
    from summarizer.pdf.page_view import render_region

    folder = markdown_path.with_name(markdown_path.stem + "_assets")
    links: dict[str, str] = {}
    total = 0
    for f in document.floats:
        if f.kind != FloatKind.FIGURE or f.bbox is None:
            continue
        try:
            png = render_region(pdf, f.page, f.bbox)
        except SummarizerError as exc:
            log.info("%s not written: %s", f.label, exc)
            continue
        if total + len(png) > MAX_TOTAL_BYTES:
            log.info("figures past %d MB are not written (%s and after)", MAX_TOTAL_BYTES >> 20, f.label)
            break
        name = "figure-" + re.sub(r"[^0-9A-Za-z.]+", "-", f.number).strip("-") + ".png"
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / name, png)
        total += len(png)
        links[f.label] = f"{folder.name}/{name}"
    return links

"""Figures on export: each figure with a region cut from its page as a PNG (``pdf.page_view.render_region``), at
most ``MAX_TOTAL_BYTES`` in all (the rest keep their caption and page). ``Figures`` holds them for one document:
Word and HTML embed them; Markdown and Obsidian link them in ``<name>_assets/figure-N.png`` beside the note, by a
relative path, so the folder moves with it (Obsidian, Git)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from summarizer.config.paths import write_atomic
from summarizer.model.document import Document, FloatKind
from summarizer.model.errors import SummarizerError

log = logging.getLogger(__name__)
MAX_TOTAL_BYTES = 20 * 2**20
PNG = b"\x89PNG\r\n\x1a\n"


def figure_file(label: str) -> str:
    """A figure's file name from its label: "Figure 3" → ``figure-3.png``, "Figure S1.2" → ``figure-S1.2.png``."""
    number = re.sub(r"^\s*figure\s*", "", label, flags=re.I)
    return "figure-" + (re.sub(r"[^0-9A-Za-z.]+", "-", number).strip("-.") or "x") + ".png"


def assets_folder(name: str) -> str:
    """The folder a note's figures go in, beside it: ``paper.summary.md`` → ``paper.summary_assets``."""
    return Path(name).stem + "_assets"


@dataclass(frozen=True)
class Figures:
    """One document's figure images (label -> PNG bytes) and ``folder``, where they lie relative to the note that
    links them ("" when they are not written as files: the Markdown formats then leave the images out)."""

    images: Mapping[str, bytes] = field(default_factory=dict)
    folder: str = ""

    def links(self) -> dict[str, str]:
        """label -> the image's relative link from the note (URL-quoted: a space or a '#' stays part of the path)."""
        if not self.folder:
            return {}
        return {label: quote(f"{self.folder}/{figure_file(label)}") for label in self.images}

    def files(self) -> dict[str, bytes]:
        """The files to write beside the note: relative path -> PNG bytes."""
        return {f"{self.folder}/{figure_file(label)}": png for label, png in self.images.items()} if self.folder else {}


def figure_images(document: Document, pdf: bytes) -> dict[str, bytes]:
    """Each figure's image cut from its page (label -> PNG), in page order, up to ``MAX_TOTAL_BYTES`` in all."""
    from summarizer.pdf.page_view import render_region

    images: dict[str, bytes] = {}
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
        images[f.label] = png
        total += len(png)
    return images


def write_figures(document: Document, pdf: bytes, markdown_path: Path) -> dict[str, str]:
    """Each figure's image beside ``markdown_path``; label -> its path relative to the Markdown."""
    figures = Figures(figure_images(document, pdf), assets_folder(markdown_path.name))
    for relative, png in figures.files().items():
        target = markdown_path.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, png)
    return figures.links()

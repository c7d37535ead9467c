"""The export menu under a summary (the main page, History, a shared link): every format of ``output.formats``
besides the Markdown button — Obsidian, Zotero, BibTeX, RIS, Word, HTML, JSON — in one pop-over.

The file is made only when the button is clicked: ``st.download_button`` is given a callable, so a rerun of the
page never builds a Word file nobody asked for. The callable runs outside the script's context, so it reads
nothing from the session: everything it needs is bound when the menu is drawn. An export that fails gives a
one-line text file saying why (a download cannot show a message on the page), and the reason is in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from summarizer.model.errors import SummarizerError
from summarizer.model.results import DocumentSummary
from summarizer.output.formats import Format, export, export_bundle, file_name
from summarizer.output.provenance import Provenance

log = logging.getLogger(__name__)

#: The formats the menu offers, in its order (Markdown has its own button beside it).
MENU = (Format.OBSIDIAN, Format.ZOTERO, Format.ZOTERO_EXTRA, Format.BIB, Format.RIS, Format.DOCX, Format.HTML,
        Format.JSON)


def export_maker(result: DocumentSummary, fmt: Format, provenance: Provenance | None,
                 pdf: bytes | None, include_reasoning: bool = False) -> Callable[[], bytes]:
    """The file of ``result`` in ``fmt``, made when called: Word and HTML embed the figures found on the PDF."""
    def make() -> bytes:
        try:
            images = _figures(result, pdf) if fmt in (Format.DOCX, Format.HTML) else None
            return export(result, fmt, images, provenance=provenance, pdf=pdf, include_reasoning=include_reasoning)
        except (SummarizerError, OSError, ValueError) as exc:
            log.warning("the %s export of '%s' failed", fmt, result.document.title, exc_info=True)
            return f"The {fmt.spec.label} export could not be made: {exc}\n".encode()
    return make


def bundle_maker(result: DocumentSummary, provenance: Provenance | None, pdf: bytes | None,
                 include_reasoning: bool = False) -> Callable[[], bytes]:
    """Every format in one zip, with the figures beside the notes, made when called."""
    def make() -> bytes:
        try:
            return export_bundle(result, figures=_figures(result, pdf), provenance=provenance, pdf=pdf,
                                 include_reasoning=include_reasoning)
        except (SummarizerError, OSError, ValueError) as exc:
            log.warning("the zip of every format of '%s' failed", result.document.title, exc_info=True)
            import io
            import zipfile

            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as bundle:
                bundle.writestr("export-failed.txt", f"The export could not be made: {exc}\n")
            return out.getvalue()
    return make


def _figures(result: DocumentSummary, pdf: bytes | None) -> dict[str, bytes] | None:
    """The figures cut from the PDF, once "Tables and figures" has found their regions; else None."""
    if not pdf or not any(f.bbox for f in result.document.floats):
        return None
    from summarizer.output.figures import figure_images

    return figure_images(result.document, pdf)


def export_menu(st, result: DocumentSummary, *, key: str, provenance: Provenance | None = None,
                pdf: bytes | None = None, include_reasoning: bool = False) -> None:
    """A "More formats" pop-over: the formats as a list to pick from, and the download button (no rerun on
    click). A pop-over fits beside the Markdown button in a narrow column, and shows every format at once.
    ``include_reasoning``: the model's reasoning goes where the Markdown download put it."""
    with st.popover("More formats", key=f"{key}_formats", width="stretch"):
        st.download_button("⬇️ All formats (.zip)", data=bundle_maker(result, provenance, pdf, include_reasoning),
                           file_name=file_name(result.document, Format.MD).removesuffix(".summary.md") + ".zip",
                           mime="application/zip", on_click="ignore", key=f"{key}_bundle", type="primary",
                           help="The Markdown, the Obsidian note with its figures folder, the Zotero note and Extra "
                                "field, BibTeX, RIS, Word, the web page and the JSON, in one zip")
        fmt = st.radio("Export as", MENU, format_func=lambda f: f.spec.label, key=f"{key}_format",
                       help="Obsidian (front matter, callouts), a Zotero note or its Extra field, the paper's BibTeX "
                            "or RIS, Word, a standalone web page, or the JSON of the run")
        st.download_button(f"⬇️ Download {fmt.spec.label}", data=export_maker(result, fmt, provenance, pdf, include_reasoning),
                           file_name=file_name(result.document, fmt), mime=fmt.media_type.split(";")[0],
                           on_click="ignore", key=f"{key}_export")

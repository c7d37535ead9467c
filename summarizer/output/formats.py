"""Every way a summary leaves the program, in one registry: its name, file suffix and media type, and one function
that makes it, ``export(result, fmt) -> bytes``. The command line, the batch writer and the app's download menu
all go through it.

==============  ======================  ================================  ================================================
format          suffix                  media type                        what it is
==============  ======================  ================================  ================================================
md              ``.summary.md``         text/markdown                     the Markdown summary (``render_markdown``)
obsidian        ``.md``                 text/markdown                     a note with properties and callouts (the file
                                                                          name is the note's name in the vault)
zotero          ``.zotero.html``        text/html                         a Zotero note (paste it into a note)
zotero-extra    ``.zotero-extra.txt``   text/plain                        lines for the item's Extra field
bib             ``.bib``                application/x-bibtex              the paper's BibTeX entry
ris             ``.ris``                application/x-research-info-sys…  the paper's RIS record, the Zotero note as N1
docx            ``.docx``               application/vnd.openxml…          Word, with figures and provenance
html            ``.html``               text/html                         a standalone page that loads nothing
json            ``.json``               application/json                  the run as ``summarize --json`` prints it
==============  ======================  ================================  ================================================

Typical use::

    from summarizer.output.formats import Format, export, file_name
    data = export(result, Format.BIB)                       # bytes
    name = file_name(result.document, Format.BIB)           # "My_Paper.bib"

``export`` reads the paper's record from the document (``output.citation``); pass ``pdf`` (the PDF's bytes) to
let it read the first pages' headers and stamps too, or a ``reference`` read once for several formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from enum import StrEnum

from summarizer.model.document import Document
from summarizer.model.errors import InputError
from summarizer.model.results import DocumentSummary
from summarizer.output.citation import Reference, read_reference
from summarizer.output.figures import Figures
from summarizer.output.provenance import Provenance
from summarizer.output.render import file_base, safe_file_name


class Format(StrEnum):
    """An export format; its value is the name the command line takes (``--format bib``)."""

    MD = "md"
    OBSIDIAN = "obsidian"
    ZOTERO = "zotero"
    ZOTERO_EXTRA = "zotero-extra"
    BIB = "bib"
    RIS = "ris"
    DOCX = "docx"
    HTML = "html"
    JSON = "json"

    @property
    def spec(self) -> FormatSpec:
        return SPECS[self]

    @property
    def suffix(self) -> str:
        return SPECS[self].suffix

    @property
    def media_type(self) -> str:
        return SPECS[self].media_type

    @property
    def binary(self) -> bool:
        return SPECS[self].binary


@dataclass(frozen=True)
class FormatSpec:
    suffix: str  # what a file of this format ends with
    media_type: str
    label: str  # for a menu: "BibTeX (.bib)"
    binary: bool = False  # not text: never printed on a terminal


SPECS: dict[Format, FormatSpec] = {
    Format.MD: FormatSpec(".summary.md", "text/markdown; charset=utf-8", "Markdown (.md)"),
    Format.OBSIDIAN: FormatSpec(".md", "text/markdown; charset=utf-8", "Obsidian note (.md)"),
    Format.ZOTERO: FormatSpec(".zotero.html", "text/html; charset=utf-8", "Zotero note (.html)"),
    Format.ZOTERO_EXTRA: FormatSpec(".zotero-extra.txt", "text/plain; charset=utf-8", "Zotero Extra field (.txt)"),
    Format.BIB: FormatSpec(".bib", "application/x-bibtex; charset=utf-8", "BibTeX (.bib)"),
    Format.RIS: FormatSpec(".ris", "application/x-research-info-systems; charset=utf-8", "RIS (.ris)"),
    Format.DOCX: FormatSpec(".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                            "Word (.docx)", binary=True),
    Format.HTML: FormatSpec(".html", "text/html; charset=utf-8", "Web page (.html)"),
    Format.JSON: FormatSpec(".json", "application/json", "JSON (.json)"),
}


def parse_formats(values: str | Iterable[str]) -> list[Format]:
    """Formats from "md,bib" or ["md", "bib,ris"] (a repeated flag), each once, in the order given; an unknown
    name is refused in one sentence that lists the valid ones."""
    names = [values] if isinstance(values, str) else list(values)
    chosen: list[Format] = []
    for name in (n.strip().lower() for value in names for n in value.split(",")):
        if not name:
            continue
        try:
            fmt = Format(name)
        except ValueError:
            raise InputError(f"Unknown format '{name}'; choose from {', '.join(f.value for f in Format)}.") from None
        if fmt not in chosen:
            chosen.append(fmt)
    if not chosen:
        raise InputError(f"Name at least one format: {', '.join(f.value for f in Format)}.")
    return chosen


def output_stem(name: str) -> str:
    """The name several formats' files share, from a file name given for them: the name without the format suffix it
    ends with (the longest: ``paper.summary.md`` → ``paper``, ``refs.bib`` → ``refs``), else without its last
    extension (``paper.txt`` → ``paper``)."""
    lowered = name.lower()
    for suffix in sorted({f.suffix for f in Format}, key=len, reverse=True):
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def file_name(document: Document, fmt: Format | str, stem: str = "") -> str:
    """A safe file name for ``document`` in ``fmt``: ``stem`` (else the document's file name or title) made safe for
    every file system (``render.safe_file_name``), with the format's suffix."""
    fmt = Format(fmt)
    return safe_file_name(stem or file_base(document.title, document.source), fmt.suffix)


def export(result: DocumentSummary, fmt: Format | str, images: Figures | Mapping[str, bytes] | None = None,
           when: datetime | None = None, *, provenance: Provenance | None = None, reference: Reference | None = None,
           pdf: bytes | None = None, include_reasoning: bool = False) -> bytes:
    """``result`` in ``fmt``, as the file's bytes (UTF-8 for the text formats).

    - ``images``: the figures (``figures.Figures``, or label -> PNG bytes): Word and HTML embed them; Markdown and
      Obsidian link them where ``Figures.folder`` says they are written (nowhere: left out).
    - ``when``: the date the export states (default: now); ``provenance``: how it was made (default: from
      ``result`` alone: backend, cost, unverified numbers; ``Provenance.of(result, settings)`` adds the model, the
      endpoint's host and the prompts).
    - ``reference``: the paper's record (default: read from the document and, given ``pdf``, its first pages).
    """
    fmt = Format(fmt)
    figures = images if isinstance(images, Figures) else Figures(dict(images or {}))
    when = when or (provenance.when if provenance and provenance.when else datetime.now(timezone.utc))
    provenance = provenance or Provenance.of(result, when=when)
    if provenance.when is None:
        provenance = replace(provenance, when=when)
    if fmt == Format.MD:
        from summarizer.output.render import render_markdown

        return render_markdown(result, include_reasoning, when, figures.links() or None).encode("utf-8")
    if fmt == Format.JSON:
        from summarizer.output.render import render_markdown
        from summarizer.output.summary_json import summary_json

        markdown = render_markdown(result, include_reasoning, when, figures.links() or None)
        return json.dumps(summary_json(result.document, result, markdown), ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == Format.ZOTERO_EXTRA:
        from summarizer.output.zotero import zotero_extra

        return zotero_extra(result).encode("utf-8")
    if reference is None:
        reference = read_reference(result.document, first_pages(pdf))
    if fmt == Format.BIB:
        from summarizer.output.bibtex import to_bibtex

        return to_bibtex(reference).encode("utf-8")
    if fmt == Format.OBSIDIAN:
        from summarizer.output.obsidian import obsidian_note

        return obsidian_note(result, reference, provenance, figures.links() or None, include_reasoning).encode("utf-8")
    from summarizer.output.report import build_report

    report = build_report(result, provenance, reference, figures.images, include_reasoning)
    if fmt == Format.RIS:
        from summarizer.output.bibtex import to_ris
        from summarizer.output.zotero import zotero_note

        return to_ris(reference, result.document.abstract, zotero_note(report)).encode("utf-8")
    if fmt == Format.ZOTERO:
        from summarizer.output.zotero import zotero_note

        return zotero_note(report).encode("utf-8")
    if fmt == Format.HTML:
        from summarizer.output.html_page import html_page

        return html_page(report).encode("utf-8")
    from summarizer.output.word import docx_bytes

    return docx_bytes(report)


def first_pages(pdf: bytes | None) -> str:
    """The raw text of a PDF's first pages ("" without one, or for bytes that are not a PDF)."""
    if not pdf or not pdf.lstrip()[:5] == b"%PDF-":
        return ""
    from summarizer.pdf.page_view import first_pages_text

    return first_pages_text(pdf)


def file_names(formats: Iterable[Format | str], stem: str) -> dict[Format, str]:
    """Each format's file name for one document: ``stem`` made safe, plus the format's suffix."""
    return {Format(f): safe_file_name(stem, Format(f).suffix) for f in formats}


def export_files(result: DocumentSummary, names: Mapping[Format, str], *, figures: Mapping[str, bytes] | None = None,
                 assets: str = "", when: datetime | None = None, provenance: Provenance | None = None,
                 pdf: bytes | None = None, reference: Reference | None = None,
                 include_reasoning: bool = False) -> dict[str, bytes]:
    """The files of one document (relative path -> bytes): each format of ``names`` (format -> its relative path),
    and, when a Markdown format is among them and ``figures`` (label -> PNG) are given, the figures in ``assets``
    (a folder relative to the notes: they link there). The paper's record is read once, from the document and
    ``pdf``'s first pages, unless ``reference`` is given."""
    reference = reference or read_reference(result.document, first_pages(pdf))
    linked = assets if figures and any(Format(f) in (Format.MD, Format.OBSIDIAN) for f in names) else ""
    images = Figures(dict(figures or {}), linked)
    files = {name: export(result, fmt, images, when, provenance=provenance, reference=reference,
                          include_reasoning=include_reasoning) for fmt, name in names.items()}
    files.update(images.files())
    return files


def export_bundle(result: DocumentSummary, *, figures: Mapping[str, bytes] | None = None,
                  provenance: Provenance | None = None, pdf: bytes | None = None, when: datetime | None = None,
                  include_reasoning: bool = False) -> bytes:
    """Every format of one document in one zip (the app's one-click download): the notes, the paper's record, Word,
    the web page and the JSON under the document's file name, and the figures in ``NAME_assets/``, where the
    Markdown and Obsidian notes link them; unzipped into a vault, the links hold."""
    import io
    import zipfile

    stem = file_base(result.document.title, result.document.source)
    files = export_files(result, file_names(list(Format), stem), figures=figures, assets=safe_file_name(stem) + "_assets",
                         when=when, provenance=provenance, pdf=pdf, include_reasoning=include_reasoning)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(files.items()):
            bundle.writestr(name, data)
    return out.getvalue()

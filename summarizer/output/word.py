"""Word (.docx) from a ``Report``, with python-docx: the title, the paper's facts, headings, bullets with their
page marks, tables (a table's cells as the paper prints them, the key results), figures (the PNG cut from the page,
where one was given) and a provenance block. Text goes in as runs, never as markup; characters XML cannot hold
(control characters a PDF may carry) are dropped, so no document can make the file unreadable."""

from __future__ import annotations

import io
import logging
import re

from summarizer.output.figures import PNG
from summarizer.output.report import Block, Bullets, Code, Figure, Heading, Paragraph, Report, Runs, Table

log = logging.getLogger(__name__)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Figures are set this wide (inches): the text width of a Letter or A4 page with Word's default margins.
FIGURE_WIDTH = 6.0


def xml_text(value: object) -> str:
    """Text Word can store: characters XML 1.0 forbids removed."""
    return _NOT_XML.sub("", str(value))


def _runs(paragraph, runs: Runs) -> None:
    for r in runs:
        run = paragraph.add_run(xml_text(r.text))
        run.bold = r.bold or None
        run.italic = r.italic or None
        if r.code:
            run.font.name = "Consolas"


def _table(doc, rows, header: bool = True) -> None:
    from docx.shared import Pt

    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    table.style = "Table Grid"
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = xml_text(value)
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)
                    run.bold = (header and i == 0) or None


def _block(doc, block: Block) -> None:
    if isinstance(block, Heading):
        doc.add_heading(xml_text(block.text), level=max(1, min(block.level, 9)))
    elif isinstance(block, Paragraph):
        p = doc.add_paragraph(style="Quote" if block.note else None)
        _runs(p, block.runs)
    elif isinstance(block, Bullets):
        base = "List Number" if block.ordered else "List Bullet"
        for depth, runs in block.items:
            _runs(doc.add_paragraph(style=base if depth == 0 else f"{base} {min(depth + 1, 3)}"), runs)
    elif isinstance(block, Table):
        if block.title:
            doc.add_paragraph(xml_text(block.title), style="Caption")
        _table(doc, block.rows)
    elif isinstance(block, Code):
        p = doc.add_paragraph()
        run = p.add_run(xml_text(block.text))
        run.font.name = "Consolas"
    elif isinstance(block, Figure):
        _figure(doc, block)


def _figure(doc, figure: Figure) -> None:
    from docx.shared import Inches

    if figure.png and figure.png.startswith(PNG):
        try:
            doc.add_picture(io.BytesIO(figure.png), width=Inches(FIGURE_WIDTH))
        except Exception as exc:  # a PNG python-docx cannot read: the caption still says what the figure is
            log.info("%s not embedded in the .docx: %s", figure.label, exc.__class__.__name__)
    p = doc.add_paragraph(style="Caption")
    p.add_run(xml_text(figure.label)).bold = True
    p.add_run(xml_text(f" (p. {figure.page}): {figure.caption}"))
    if figure.description:
        shows = doc.add_paragraph()
        shows.add_run(xml_text(f"Figure shows ({figure.described_by or 'the model'}): ")).italic = True
        shows.add_run(xml_text(figure.description))


def docx_bytes(report: Report) -> bytes:
    """The report as a .docx file."""
    import docx

    doc = docx.Document()
    props = doc.core_properties
    props.title = xml_text(report.title)[:255]
    props.author = xml_text(dict(report.meta).get("Authors", ""))[:255]
    props.comments = xml_text(f"Summary made by Summarizer with {report.provenance.backend}")[:255]
    props.language = xml_text(report.language)[:32]
    doc.add_heading(xml_text(report.title), level=0)
    for label, value in report.meta:
        p = doc.add_paragraph()
        p.add_run(xml_text(f"{label}: ")).bold = True
        p.add_run(xml_text(value))
    for block in report.blocks:
        _block(doc, block)
    doc.add_heading("Provenance", level=1)
    _table(doc, report.provenance.rows(), header=False)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

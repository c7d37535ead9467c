"""A literature table written out: CSV (UTF-8 with a BOM, so Excel shows Chinese), XLSX and Markdown, every cell
with its citation and the synthesis after the table. Document text is data in each: CSV and XLSX cells never
run as formulas, Markdown cells are escaped (``output.escape``)."""

from __future__ import annotations

import csv
import io

from summarizer.output.escape import csv_cell, escape_text, markdown_cell, safe_markdown
from summarizer.table.model import LiteratureTable

FORMATS = ("csv", "xlsx", "md", "json")
#: Each paper's identity before its cells; "Key" is its BibTeX key, the one its .bib/.ris/Obsidian exports carry.
_LEAD = ["Paper", "Title", "Authors", "Year", "Source", "Key"]


def table_rows(table: LiteratureTable) -> list[list[str]]:
    """The header and one row per paper: its key, title, authors, year, source and citation key, then each column's
    cell text."""
    rows = [_LEAD + [c.name for c in table.columns]]
    for row in table.rows:
        authors = ", ".join(row.authors[:6]) + (" et al." if len(row.authors) > 6 else "")
        lead = [row.key, row.title, authors, row.year, row.source, row.citekey]
        if row.error:
            rows.append(lead + [f"not read: {row.error}"] + [""] * (len(table.columns) - 1))
        else:
            rows.append(lead + [row.cells[c.key].text if c.key in row.cells else "" for c in table.columns])
    return rows


def _synthesis_lines(table: LiteratureTable) -> list[str]:
    s = table.synthesis
    lines = []
    if s.text:
        lines += ["## Synthesis", "", safe_markdown(s.text), ""]
    if s.conflicts:
        lines += ["### Numbers that differ between papers", ""]
        for c in s.conflicts:
            side = "; ".join(f"{p}: {escape_text(v)} {escape_text(cite)}" for p, v, cite in c.values)
            lines.append(f"- {escape_text(c.column)} ({escape_text(c.measure)}): {side}")
        lines.append("")
    for label, items in (("Numbers in the synthesis that no cell holds", s.unverified),
                         ("Citations dropped (they name no paper or page of the table)", s.dropped_citations)):
        if items:
            lines += [f"> {label}: {escape_text(', '.join(items))}", ""]
    if s.error:
        lines += [f"> {escape_text(s.error)}", ""]
    return lines


def to_markdown(table: LiteratureTable) -> str:
    rows = table_rows(table)
    lines = [f"# Literature table: {escape_text(table.title)}", "",
             f"Made with {escape_text(table.backend)}" + (" — stopped before every paper was read." if table.stopped else "."), ""]
    lines.append("| " + " | ".join(markdown_cell(h) for h in rows[0]) + " |")
    lines.append("|" + "---|" * len(rows[0]))
    lines += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows[1:]]
    lines.append("")
    lines += [f"> {escape_text(n)}" for n in table.notes]
    return "\n".join(lines + _synthesis_lines(table)).rstrip() + "\n"


def to_csv(table: LiteratureTable) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerows([[csv_cell(v) for v in row] for row in table_rows(table)])
    if table.synthesis.text:
        writer.writerow([])
        writer.writerow(["Synthesis", csv_cell(table.synthesis.text)])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def to_xlsx(table: LiteratureTable) -> bytes:
    """The table on one sheet and the synthesis on another (openpyxl, in requirements.txt)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    def text(value: object) -> str:  # control characters openpyxl refuses are dropped, nothing else changes
        return ILLEGAL_CHARACTERS_RE.sub("", str(value))

    book = Workbook()
    sheet = book.active
    sheet.title = "table"
    for row in table_rows(table):
        sheet.append([text(v) for v in row])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # document text, never a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate([7, 40, 24, 6, 24, 18] + [45] * len(table.columns)):
        sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = width
    notes = book.create_sheet("synthesis")
    for line in (table.synthesis.text or "").splitlines() or [""]:
        notes.append([text(line)])
        notes.cell(notes.max_row, 1).data_type = "s"
    for c in table.synthesis.conflicts:
        notes.append([text(f"{c.column} ({c.measure}): " + "; ".join(f"{p}: {v} {cite}" for p, v, cite in c.values))])
        notes.cell(notes.max_row, 1).data_type = "s"
    notes.column_dimensions["A"].width = 140
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(table: LiteratureTable, fmt: str) -> bytes:
    import json

    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    if fmt == "md":
        return to_markdown(table).encode("utf-8")
    if fmt == "json":
        return json.dumps(table.as_json(), ensure_ascii=False, indent=1).encode("utf-8")
    raise ValueError(f"unknown format {fmt}")

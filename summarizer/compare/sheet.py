"""The blind rating sheet: one row per document, the two runs' summaries side by side in a random order per
row, their faithfulness flags, costs and latencies, and empty columns for the rater's choice and comment.
Which run is "summary 1" on each row is only in the key file beside it (``<sheet>.key.json``)."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

from summarizer.compare.runs import BatchRun, RunDocument
from summarizer.config.paths import write_atomic

COLUMNS = ("id", "title", "genre", "length", "summary 1", "summary 2", "flags 1", "flags 2", "cost 1 (USD)",
           "cost 2 (USD)", "seconds 1", "seconds 2", "choice", "comment")
CHOICE_HELP = "choice: 1, 2 or tie"
XLSX_CELL = 32_000  # Excel holds at most 32,767 characters in a cell


@dataclass
class SheetFiles:
    csv: Path
    xlsx: Path | None
    key: Path
    rows: int


def key_path(sheet: Path) -> Path:
    """The key file of a sheet written as ``X.csv`` / ``X.xlsx``: ``X.key.json``."""
    return sheet.with_name(sheet.stem + ".key.json")


def flags(doc: RunDocument) -> str:
    """What the faithfulness check and the run said about one summary, in words."""
    said = []
    if doc.unverified_numbers:
        said.append(f"{doc.unverified_numbers} number(s) not found in the text")
    if doc.failed_sections:
        said.append(f"{doc.failed_sections} section(s) failed")
    if doc.status != "done":
        said.append(doc.status)
    return "; ".join(said)


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def sheet_rows(pairs: list[tuple[RunDocument, RunDocument]], seed: int) -> tuple[list[list[str]], dict[str, str]]:
    """The sheet's rows and, per document, the order shown: "ab" (summary 1 is run A) or "ba"."""
    rng = random.Random(seed)
    rows, order = [], {}
    for a, b in pairs:
        first, second = (a, b) if rng.random() < 0.5 else (b, a)
        order[a.id] = "ab" if first is a else "ba"
        rows.append([a.id, a.title, a.genre, a.band, first.summary, second.summary, flags(first), flags(second),
                     _money(first.cost_usd), _money(second.cost_usd),
                     "" if first.seconds is None else f"{first.seconds:.2f}",
                     "" if second.seconds is None else f"{second.seconds:.2f}", "", ""])
    return rows, order


@dataclass
class SheetBytes:
    """A rating sheet's files as bytes (the app downloads them; ``write_sheet`` writes them)."""

    csv: bytes
    xlsx: bytes | None
    key: bytes
    rows: int


def sheet_bytes(pairs: list[tuple[RunDocument, RunDocument]], a: BatchRun, b: BatchRun,
                seed: int | None = None) -> SheetBytes:
    """The CSV (UTF-8 with a BOM, so Excel shows Chinese), the XLSX (when openpyxl is installed) and the key."""
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    rows, order = sheet_rows(pairs, seed)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows([[csv_cell(value) for value in row] for row in rows])
    key = {"a": {"label": a.label, "folder": str(a.folder)}, "b": {"label": b.label, "folder": str(b.folder)},
           "seed": seed, "order": order,
           "note": "order 'ab': summary 1 is run a; 'ba': summary 1 is run b. Keep this file from the raters."}
    return SheetBytes(("\ufeff" + text.getvalue()).encode("utf-8"), _xlsx_bytes(rows),
                      json.dumps(key, ensure_ascii=False, indent=1).encode("utf-8"), len(rows))


def write_sheet(pairs: list[tuple[RunDocument, RunDocument]], a: BatchRun, b: BatchRun, base: Path,
                seed: int | None = None) -> SheetFiles:
    """``base``.csv, ``base``.xlsx (when openpyxl is installed) and ``base``.key.json."""
    made = sheet_bytes(pairs, a, b, seed)
    base.parent.mkdir(parents=True, exist_ok=True)
    csv_path = base.with_name(base.name + ".csv")  # not with_suffix: "run-gpt-4.1" keeps its ".1"
    write_atomic(csv_path, made.csv)
    xlsx_path = base.with_name(base.name + ".xlsx") if made.xlsx is not None else None
    if xlsx_path is not None:
        write_atomic(xlsx_path, made.xlsx)
    write_atomic(key_path(csv_path), made.key)
    return SheetFiles(csv_path, xlsx_path, key_path(csv_path), made.rows)


def _xlsx_bytes(rows: list[list[str]]) -> bytes | None:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
        from openpyxl.worksheet.datavalidation import DataValidation
    except ImportError:
        return None
    book = Workbook()
    sheet = book.active
    sheet.title = "ratings"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_text_cell(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # document text, never a formula
    for letter, width in zip("ABCDEFGHIJKLMN", (14, 30, 9, 14, 70, 70, 24, 24, 11, 11, 9, 9, 9, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    choice = DataValidation(type="list", formula1='"1,2,tie"', allow_blank=True, showErrorMessage=True,
                            errorTitle="choice", error=CHOICE_HELP)
    choice.add(f"M2:M{len(rows) + 1}")
    sheet.add_data_validation(choice)
    sheet.freeze_panes = "E2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL]


def csv_cell(value: str) -> str:
    """A cell Excel will not run: text from a document starting with = + @ or -x is a formula to Excel when the
    CSV is opened, so it gets a leading apostrophe (a Markdown bullet, "- x", is left as it is)."""
    if value[:1] in ("=", "+", "@", "\t", "\r") or (value.startswith("-") and not value.startswith("- ")):
        return "'" + value
    return value

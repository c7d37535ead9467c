"""A rating sheet read back and what it says: each side's win rate with a 95 % confidence interval (Wilson),
overall, by document kind and by length band; and the agreement of two raters (Cohen's kappa).

The sheet may come back edited by hand: rows reordered or removed, columns added or moved, blank ratings,
Excel's CSV dialect (a semicolon in some locales, a BOM, GB18030 on Chinese Windows) or an .xlsx file."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from summarizer.compare.sheet import key_path
from summarizer.model.errors import InputError

Z95 = 1.959964
A, B, TIE = "a", "b", "tie"
_FIRST = {"1", "summary 1", "s1", "first", "#1", "一", "第一", "1号"}
_SECOND = {"2", "summary 2", "s2", "second", "#2", "二", "第二", "2号"}
_TIE = {"tie", "=", "0", "both", "neither", "same", "equal", "平", "相同", "一样"}


@dataclass
class Rating:
    id: str
    winner: str  # A, B or TIE (the run, not the column)
    comment: str = ""
    genre: str = ""
    band: str = ""


@dataclass
class Tally:
    """Ratings of one group of documents."""

    a: int = 0
    b: int = 0
    tie: int = 0

    @property
    def n(self) -> int:
        return self.a + self.b + self.tie

    def add(self, winner: str) -> None:
        setattr(self, winner, getattr(self, winner) + 1)

    def win_rate(self, side: str = A) -> tuple[float, float, float] | None:
        """``side``'s share of the decided ratings (ties left out) and its Wilson 95 % interval."""
        decided = self.a + self.b
        if not decided:
            return None
        return wilson(self.a if side == A else self.b, decided)


def wilson(wins: int, n: int, z: float = Z95) -> tuple[float, float, float]:
    """The share ``wins / n`` and its Wilson score interval (sound for small n and shares near 0 or 1)."""
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def cohen_kappa(first: dict[str, str], second: dict[str, str]) -> tuple[float | None, int]:
    """Cohen's kappa of two raters over the documents both rated (categories a, b, tie), and how many."""
    common = sorted(set(first) & set(second))
    if not common:
        return None, 0
    n = len(common)
    observed = sum(first[i] == second[i] for i in common) / n
    one, two = Counter(first[i] for i in common), Counter(second[i] for i in common)
    expected = sum(one[c] * two[c] for c in (A, B, TIE)) / (n * n)
    if expected >= 1:
        return (1.0 if observed == 1 else 0.0), n
    return (observed - expected) / (1 - expected), n


def read_key(path: Path) -> dict:
    try:
        data = path.read_bytes()
    except OSError:
        raise InputError(f"The sheet's key file '{path}' is missing or unreadable (give it with --key).") from None
    return parse_key(path.name, data)


def parse_key(name: str, data: bytes) -> dict:
    try:
        key = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        key = None
    sides_ok = isinstance(key, dict) and all(isinstance(key.get(side), dict) and isinstance(key[side].get("label"), str)
                                             and isinstance(key[side].get("folder"), str) for side in ("a", "b"))
    if not sides_ok or not isinstance(key.get("order"), dict) or \
            not all(v in ("ab", "ba") for v in key["order"].values()):
        raise InputError(f"'{name}' is not a rating sheet's key file.")
    return key


def read_ratings(sheet: str | Path, key_file: str | Path | None = None) -> tuple[list[Rating], dict, list[str]]:
    """The ratings of a filled sheet (runs, not columns), its key, and notes on rows that were not read."""
    path = Path(sheet)
    if not path.is_file():
        raise InputError(f"There is no rating sheet at '{path}'.")
    key = read_key(Path(key_file) if key_file else _find_key(path))
    return ratings_from(path.name, path.read_bytes(), key)


def ratings_from(name: str, data: bytes, key: dict) -> tuple[list[Rating], dict, list[str]]:
    """``read_ratings`` for a sheet in memory (an upload) and its parsed key."""
    path = Path(name)
    rows = _xlsx_rows(path, data) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path, data)
    if not rows:
        raise InputError(f"'{path.name}' has no rows.")
    header = [_norm(h) for h in rows[0]]
    try:
        at_id, at_choice = header.index("id"), header.index("choice")
    except ValueError:
        raise InputError(f"'{path.name}' has no 'id' and 'choice' columns (the sheet compare wrote has both).") from None
    at = {name: header.index(name) for name in ("comment", "genre", "length") if name in header}
    ratings, notes, seen = [], [], set()
    ids = [str(row[at_id] if at_id < len(row) and row[at_id] is not None else "").strip().lstrip("'") for row in rows[1:]]
    if any(ids) and not set(ids) & set(key["order"]):
        raise InputError(f"None of the documents of '{path.name}' is in its key: the key belongs to another sheet.")
    for n, row in enumerate(rows[1:], 2):
        cells = [str(c if c is not None else "").strip() for c in row]
        doc_id = cells[at_id].lstrip("'") if at_id < len(cells) else ""
        choice = _norm(cells[at_choice]) if at_choice < len(cells) else ""
        if not doc_id or not choice:
            continue  # not rated (yet)
        order = key["order"].get(doc_id)
        if order is None:
            notes.append(f"row {n}: '{doc_id}' is not a document of this sheet")
            continue
        column = 1 if choice in _FIRST else 2 if choice in _SECOND else 0 if choice in _TIE else None
        if column is None:
            notes.append(f"row {n}: '{cells[at_choice]}' is not 1, 2 or tie")
            continue
        if doc_id in seen:
            notes.append(f"row {n}: '{doc_id}' rated twice (the first rating counts)")
            continue
        seen.add(doc_id)
        winner = TIE if column == 0 else (A if (column == 1) == (order == "ab") else B)
        extra = {name: cells[i] if i < len(cells) else "" for name, i in at.items()}
        ratings.append(Rating(doc_id, winner, extra.get("comment", ""), extra.get("genre", ""), extra.get("length", "")))
    return ratings, key, notes


def _find_key(sheet: Path) -> Path:
    direct = key_path(sheet)
    if direct.is_file():
        return direct
    stem = re.sub(r"\s*\(\d+\)$|[-_ ]?(filled|rated|ratings|copy|副本)$", "", sheet.stem, flags=re.I)  # "X (1).xlsx"
    candidate = sheet.with_name(stem + ".key.json")
    return candidate if candidate.is_file() else direct


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().strip("'").casefold()


def _csv_rows(path: Path, data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"'{path.name}' is not a text file.")
    header = text.split("\n", 1)[0]
    # the delimiter from the header line alone (the sniffer, fed summaries, guessed quote characters from
    # their apostrophes); quoting as Excel writes it: '"' doubled inside a cell
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True))
    except csv.Error as exc:
        raise InputError(f"'{path.name}' is not a readable CSV file ({exc}).") from None


def _xlsx_rows(path: Path, data: bytes) -> list[list]:
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise InputError("Reading .xlsx needs openpyxl (pip install -r requirements.txt), or save the sheet as CSV.") from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"'{path.name}' is not a readable .xlsx file ({exc.__class__.__name__}).") from None
    sheet = book["ratings"] if "ratings" in book.sheetnames else book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@dataclass
class RatingReport:
    """Win rates overall, by kind and by length band."""

    overall: Tally
    by_genre: dict[str, Tally]
    by_band: dict[str, Tally]

    def lines(self) -> list[str]:
        """The report in words, one line per group (overall, each kind, each length band); A and B are the
        key's runs a and b."""
        out = [f"overall: {describe(self.overall, 'A', 'B')}"]
        for name, groups in (("kind", self.by_genre), ("length", self.by_band)):
            out += [f"{name} {group}: {describe(t, 'A', 'B')}" for group, t in sorted(groups.items())]
        return out


def tally(ratings: list[Rating]) -> RatingReport:
    report = RatingReport(Tally(), {}, {})
    for r in ratings:
        report.overall.add(r.winner)
        report.by_genre.setdefault(r.genre or "?", Tally()).add(r.winner)
        report.by_band.setdefault(r.band or "?", Tally()).add(r.winner)
    return report


def describe(t: Tally, a_label: str, b_label: str) -> str:
    """One line: the ratings and A's win rate with its interval."""
    rate = t.win_rate(A)
    share = "no decided ratings" if rate is None else \
        f"{a_label} wins {rate[0]:.0%} of decided (95% CI {rate[1]:.0%}–{rate[2]:.0%})"
    return f"{t.n} rated: {t.a} {a_label}, {t.b} {b_label}, {t.tie} tie; {share}"

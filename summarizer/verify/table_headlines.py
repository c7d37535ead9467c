"""A results table's headline numbers, read from its cells (``Float.rows``, found by ``pdf.floats``): for each
column that names a metric whose better direction is known ("F1", "accuracy" up; "error", "latency", "ms" down; an
↑ or ↓ in its header), the paper's own row's value against the best other row where the table has such a row
("Ours", "proposed", or the name the paper's title gives its system), else the best row's value against the
runner-up.

Only tables read cleanly are used: a row label, then one number per cell. A cell holding several numbers (a table
whose columns ran together on extraction) or words makes the row unread, and a table with too few clean rows gives
nothing — a wrong headline is worse than none."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.model.document import Float

#: Columns read per table, and rows a table can give.
MAX_COLUMNS = 2
_CELL = re.compile(r"\s*[*†‡§]*\s*([+\-−]?\d+(?:[.,]\d+)?|[+\-−]?\.\d+)\s*(%?)\s*(?:(?:±|\+/-)\s*\d*\.?\d+\s*%?)?"
                   r"\s*[*†‡§]*\s*(?:\(\s*[+\-−]?\d*\.?\d+\s*%?\s*\))?\s*[*†‡§]?\s*")
_UP = re.compile(r"↑|\b(?:higher|larger|more) is better\b|\b(?:accuracy|acc|precision|recall|f1|f-?measure|f-?score|"
                 r"auc|bleu|rouge\S*|meteor|map|ndcg|mrr|iou|dice|kappa|κ|agreement|score|success|hit|top-?\d|"
                 r"throughput|speed-?up|r2|r²|correlation|pearson|spearman)\b|准确率|精度|召回率|得分", re.I)
_DOWN = re.compile(r"↓|\b(?:lower|smaller|less) is better\b|\b(?:error|err|loss|wer|cer|ter|perplexity|ppl|mae|rmse|"
                   r"mse|fid|latency|time|runtime|seconds?|ms|sec|memory|cost|distance|rank)\b|误差|耗时|时间|损失", re.I)
_OURS = re.compile(r"\bours\b|\(our\)|\bproposed\b|\bthis (?:work|paper)\b|本文|我们", re.I)


@dataclass(frozen=True)
class Headline:
    """One headline of a table: the metric (its column), the value and whose it is, and what it beats."""

    measure: str
    value: str
    against: str


def number_cell(cell: str) -> tuple[float, str] | None:
    """A cell that is one number (with its %, a ± spread, a bracketed change or a footnote mark): its value and the
    number as written; None for words, empty cells and cells holding several numbers."""
    m = _CELL.fullmatch(cell or "")
    if not m:
        return None
    written = m.group(1).replace("−", "-")
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+", written.lstrip("+")):
        value = float(written.replace(",", ""))  # "1,234": thousands
    else:
        value = float(written.replace(",", ".") if written.count(",") == 1 and "." not in written else written)
    return value, (m.group(1) + m.group(2)).strip()


def direction(header: str) -> int:
    """+1 when a larger value of this column is better, -1 when a smaller one is, 0 when its header does not say."""
    down, up = _DOWN.search(header), _UP.search(header)
    if "↑" in header or "↓" in header:
        return 1 if "↑" in header else -1
    return -1 if down and not up else 1 if up and not down else 0


def _columns(header_rows: list[list[str]], width: int) -> list[str]:
    """Each column's name from the header rows, a spanning header (a cell with empty cells to its right in a row
    above the last) carried over the columns it spans."""
    names = [""] * width
    for depth, row in enumerate(header_rows):
        cells = [" ".join(c.split()) for c in row] + [""] * (width - len(row))
        carried = ""
        for i, cell in enumerate(cells[:width]):
            carried = cell or (carried if depth < len(header_rows) - 1 else "")
            names[i] = f"{names[i]} {carried}".strip()
    return names


def table_headlines(table: Float, names: tuple[str, ...] = ()) -> list[Headline]:
    """The table's headlines, at most ``MAX_COLUMNS``; ``names``: what the paper calls its own system (from its
    title), so that row is read as the paper's own."""
    rows = [[str(c) for c in r] for r in table.rows if any(str(c).strip() for c in r)]
    if len(rows) < 3:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = 0
    while header < min(3, len(rows)) and not any(number_cell(c) for c in rows[header][1:]):
        header += 1
    body = rows[header:]
    clean = [r for r in body if r[0].strip() and number_cell(r[0]) is None
             and all(number_cell(c) for c in r[1:] if c.strip()) and any(c.strip() for c in r[1:])]
    if header == 0 or len(clean) < 2 or 3 * len(clean) < 2 * len(body):
        return []
    columns, own_names = _columns(rows[:header], width), _columns(rows[header - 1:header], width)
    ours = [r for r in clean if _OURS.search(r[0]) or any(
        re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", r[0], re.I) for n in names)]  # "BERT", never "RoBERTa"
    out: list[Headline] = []
    for col in range(1, width):
        sign = direction(own_names[col]) or direction(columns[col])  # its own header first: "Latency (ms)" under
        # a spanning "F-measure" that PDF extraction cannot tell from one spanning a single column
        values = [(number_cell(r[col]), " ".join(r[0].split())) for r in clean if r[col].strip()]
        if len(values) < 2 or not columns[col]:
            continue
        if sign and len(ours) == 1 and ours[0][col].strip():
            own = number_cell(ours[0][col])
            others = [(v, label) for v, label in values if label != " ".join(ours[0][0].split())]
            best = max(others, key=lambda x: sign * x[0][0]) if others else None
            out.append(Headline(f"{columns[col]} ({' '.join(ours[0][0].split())})", own[1],
                                f"{best[1]} {best[0][1]}" if best else ""))
        elif sign:
            ranked = sorted(values, key=lambda x: -sign * x[0][0])
            if ranked[0][0][0] == ranked[1][0][0]:
                continue  # a tie names no best
            out.append(Headline(f"{columns[col]} ({ranked[0][1]})", ranked[0][0][1], f"{ranked[1][1]} {ranked[1][0][1]}"))
        if len(out) >= MAX_COLUMNS:
            break
    return out


def system_names(title: str) -> tuple[str, ...]:
    """What a title calls the paper's own system: the name before its colon ("LinearPartition: …", "BERT: …"),
    three words at most. Other names in a title are as often its baselines or its topic ("… faster than PyTorch",
    "COVID-19") and are not taken."""
    head = " ".join(title.split(":", 1)[0].split()) if ":" in title else ""
    return (head,) if head and len(head.split()) <= 3 and len(head) >= 2 else ()

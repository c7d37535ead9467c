"""Two stored runs of one document side by side: sections paired by title, a word-level diff, the
costs, the faithfulness flags and the reviewers' ratings of each, exported as Markdown or CSV.

Titles, summaries, flags and comments are document (or reviewer) text: the Markdown export escapes
every cell (``markdown_cell``), and the CSV export guards every value against formula injection
(``csv_cell``), field note 29.
"""

from __future__ import annotations

import csv
import difflib
import html
import io
import re
from dataclasses import dataclass

from summarizer.output.escape import csv_cell, escape_text, markdown_cell
from summarizer.output.render import clean_title
from summarizer.store.history import RunRecord, SectionRecord

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+(?:[.'’,-][^\W_]+)*|\s+|.", re.S)


@dataclass
class PairedSection:
    """One row of the comparison: the same section in run A and run B (either may be missing)."""

    title: str
    a: SectionRecord | None
    b: SectionRecord | None

    @staticmethod
    def _text(record: SectionRecord | None) -> str:
        if record is None:
            return ""
        r = record.result
        if r.status == "failed":
            return f"(failed: {r.error})"
        if r.status == "skipped":
            return f"(not summarized: {r.note})" if r.note else "(not summarized)"
        if not r.ok:
            return "(not summarized yet)"
        return r.summary.strip()

    @property
    def text_a(self) -> str:
        return self._text(self.a)

    @property
    def text_b(self) -> str:
        return self._text(self.b)

    @staticmethod
    def flags(record: SectionRecord | None) -> list[str]:
        if record is None:
            return []
        r = record.result
        return list(r.unverified_numbers) + [f"“{q}”" for q in r.unverified_quotes]


def _key(title: str) -> str:
    return re.sub(r"\W+", " ", clean_title(title)).strip().lower()


def pair_sections(a: RunRecord, b: RunRecord) -> list[PairedSection]:
    """Sections matched by title (a renamed or merged section stands alone), in run A's order."""
    rows: list[PairedSection] = []
    b_by_key: dict[str, list[SectionRecord]] = {}
    for s in b.sections:
        b_by_key.setdefault(_key(s.result.title), []).append(s)
    used: set[int] = set()
    for s in a.sections:
        candidates = [c for c in b_by_key.get(_key(s.result.title), []) if c.result.index not in used]
        match = candidates[0] if candidates else None
        if match is not None:
            used.add(match.result.index)
        rows.append(PairedSection(clean_title(s.result.title), s, match))
    for s in b.sections:
        if s.result.index not in used:
            rows.append(PairedSection(clean_title(s.result.title), None, s))
    return [r for r in rows if not (_skipped(r.a) and _skipped(r.b))]


def _skipped(record: SectionRecord | None) -> bool:
    return record is None or record.result.status == "skipped"


def tokens(text: str) -> list[str]:
    """Words (a Chinese character counts as one), spaces and punctuation, in order."""
    return _TOKEN.findall(text)


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """``(op, text)`` pieces: op is "same", "del" (only in A) or "ins" (only in B)."""
    ta, tb = tokens(a), tokens(b)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(ta[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("del", "".join(ta[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("ins", "".join(tb[j1:j2])))
    return out


def diff_html(a: str, b: str) -> str:
    """The word diff as escaped HTML (document text is data, never markup: field note 29)."""
    style = {"same": "{}", "del": "<del style='background:#fde2e1'>{}</del>", "ins": "<ins style='background:#dcf5e3'>{}</ins>"}
    body = "".join(style[op].format(html.escape(text)) for op, text in word_diff(a, b))
    return f"<div style='white-space:pre-wrap;line-height:1.5'>{body}</div>"


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, tokens(a), tokens(b), autojunk=False).ratio() if (a or b) else 1.0


def _cost(record: RunRecord) -> str:
    info = record.info
    if info.cost_usd is not None:
        return f"${info.cost_usd:.4f}"
    if info.tokens_in or info.tokens_out:
        return f"{info.tokens_in:,} in / {info.tokens_out:,} out tokens"
    return "free (no model calls)"


def run_label(record: RunRecord) -> str:
    """How a run is named in pickers: date, backend, length and its id's tail (labels must be unique:
    a picker maps the label back to its run)."""
    import time

    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.info.started))
    return f"{when} · {record.backend_label} · {record.info.length} · #{record.info.id[-8:]}"


def differing_settings(a: RunRecord, b: RunRecord) -> list[str]:
    """What differs between the two runs: settings, then the prompts whose content changed."""
    out = []
    for key in sorted(set(a.settings) | set(b.settings)):
        if key in ("backend_label", "workers"):
            continue
        if a.settings.get(key) != b.settings.get(key):
            out.append(f"{key}: {a.settings.get(key)} → {b.settings.get(key)}")
    changed = [n for n in sorted(set(a.prompts) | set(b.prompts)) if a.prompts.get(n) != b.prompts.get(n)]
    if changed:
        out.append("prompts changed: " + ", ".join(changed))
    return out


def _rating(record: SectionRecord | RunRecord | None) -> str:
    if record is None:
        return ""
    rating = record.info.rating if isinstance(record, RunRecord) else record.rating
    return "" if rating is None else str(rating)


def _comment(record: SectionRecord | RunRecord | None) -> str:
    if record is None:
        return ""
    return record.info.comment if isinstance(record, RunRecord) else record.comment


CSV_COLUMNS = ["document", "section", "run_a", "run_b", "summary_a", "summary_b", "status_a", "status_b",
               "unverified_a", "unverified_b", "rating_a", "rating_b", "comment_a", "comment_b", "similarity"]


OVERALL = "Overall summary"
WHOLE_RUN = "(whole run)"


def _overview_text(record: RunRecord) -> str:
    if record.overview.strip():
        return record.overview.strip()
    return f"(failed: {record.overview_error})" if record.overview_error else "(no overall summary)"


def _overview_status(record: RunRecord) -> str:
    return "done" if record.overview.strip() else ("failed" if record.overview_error else "missing")


def export_csv(a: RunRecord, b: RunRecord) -> str:
    """One row for the overall summary, one per section, then one "(whole run)" row with the costs,
    the runs' status and their ratings. Every value is guarded against formula injection."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS + ["cost_a", "cost_b"], lineterminator="\n")
    writer.writeheader()
    base = {"document": a.info.title, "run_a": f"{a.info.id} ({a.backend_label})", "run_b": f"{b.info.id} ({b.backend_label})"}
    overview_a, overview_b = _overview_text(a), _overview_text(b)
    rows = [{**base, "section": OVERALL, "summary_a": overview_a, "summary_b": overview_b,
             "status_a": _overview_status(a), "status_b": _overview_status(b),
             "unverified_a": "; ".join(a.overview_unverified), "unverified_b": "; ".join(b.overview_unverified),
             "similarity": f"{similarity(overview_a, overview_b):.2f}"}]
    for row in pair_sections(a, b):
        rows.append({**base, "section": row.title, "summary_a": row.text_a, "summary_b": row.text_b,
                     "status_a": row.a.result.status if row.a else "missing",
                     "status_b": row.b.result.status if row.b else "missing",
                     "unverified_a": "; ".join(row.flags(row.a)), "unverified_b": "; ".join(row.flags(row.b)),
                     "rating_a": _rating(row.a), "rating_b": _rating(row.b), "comment_a": _comment(row.a),
                     "comment_b": _comment(row.b), "similarity": f"{similarity(row.text_a, row.text_b):.2f}"})
    rows.append({**base, "section": WHOLE_RUN, "status_a": a.info.status, "status_b": b.info.status,
                 "rating_a": _rating(a), "rating_b": _rating(b), "comment_a": _comment(a), "comment_b": _comment(b),
                 "cost_a": _cost(a), "cost_b": _cost(b)})
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(text: str) -> str:
    return markdown_cell(text)


def export_markdown(a: RunRecord, b: RunRecord) -> str:
    """The comparison as a Markdown document: the runs, what differs, then a table per section."""
    lines = [f"# Comparison: {escape_text(clean_title(a.info.title))}", "",
             "| | Run A | Run B |", "|---|---|---|",
             f"| run | {_cell(a.info.id)} | {_cell(b.info.id)} |",
             f"| backend | {_cell(a.backend_label)} | {_cell(b.backend_label)} |",
             f"| length / language | {_cell(a.info.length)} / {_cell(a.info.language)} | "
             f"{_cell(b.info.length)} / {_cell(b.info.language)} |",
             f"| cost | {_cost(a)} | {_cost(b)} |",
             f"| sections done / failed | {a.info.sections_done} / {a.info.sections_failed} | "
             f"{b.info.sections_done} / {b.info.sections_failed} |",
             f"| not found in the source | {sum(len(s.result.unverified_numbers) for s in a.sections)} | "
             f"{sum(len(s.result.unverified_numbers) for s in b.sections)} |",
             f"| rating (1-5) | {_rating(a) or '–'} {_cell(_comment(a))} | {_rating(b) or '–'} {_cell(_comment(b))} |"]
    differences = differing_settings(a, b)
    if differences:
        lines += ["", "**What differs:** " + escape_text("; ".join(differences))]
    lines += ["", f"## {OVERALL}", "", "| Run A | Run B |", "|---|---|", f"| {_cell(_overview_text(a))} | {_cell(_overview_text(b))} |"]
    for row in pair_sections(a, b):
        lines += ["", f"## {escape_text(row.title)}", "", "| Run A | Run B |", "|---|---|",
                  f"| {_cell(row.text_a)} | {_cell(row.text_b)} |"]
        flags_a, flags_b = row.flags(row.a), row.flags(row.b)
        if flags_a or flags_b:
            lines.append(f"| not in source: {_cell(', '.join(flags_a)) or '–'} | not in source: {_cell(', '.join(flags_b)) or '–'} |")
        if _rating(row.a) or _rating(row.b) or _comment(row.a) or _comment(row.b):
            lines.append(f"| rating: {_rating(row.a) or '–'} {_cell(_comment(row.a))} | "
                         f"rating: {_rating(row.b) or '–'} {_cell(_comment(row.b))} |")
    return "\n".join(lines) + "\n"

"""The synthesis across a table's papers: what they share and where they differ, every claim citing the cells
it rests on as ``[P2 §3, p. 4]``, and the numbers papers report differently for one measure, side by side.

Offline it is written from the cells themselves: per column, the terms two or more papers' cells share, which
papers do not report it, and the conflicting numbers. With the model, one request reads the cells (never the
papers again) and writes it; every citation it gives must name a paper of the table and a section or page one
of that paper's cells cites (others are dropped and listed), and its numbers must be in the cells (those that
are not are listed as unverified). The number conflicts are found by rule either way."""

from __future__ import annotations

import logging
import re
from collections import defaultdict

from summarizer.ask.qa import ask_problem
from summarizer.config.settings import Settings
from summarizer.llm.answers import field_text, parse_answer
from summarizer.llm.requests import ModelRequests
from summarizer.model.errors import SummarizerError
from summarizer.table.model import CellStatus, Conflict, LiteratureTable, Method, PaperRow, Synthesis
from summarizer.text.terms import terms
from summarizer.verify.faithfulness import check_summary, numbers_in
from summarizer.verify.key_results import measure_of

log = logging.getLogger(__name__)

#: A synthesis citation: [P2 §3, p. 4], [P2 §3], [P2, p. 4] (several may share brackets: [P1 §2, p. 3; P2 §4]).
_CITATION = re.compile(r"\[(P\d+[^\[\]]{0,80})\]")
_ONE = re.compile(r"^\s*(P\d+)\s*(§[^,;]*)?\s*(?:,\s*p\.\s*(\d+))?\s*$")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{2,}|[\u4e00-\u9fff]{2,}")
#: Terms shared by this many papers' cells (at least) are said to be shared.
SHARED_MIN = 2
SHARED_SHOWN = 4


def cited(row: PaperRow, column_key: str) -> str:
    """A cell's citation with its paper: ``[P2 §3, p. 4]``."""
    cell = row.cells.get(column_key)
    if cell is None or cell.source is None:
        return f"[{row.key}]"
    return f"[{row.key} {cell.source.citation[1:]}"


def number_conflicts(table: LiteratureTable) -> list[Conflict]:
    """Per column, a measure that two or more papers report with different values."""
    out: list[Conflict] = []
    for column in table.columns:
        seen: dict[str, dict[str, tuple[str, str, float]]] = defaultdict(dict)
        for row in table.rows:
            cell = row.cells.get(column.key)
            if cell is None or cell.status != CellStatus.FOUND:
                continue
            for mention in numbers_in(cell.answer):
                at = cell.answer.find(mention.text)
                measure = measure_of(cell.answer, at, at + len(mention.text)) if at >= 0 else ""
                if not measure or row.key in seen[measure]:
                    continue
                seen[measure][row.key] = (mention.text, cited(row, column.key), mention.candidates[0][0])
        for measure, by_paper in seen.items():
            if len(by_paper) >= 2 and len({round(v[2], 6) for v in by_paper.values()}) >= 2:
                out.append(Conflict(column.name, measure, [(p, v, c) for p, (v, c, _) in sorted(by_paper.items())]))
    return out


def offline_synthesis(table: LiteratureTable) -> Synthesis:
    """What the cells share and where they differ, per column, each claim with its citations."""
    lines: list[str] = []
    readable = [r for r in table.rows if not r.error]
    for column in table.columns:
        found = [r for r in readable if (c := r.cells.get(column.key)) is not None and c.status == CellStatus.FOUND]
        missing = [r.key for r in readable if r not in found]
        if not found:
            lines.append(f"- **{column.name}**: no paper reports it.")
            continue
        own = set(terms(f"{column.name} {column.description}", "en"))
        holders: dict[str, list[PaperRow]] = defaultdict(list)
        for row in found:
            lang = "zh" if re.search(r"[\u4e00-\u9fff]", row.cells[column.key].answer) else "en"
            for term in set(terms(row.cells[column.key].answer, lang)) - own:
                if not term[0].isdigit() and len(term) > 2:
                    holders[term].append(row)
        shared = sorted(((t, rows) for t, rows in holders.items() if len(rows) >= SHARED_MIN),
                        key=lambda tr: (-len(tr[1]), tr[0]))[:SHARED_SHOWN]
        parts = []
        if shared:
            papers = sorted({r.key for _, rows in shared for r in rows}, key=lambda k: int(k[1:]))
            words = ", ".join(f"*{t}*" for t, _ in shared)
            cites = " ".join(cited(table.row(k), column.key) for k in papers)
            parts.append(f"{_and(papers)} share {words} {cites}")
        alone = [r for r in found if not any(r in rows for _, rows in shared)]
        if alone:
            parts.append("differ in " + "; ".join(f"{r.key}: {_short(r.cells[column.key].answer)} {cited(r, column.key)}"
                                                  for r in alone))
        if missing:
            parts.append(f"not reported by {_and(missing)}")
        lines.append(f"- **{column.name}**: " + "; ".join(parts) + ".")
    return Synthesis("\n".join(lines), Method.QUOTE, number_conflicts(table))


def _and(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1]


def _short(text: str, words: int = 14) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def table_cells_text(table: LiteratureTable) -> str:
    """The cells as the synthesis request sends them: per paper, each found cell with its citation."""
    blocks = []
    for row in table.rows:
        if row.error:
            continue
        lines = [f"{row.key}: {row.title}" + (f" ({row.year})" if row.year else "")]
        for column in table.columns:
            cell = row.cells.get(column.key)
            if cell is not None and cell.status == CellStatus.FOUND:
                lines.append(f"- {column.name}: {cell.answer} {cited(row, column.key)}")
            else:
                lines.append(f"- {column.name}: not reported")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def check_citations(text: str, table: LiteratureTable) -> tuple[str, list[str]]:
    """The text with every citation that names no paper of the table, or a section and page none of that
    paper's cells cites, taken out; and those citations."""
    dropped: list[str] = []

    def keep(m: re.Match) -> str:
        good = []
        for part in m.group(1).split(";"):
            one = _ONE.match(part)
            row = table.row(one.group(1)) if one else None
            if row is None or row.error:
                dropped.append(part.strip())
                continue
            sources = [c.source for c in row.cells.values() if c.status == CellStatus.FOUND and c.source]
            label, page = (one.group(2) or "").strip(), one.group(3)
            if (label and not any(s.label == label for s in sources)) or \
                    (page and not any(str(s.page) == page for s in sources)):
                dropped.append(part.strip())
                continue
            good.append(part.strip())
        return f"[{'; '.join(good)}]" if good else ""

    kept = _CITATION.sub(keep, text)
    kept = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", kept))  # where a citation was taken out
    return kept, dropped


def model_synthesis(table: LiteratureTable, settings: Settings, requests: ModelRequests | None = None) -> Synthesis:
    """The model's synthesis of the cells, checked; the offline one, with the reason, when the model's fails."""
    fallback = offline_synthesis(table)
    cells = table_cells_text(table)
    if sum(1 for r in table.rows if not r.error) < 2:
        return fallback
    try:
        requests = requests or ModelRequests(settings)
        prompt = requests.prompts.get("table_synthesis")
        call = requests.sized(prompt, {"cells": cells})
        completion = requests.whole_answer(call, None, None)
    except SummarizerError as exc:
        log.warning("table synthesis: %s", exc)
        fallback.error = f"The model's synthesis failed ({exc}); this one is written from the cells."
        return fallback
    answer = parse_answer(completion.text, completion.reasoning)
    text = field_text(answer.fields.get("synthesis", "")) if answer.ok else str(answer.fields.get("summary", ""))
    context = requests.context_for(prompt, {"section_text": cells})
    # Ask's checks (a synthesis may be short; the summary-length rule is not one of them)
    problem = ask_problem(_CITATION.sub(" ", text), context) if text.strip() else "the answer was empty"
    if problem:
        fallback.error = f"The model's synthesis was not used ({problem}); this one is written from the cells."
        return fallback
    text, dropped = check_citations(text, table)
    unverified = check_summary(text, cells).numbers
    return Synthesis(text.strip(), Method.MODEL, fallback.conflicts, unverified, dropped)

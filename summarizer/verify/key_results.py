"""Key results: a small table of a paper's headline numbers — what was measured, the value with its unit,
against what, and the sentence or table and page it comes from. Three sources, in this order, one row per value:

- the model's ``key_numbers`` for the results and experiments sections (the LLM backend), each kept only where its
  number is in that section's text or the cells of its tables, and cited where it is found there;
- the results tables read cell by cell (``--tables``, or a table opened in the app): ``table_headlines``;
- the sentences of the results and experiments sections (then the abstract and conclusion), offline.

Every row is the paper's own number and can be checked on its page.

A headline number is one in a sentence that reports a result (a comparison or a change: "outperforms",
"improves", "than", "vs", "reduces", "%"...), written in digits, with a unit ("12 ms", "85%") or a metric named
just before it ("an F1 of 0.81"); years, settings ("β = 2.0"), counts in words and references are not. The
measure is that metric, else the number's unit; the comparison is what follows "than", "vs", "compared with",
"over" or "from" in the same clause."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from summarizer.model.document import Document, Float
from summarizer.model.results import SectionResult
from summarizer.text.retrieval import cite, section_label
from summarizer.text.sentences import block_sentences
from summarizer.text.terms import terms
from summarizer.verify.faithfulness import REFERENCE, numbers_in, written_in
from summarizer.verify.section_checks import source_of
from summarizer.verify.table_headlines import system_names, table_headlines

log = logging.getLogger(__name__)

#: Sections read first, then the others of ``LATER``; at most ``MAX_ROWS`` rows, one per sentence.
FIRST = ("results", "experiments")
LATER = ("abstract", "conclusion", "discussion")
MAX_ROWS = 8
#: Rows a source other than the text may give, so the paper's own sentences keep a place.
MAX_MODEL_ROWS, MAX_TABLE_ROWS = 5, 4
_RESULT = re.compile(r"\b(?:outperform\w*|improv\w*|achiev\w*|reach\w*|reduc\w*|increas\w*|decreas\w*|faster|slower|"
                     r"higher|lower|better|worse|than|vs\.?|versus|compared|against|gain\w*|drop\w*|accuracy|error|f1|auc|"
                     r"significant\w*|speed-?up)\b|%|提高|降低|优于|提升|减少|准确率|误差", re.I)
_AGAINST = re.compile(r"\b(?:than|vs\.?|versus|compared (?:to|with)|over|against|from)\s+((?:[^,;.()]|\.(?=\d)){3,70})",
                      re.I)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_UNIT_AFTER = re.compile(r"\s*(%|percent\b|[A-Za-zµ°][A-Za-zµ°/\-]*|[\u4e00-\u9fff]{1,3})")


class ResultSource(StrEnum):
    """Where a key result was read: the model's answer (checked against the paper), a table's cells, a sentence."""

    MODEL = "model"
    TABLE = "table"
    TEXT = "text"


@dataclass(frozen=True)
class KeyResult:
    measure: str
    value: str
    against: str
    citation: str
    sentence: str  # the sentence it was read from (a table's caption; the model's line for a model row)
    page: int | None
    source: ResultSource = ResultSource.TEXT

    def as_json(self) -> dict:
        return {**self.__dict__, "source": str(self.source)}


def measure_of(text: str, start: int, end: int) -> str:
    """What a number measures: its unit when one follows it, else the last content word before it in its clause
    (stemmed, as ``text.terms`` gives it)."""
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"
    after = _UNIT_AFTER.match(text, end)
    if after and after.group(1) in ("%", "percent"):
        before = measure_of(text, start, start)
        return f"{before} %".strip()
    if after and end < len(text):
        unit = terms(after.group(1), lang)
        if unit and not unit[0][0].isdigit():
            return unit[0]
    clause = re.split(r"[,;:()]", text[max(0, start - 60):start])[-1]
    words = [t for t in terms(clause, lang) if not t[0].isdigit()]
    return words[-1] if words else ""


def key_results(document: Document, sections: Sequence[SectionResult] = ()) -> list[KeyResult]:
    """The paper's headline numbers: the model's (from ``sections``, a run's results), the tables', the text's;
    one row per value, at most ``MAX_ROWS``."""
    rows: list[KeyResult] = []
    seen: set[str] = set()
    for row in [*model_rows(document, sections)[:MAX_MODEL_ROWS], *table_rows(document)[:MAX_TABLE_ROWS],
                *text_rows(document)]:
        key = re.sub(r"\s+", "", row.value.lower())
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return rows[:MAX_ROWS]


def table_rows(document: Document) -> list[KeyResult]:
    """Headlines of the tables read cell by cell, the results sections' tables first; a table whose section is not
    known counts as a result's (``assign_sections`` found no section citing it)."""
    names = system_names(document.title)
    kinds = {i: s.kind for i, s in enumerate(document.sections)}
    tables = [f for f in document.floats if f.rows and kinds.get(f.section, "results") in (*FIRST, *LATER, "other")]
    tables.sort(key=lambda f: kinds.get(f.section, "results") not in FIRST)
    return [KeyResult(h.measure, h.value, h.against, cite(f.label, f.page), f.caption, f.page, ResultSource.TABLE)
            for f in tables for h in table_headlines(f, names)]


def model_rows(document: Document, sections: Sequence[SectionResult]) -> list[KeyResult]:
    """The numbers the model listed as a results section's most important (its ``key_numbers`` field), each kept
    only where its number is in the section's text or its tables' cells, and cited where it is found there."""
    rows = []
    for result in sections:
        if not result.ok or result.kind not in FIRST or not 0 <= result.index < len(document.sections):
            continue
        items = result.fields.get("key_numbers") or []
        source = source_of(document, result.index)  # the section's text and its read tables, once per section
        for item in items if isinstance(items, list) else [items]:
            text = " ".join((" ".join(map(str, item.values())) if isinstance(item, dict) else str(item)).split())
            row = _model_row(text, document, result.index, source)
            if row is not None:
                rows.append(row)
    return rows


def _model_row(item: str, document: Document, index: int, source: str) -> KeyResult | None:
    """One of the model's key numbers as a row: its first number in digits (with its unit) as the value, the words
    around it as the measure, what follows "than"/"vs" as the comparison; None when that number is not in the
    section's text or tables, nor when any other number of the line is not (a made-up "against" figure)."""
    mentions = [(m, item.find(m.text)) for m in numbers_in(item) if any(ch.isdigit() for ch in m.text)]
    mentions = [(m, at) for m, at in mentions if at >= 0 and not _in_name(item, at)]
    mention, at = next(((m, at) for m, at in mentions if not _YEAR.match(m.text)), (None, -1))
    if mention is None:
        return None
    unsourced = [m.text for m, _ in mentions if not written_in(m.text, source)]
    if unsourced:  # as written, not rounded: a model's "0.8" is not the paper's "0.81"
        log.info("key result %r left out: %s not in the section %r as written", item, ", ".join(unsourced),
                 document.sections[index].title)
        return None
    end = at + len(mention.text)
    if at > 0 and item[at - 1] in "-−+" and (at == 1 or not item[at - 2].isalnum()):
        at -= 1  # a signed change ("-2.3 points") keeps its sign, which the paper must write too
        if not written_in(item[at:end].replace("−", "-"), source.replace("−", "-")):
            log.info("key result %r left out: its sign is not the section's", item)
            return None
    after = _UNIT_AFTER.match(item, end)
    unit = after.group(0) if after and _UNITS.match(after.group(1)) else ""
    against = _AGAINST.search(item, end)
    before = re.sub(r"(?i)[\s:=,(]*(?:of|is|was|are|were|at|in|on|to|for|reached|reaches|achieved|achieves|by|with)?[\s:=,(]*$", "",
                    item[:at]).strip(" -–:")
    rest = item[end + len(unit):against.start() if against else len(item)]
    measure = before or re.split(r"[,;(]", rest)[0].strip(" -–:")
    cited = _found_at(document, index, mention.text)
    return KeyResult(" ".join(measure.split()[:8]) or "—", (item[at:end] + unit).strip(),
                     " ".join(against.group(1).split()) if against else "", cited[0], item, cited[1],
                     ResultSource.MODEL)


def _in_name(text: str, at: int) -> bool:
    """The number at ``at`` is part of a name ("GPT-4", "ROUGE-1", "F1"), not a value."""
    return bool(re.search(r"[A-Za-z][\-‑]?$", text[max(0, at - 2):at]))


def _found_at(document: Document, index: int, number: str) -> tuple[str, int | None]:
    """Where a number stands in a section: the first sentence holding it as written (``written_in``: not rounded, not
    a reference's label), its page; else the first of the section's tables holding it; else the section's first page."""
    section = document.sections[index]
    label = section_label(section.title)
    for block in section.paragraphs:
        for sentence, pages in block_sentences(block, document.language):
            if written_in(number, sentence):
                return cite(label, pages[0] if pages else block.page), pages[0] if pages else block.page
    table: Float | None = next((f for f in document.floats if f.section == index and written_in(number, f.cells_text)),
                               None)
    if table is not None:
        return cite(table.label, table.page), table.page
    return cite(label, section.page_start), section.page_start


def text_rows(document: Document) -> list[KeyResult]:
    """Headline numbers read from the sentences, in the order results sections give them."""
    order = [i for i, s in enumerate(document.sections) if s.kind in FIRST] + \
        [i for i, s in enumerate(document.sections) if s.kind in LATER]
    rows: list[KeyResult] = []
    for index in order:
        section = document.sections[index]
        label = section_label(section.title)
        for block in section.paragraphs:
            for sentence, pages in block_sentences(block, document.language):
                if not _RESULT.search(sentence):
                    continue
                row = _headline(sentence, label, pages[0] if pages else block.page)
                if row is not None:
                    rows.append(row)
                    if len(rows) >= MAX_ROWS:
                        return rows
    return rows


_METRIC = re.compile(r"\b(accuracy|precision|recall|f1|f-?measure|f-?score|auc|error|bleu|rouge(?:-\w+)?|score|rate|"
                     r"speed-?up|latency|throughput|loss|perplexity|correlation|mae|rmse|mse|dice|iou|distance|"
                     r"reduction|improvement|gain|agreement|kappa|sensitivity|specificity|precision@\d+|"
                     r"准确率|精度|召回率|误差|速度|提升)\b", re.I)
#: Units a result is given in (single letters in lower case only: "16S" rRNA and "1M" rows are names, not units).
_NOT_MEASURES = frozenset("below above over under least most about around nearly almost only just than by from at "
                          "or and to up down".split())
_UNITS = re.compile(r"^(?:%|s|m|k|x|g|w|(?i:percent|ms|sec|seconds?|minutes?|hours?|days?|times|fold|degrees?|°c|gb|mb|"
                    r"kb|fps|hz|khz|mhz|ghz|tokens?|points?|pp|db|mm|cm|km|kg|mg|ml|kw)|倍|秒|分钟|天|度)$")


def _headline(sentence: str, label: str, page: int | None) -> KeyResult | None:
    """The sentence's first number that is a result: in digits, not a year, a setting ("β = 2.0") or a reference,
    and either with a unit ("12 ms", "85%") or a metric named just before it ("an F1 of 0.81")."""
    for mention in numbers_in(sentence):
        at = sentence.find(mention.text)
        if at < 0 or not any(ch.isdigit() for ch in mention.text) or _YEAR.match(mention.text) or _in_name(sentence, at):
            continue
        before = sentence[max(0, at - 40):at]
        if REFERENCE.search(before[-12:]) or re.search(r"[=≤≥<>]\s*$", before):
            continue
        end = at + len(mention.text)
        after = _UNIT_AFTER.match(sentence, end)
        unit = after.group(1) if after and _UNITS.match(after.group(1)) else ""
        metric = _METRIC.findall(re.split(r"[,;:()]", before)[-1])
        if not unit and not metric:
            continue
        if metric:
            measure = metric[-1].lower()
        elif unit in ("%", "percent"):  # "a drop of 12%": the word before it, as written
            words = [w for w in re.findall(r"[A-Za-z][A-Za-z\-]+|[\u4e00-\u9fff]+", re.split(r"[,;:()]", before)[-1])
                     if terms(w, "en") and w.lower() not in _NOT_MEASURES]
            measure = f"{words[-1].lower()} (%)" if words else "%"
        else:
            measure = unit
        value = (sentence[at:end] + (after.group(0) if unit else "")).strip()
        against = _AGAINST.search(sentence, end)
        return KeyResult(measure, value, " ".join(against.group(1).split()) if against else "",
                         cite(label, page), sentence, page)
    return None

"""Key results: a small table of a paper's headline numbers — what was measured, the value with its unit,
against what, and the sentence and page it comes from — read from the results and experiments sections (then the
abstract and conclusion), offline, so every row is the paper's own words and can be checked on its page.

A headline number is one in a sentence that reports a result (a comparison or a change: "outperforms",
"improves", "than", "vs", "reduces", "%"...), written in digits, with a unit ("12 ms", "85%") or a metric named
just before it ("an F1 of 0.81"); years, settings ("β = 2.0"), counts in words and references are not. The
measure is that metric, else the number's unit; the comparison is what follows "than", "vs", "compared with",
"over" or "from" in the same clause."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.model.document import Document
from summarizer.text.retrieval import cite, section_label
from summarizer.text.sentences import block_sentences
from summarizer.text.terms import terms
from summarizer.verify.faithfulness import numbers_in

#: Sections read first, then the others of ``LATER``; at most ``MAX_ROWS`` rows, one per sentence.
FIRST = ("results", "experiments")
LATER = ("abstract", "conclusion", "discussion")
MAX_ROWS = 8
_RESULT = re.compile(r"\b(?:outperform\w*|improv\w*|achiev\w*|reach\w*|reduc\w*|increas\w*|decreas\w*|faster|slower|"
                     r"higher|lower|better|worse|than|vs\.?|versus|compared|against|gain\w*|drop\w*|accuracy|error|f1|auc|"
                     r"significant\w*|speed-?up)\b|%|提高|降低|优于|提升|减少|准确率|误差", re.I)
_AGAINST = re.compile(r"\b(?:than|vs\.?|versus|compared (?:to|with)|over|against|from)\s+((?:[^,;.()]|\.(?=\d)){3,70})",
                      re.I)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_REFERENCE = re.compile(r"(?:section|sec\.|table|fig\.?|figure|eq\.?|equation|ref\.?|\[)\s*$", re.I)
_UNIT_AFTER = re.compile(r"\s*(%|percent\b|[A-Za-zµ°][A-Za-zµ°/\-]*|[\u4e00-\u9fff]{1,3})")


@dataclass(frozen=True)
class KeyResult:
    measure: str
    value: str
    against: str
    citation: str
    sentence: str
    page: int | None

    def as_json(self) -> dict:
        return dict(self.__dict__)


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


def key_results(document: Document) -> list[KeyResult]:
    """The paper's headline numbers, in the order results sections give them."""
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
        if at < 0 or not any(ch.isdigit() for ch in mention.text) or _YEAR.match(mention.text):
            continue
        before = sentence[max(0, at - 40):at]
        if _REFERENCE.search(before[-12:]) or re.search(r"[=≤≥<>]\s*$", before):
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

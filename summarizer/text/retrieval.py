"""Find the passages of a document that answer a question: BM25 over its prose paragraphs.

A passage is a paragraph (long ones cut into sentence windows) with the section it belongs to and
the page it starts on, so every answer can be cited as ``[§3.2, p. 5]``. Terms are the ones the
extractive summarizer uses: stemmed English words without stop words, Chinese character bigrams,
so English and Chinese papers are searched alike with nothing to download. The index is built once
per document; a query only touches the postings of its own terms.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.model.document import Document, Section
from summarizer.text.language import has_han, reading_length
from summarizer.text.sentences import split_sentences
from summarizer.text.terms import terms

log = logging.getLogger(__name__)

#: Kinds whose text is never a source of answers (reference lists match every query's terms).
NOT_SEARCHED = frozenset({"references"})
#: A paragraph longer than this (words; characters for Chinese ÷ 2) is cut into sentence windows.
WINDOW_WORDS = 160
#: Words of a question that say what is asked, not what about; they are not searched for.
_QUESTION_WORDS = frozenset("""paper author authors article document describe described explain explained tell
    discuss discussed mention mentioned propose proposed study work section""".split())
_ZH_QUESTION = re.compile(r"为什么|是什么|有什么|有哪些|是多少|是否|什么|怎么|怎样|如何|哪些|哪个|哪里|多少|为何|请问|"
                          r"论文|本文|文章|作者|介绍|说明|描述|提出|讨论|吗|呢|？|\?")
_NUMBER = re.compile(r"^\s*((?:\d+|[IVXLC]+|[A-Z])(?:\.\d+)*)\.?\s+\S")


def section_label(title: str) -> str:
    """``§3.2`` for a numbered heading, else ``§Title`` (shortened)."""
    m = _NUMBER.match(title or "")
    if m:
        return f"§{m.group(1)}"
    title = " ".join((title or "").split())
    return f"§{title[:40].rstrip()}{'…' if len(title) > 40 else ''}" if title else "§?"


def cite(label: str, page: int | None) -> str:
    """The citation of a passage, as shown in answers: ``[§3.2, p. 5]``."""
    return f"[{label}, p. {page}]" if page else f"[{label}]"


@dataclass(frozen=True)
class Passage:
    """A piece of the document's prose that can be quoted and cited."""

    id: int
    section_index: int
    section_title: str
    label: str
    page: int | None
    text: str

    @property
    def citation(self) -> str:
        return cite(self.label, self.page)

    def as_json(self) -> dict:
        return {"id": self.id, "section": self.section_title, "section_index": self.section_index,
                "label": self.label, "page": self.page, "text": self.text, "citation": self.citation}

    @classmethod
    def from_json(cls, data: dict) -> Passage:
        return cls(int(data.get("id", 0)), int(data.get("section_index", -1)), str(data.get("section", "")),
                   str(data.get("label", "")), data.get("page"), str(data.get("text", "")))


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    coverage: float  # share of the query's (IDF-weighted) terms the passage contains, 0..1


def _windows(text: str, lang: str) -> list[str]:
    """A paragraph as one passage, or sentence windows of about ``WINDOW_WORDS`` when it is long."""
    if reading_length(text) <= WINDOW_WORDS:
        return [text]
    out: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in split_sentences(text, lang):
        n = reading_length(sentence)
        if current and used + n > WINDOW_WORDS:
            out.append(("" if lang == "zh" else " ").join(current))
            current, used = [], 0
        current.append(sentence)
        used += n
    if current:
        out.append(("" if lang == "zh" else " ").join(current))
    return out


def document_passages(document: Document) -> list[Passage]:
    """Every prose passage of the document that may answer a question, in reading order; then each table whose
    cells were read (``--tables``, or the app's "Read the tables"), cited as ``[Table 2, p. 6]``."""
    out: list[Passage] = []
    for index, section in enumerate(document.sections):
        if section.kind in NOT_SEARCHED:
            continue
        out.extend(section_passages(section, index, document.language, start=len(out)))
    for table in (f for f in document.floats if f.rows):
        out.append(Passage(len(out), table.section if table.section is not None else -1, table.label, table.label,
                           table.page, f"{table.caption}\n{table.cells_text}"))
    return out


def section_passages(section: Section, index: int, lang: str, start: int = 0) -> list[Passage]:
    label = section_label(section.title)
    out: list[Passage] = []
    for block in section.paragraphs:
        for piece in _windows(block.text, lang):
            if piece.strip():
                out.append(Passage(start + len(out), index, section.title, label, block.page, piece.strip()))
    return out


def question_terms(question: str, lang: str) -> list[str]:
    """The terms of a question that say what it is about: no question words, and in Chinese no
    bigrams across a question word ("告警诊断有什么价值" → 告警 警诊 诊断 价值)."""
    if has_han(question):
        question = _ZH_QUESTION.sub(" ", question)
    return [t for t in terms(question, lang) if t not in _QUESTION_WORDS]


class BM25:
    """Okapi BM25 over bags of terms (k1 = 1.5, b = 0.75), with IDF kept non-negative."""

    def __init__(self, bags: Sequence[Counter], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(bags)
        self.lengths = [sum(bag.values()) for bag in bags]
        self.avg = (sum(self.lengths) / self.n) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, bag in enumerate(bags):
            for term, count in bag.items():
                self.postings[term].append((doc_id, count))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.top_idf = max(self.idf.values(), default=1.0)  # an unknown term weighs as the rarest known one

    def scores(self, query: Sequence[str], weights: dict[str, float] | None = None) -> dict[int, float]:
        """BM25 score of every document that shares a term with ``query``."""
        out: dict[int, float] = defaultdict(float)
        for term, qcount in Counter(query).items():
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf[term] * (weights or {}).get(term, 1.0)
            for doc_id, tf in postings:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc_id] / (self.avg or 1))
                out[doc_id] += idf * tf * (self.k1 + 1) / (tf + norm) * (1 + math.log(qcount))
        return out

    def coverage(self, query: Sequence[str], bag: Counter) -> float:
        """The IDF-weighted share of the query's distinct terms that ``bag`` contains (unknown terms
        weigh as the rarest known ones)."""
        distinct = set(query)
        if not distinct:
            return 0.0
        top = self.top_idf
        total = sum(self.idf.get(t, top) for t in distinct)
        return sum(self.idf.get(t, top) for t in distinct if t in bag) / total if total else 0.0


class PassageIndex:
    """BM25 over a document's passages (with each passage's section title as extra terms)."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.language = document.language
        self.passages = document_passages(document)
        self.bags = [Counter(terms(f"{p.section_title}\n{p.text}", self.language)) for p in self.passages]
        self.bm25 = BM25(self.bags)
        log.debug("indexed %d passages of %s", len(self.passages), document.source)

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, question: str, k: int = 5, context: str = "") -> list[Hit]:
        """The ``k`` best passages for ``question``; ``context`` (an earlier question) adds its
        terms at half weight, so a follow-up like "and its limits?" stays on the same subject."""
        query = question_terms(question, self.language)
        weights: dict[str, float] = {}
        if context:
            extra = [t for t in question_terms(context, self.language) if t not in query]
            weights = {t: 0.5 for t in extra}
            query = query + extra
        if not query:
            return []
        scored = sorted(self.bm25.scores(query, weights).items(), key=lambda kv: -kv[1])[:k]
        own = question_terms(question, self.language) or query
        return [Hit(self.passages[i], s, self.bm25.coverage(own, self.bags[i])) for i, s in scored]

"""Give every bullet of a section summary the page of the source sentences behind it.

A bullet copied from the section (the extractive backend) is found verbatim among the section's
sentences: its page is exact and its score 1. Any other bullet (an LLM's paraphrase) is attributed
by lexical similarity within the section: the section's sentences are ranked with BM25 for the
bullet's terms (stemmed English words, Chinese character bigrams), and the score recorded is the
IDF-weighted share of the bullet's terms that the best sentence (with a second one when the bullet
joins two) contains. Below ``SUPPORT_THRESHOLD`` the bullet is "not found in the section".

A claim whose numbers are not in its best sentence but all stand in one row of a table the section cites (its
cells read: ``--tables``) is supported by that row, and points at the table's page: a results section's numbers
are mostly in its tables.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from summarizer.model.document import Float, Section
from summarizer.model.results import NOT_FOUND, SUPPORT_THRESHOLD, Bullet, Support
from summarizer.text.language import HAN_CHAR
from summarizer.text.retrieval import BM25
from summarizer.text.sentences import block_sentences, split_sentences
from summarizer.text.terms import terms

log = logging.getLogger(__name__)

#: A second sentence joins the support when it adds at least this much coverage.
SECOND_GAIN = 0.15
#: Units with fewer content terms than this (a list of key terms, a label) are not attributed.
MIN_TERMS = 3

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_LABEL_ONLY = re.compile(r"^\s*\*\*[^*]+:\*\*\s*$")
_LABEL = re.compile(r"^\s*\*\*([^*]+?):\*\*\s*")
_MARKUP = re.compile(r"[*_`>#]+")


@dataclass(frozen=True)
class SourceSentence:
    text: str
    pages: tuple[int, ...]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", _MARKUP.sub("", text)).lower()


def source_sentences(section: Section, lang: str) -> list[SourceSentence]:
    """The section's prose sentences with their page(s): a paragraph continued on a later page gives each
    sentence its own page where the parser recorded the page break (``Block.breaks``), else every page it spans."""
    out = []
    whole = ()
    if section.page_start:  # paragraphs derived from text (no blocks) only know the section's pages
        whole = tuple(range(section.page_start, max(section.page_start, section.page_end or 0) + 1))
    for block in section.paragraphs:
        if not section.blocks or not block.page:
            out.extend(SourceSentence(s, whole) for s in split_sentences(block.text, lang))
        elif block.page_end and block.page_end > block.page and not block.breaks:
            pages = tuple(range(block.page, block.page_end + 1))  # where the page turns is not recorded
            out.extend(SourceSentence(s, pages) for s in split_sentences(block.text, lang))
        else:  # each sentence its own page(s)
            out.extend(SourceSentence(s, pages) for s, pages in block_sentences(block, lang))
    return out


def summary_units(summary: str) -> list[tuple[int, str]]:
    """The claims of a summary in Markdown: bullet lines and lines of prose, with their line
    numbers; labels alone on a line (``**Contributions:**``) are not claims."""
    out = []
    for n, line in enumerate(summary.splitlines()):
        if not line.strip() or _LABEL_ONLY.match(line):
            continue
        text = _BULLET.sub("", line, count=1)
        text = _LABEL.sub("", text, count=1).strip()
        text = text.strip("*").strip()
        if text:
            out.append((n, text))
    return out


class SectionGrounder:
    """Attributes the claims of one section's summary to the section's own sentences."""

    def __init__(self, section: Section, lang: str) -> None:
        self.lang = lang
        self.sentences = source_sentences(section, lang)
        self.exact = {}
        for s in self.sentences:
            self.exact.setdefault(_norm(s.text), s)
        self.bags = [Counter(terms(s.text, lang)) for s in self.sentences]
        self.bm25 = BM25(self.bags)

    def ground(self, text: str, line: int = -1) -> Bullet:
        exact = self.exact.get(_norm(text))
        if exact is not None:
            return Bullet(text, list(exact.pages), Support(exact.text, 1.0, list(exact.pages)), line)
        query = terms(text, self.lang)
        if len(set(query)) < MIN_TERMS or not self.sentences:
            return Bullet(text, [], None, line)
        ranked = sorted(self.bm25.scores(query).items(), key=lambda kv: -kv[1])[:5]
        if not ranked:
            return Bullet(text, [], Support("", 0.0), line)
        scored = sorted(((self.bm25.coverage(query, self.bags[i]), i) for i, _ in ranked), reverse=True)
        best_cov, best = scored[0]
        chosen = [best]
        joined = Counter(self.bags[best])
        for _, i in scored[1:]:
            gain = self.bm25.coverage(query, joined + self.bags[i]) - best_cov
            if gain >= SECOND_GAIN:
                chosen.append(i)
                joined += self.bags[i]
                best_cov += gain
                break
        chosen.sort()
        sentence = " ".join(self.sentences[i].text for i in chosen) if self.lang != "zh" else \
            "".join(self.sentences[i].text for i in chosen)
        pages = sorted({p for i in chosen for p in self.sentences[i].pages})
        support = Support(sentence, best_cov, pages)
        return Bullet(text, pages if best_cov >= SUPPORT_THRESHOLD else [], support, line)


def ground_summary(summary: str, section: Section, lang: str, tables: Sequence[Float] = ()) -> list[Bullet]:
    """Every claim of ``summary`` with its supporting sentence(s) or table row, score and page(s); ``tables``: the
    section's tables whose cells were read."""
    units = summary_units(summary)
    if not units:
        return []
    grounder = SectionGrounder(section, lang)
    bullets = [grounder.ground(text, line) for line, text in units]
    if tables:
        bullets = [_from_table(b, tables, lang) for b in bullets]
    log.debug("section %r: %d of %d claims supported", section.title, sum(b.found for b in bullets), len(bullets))
    return bullets


def _claimed_numbers(text: str) -> list[str]:
    """The numbers a claim writes in digits, two or more of them or with a decimal point (a lone "3" matches too
    many cells to point at one)."""
    from summarizer.verify.faithfulness import numbers_in

    return [m.text for m in numbers_in(text)
            if sum(ch.isdigit() for ch in m.text) >= 2 and not re.fullmatch(r"(?:19|20)\d\d", m.text)]


def _from_table(bullet: Bullet, tables: Sequence[Float], lang: str) -> Bullet:
    """The bullet supported by the first table row holding every number it claims as written, where its own sentence
    does not hold them and the claim shares a word with the row, its header or the table's caption; unchanged
    otherwise (a claim's "50 points" is not a row's 50.3, nor any row's 50 when nothing else of the row is named)."""
    from summarizer.verify.faithfulness import written_in

    claimed = _claimed_numbers(bullet.text)
    if not claimed or (bullet.found and all(written_in(n, bullet.support.sentence) for n in claimed)):
        return bullet
    words = set(terms(bullet.text, lang))
    for table in tables:
        header = " | ".join(" ".join(c.split()) for c in table.rows[0])
        for row in table.rows[1:]:
            cells = " | ".join(" ".join(c.split()) for c in row)
            named = words & set(terms(f"{table.caption} {header} {cells}", lang))
            if named and all(written_in(n, cells) for n in claimed):
                support = Support(f"{table.label}: {header} / {cells}", 1.0, [table.page])
                return Bullet(bullet.text, [table.page], support, bullet.line)
    return bullet


def page_mark(pages: list[int]) -> str:
    """``(p. 5)``, ``(pp. 5–6)``, ``(pp. 3, 7)``."""
    if not pages:
        return ""
    pages = sorted(set(pages))
    if len(pages) == 1:
        return f"(p. {pages[0]})"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"(pp. {pages[0]}–{pages[-1]})"
    return f"(pp. {', '.join(map(str, pages))})"


def mark_pages(summary: str, bullets: list[Bullet]) -> str:
    """The summary with a page mark after each supported claim and "not found in the section" after
    each claim that has a support search but no support."""
    lines = summary.splitlines()
    for b in bullets:
        if not 0 <= b.line < len(lines):
            continue
        if b.found and b.pages:
            lines[b.line] = place_mark(lines[b.line], page_mark(b.pages))
        elif b.support is not None and not b.found:
            lines[b.line] = place_mark(lines[b.line], f"*({NOT_FOUND})*")
    return "\n".join(lines)


_FINAL_STOP = re.compile(r"\s*([.!?。！？；…][\"'”’」』)\]）】]*)\s*$")


def place_mark(line: str, mark: str) -> str:
    """``mark`` placed as an in-text citation, before the sentence's final punctuation ("… image
    (p. 3)."), so a marked bullet is still one whole sentence; appended where there is none. When the
    stop sits inside a closing bracket or quote ("… (CPU, GPU, etc.)", '… "it works."'), the stop is
    that inner text's own, so the mark goes after the closer, never inside it."""
    m = _FINAL_STOP.search(line)
    if m is not None and len(m.group(1)) > 1:
        m = None  # "etc.)": the mark follows the bracket
    body, stop = (line.rstrip(), "") if m is None else (line[:m.start()], m.group(1))
    gap = "" if body and HAN_CHAR.match(body[-1]) else " "  # Chinese text takes no space before the mark
    return f"{body}{gap}{mark}{stop}"

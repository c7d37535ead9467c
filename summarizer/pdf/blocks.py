"""Rebuild paragraphs from page lines and type every block (prose, code, equation, table, label).

PDF producers disagree on what a block is (some make every line one), so paragraphs come from
geometry and punctuation: line spacing, indentation, the short last line of a paragraph, a
change of font size, and whether the previous line ended a sentence. A sentence cut by a column
or page break continues in the same paragraph, even with a footnote or a figure label between.
Lines set in a monospaced font are code, lines of math fonts or symbols are display equations,
digit-heavy lines and narrow cell-like runs are tables, editorial notes are notes; only prose
paragraphs become ``paragraph`` blocks.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from summarizer.model.document import Block, nonspace
from summarizer.pdf.config import DEFAULT_LAYOUT, LayoutSettings
from summarizer.text.language import HAN_CHAR

SENTENCE_END = re.compile(r"[.?!。？！；…][\"'”’」』)\]）】]*$")
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_END = re.compile(f"[{_CJK}]$")
_CJK_START = re.compile(f"^[{_CJK}]")
_CJK_CHAR = HAN_CHAR
_LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
_ITEM = re.compile(r"^([•◦▪▸►‣∙·●○■□➢✓–—-]\s|\(?[a-z0-9ivx]{1,3}\)\s|\d{1,2}\.\s(?=[A-Z\u4e00-\u9fff])"
                   r"|[（(][一二三四五六七八九十\d]+[)）])")
_NOTE = re.compile(r"^\s*(todo|fixme|tbd|xxx)\b|^\s*\[?(add|insert|write|expand|fill in)\b.{0,40}\b(here|text|explanation"
                   r"|later|section|paragraph|figure|citation|reference)s?\b\]?\s*$", re.I)


#: A figure or table label alone on its line ("图7", "Figure 3", "Table 2:"): the caption of an image
#: that may sit in the middle of a paragraph cut by a page or column break.
_LABEL_ONLY = re.compile(r"(?:fig\.?|figure|table|tab\.|图|表)\s*(?:\d{1,3}|[A-Z]|[IVX]{1,5})(?:[.\-–]\d{1,3})?[.:：]?", re.I)


#: A line that is one web address, as references and footnotes set it in typewriter type
#: ("URL https://arxiv.org/abs/1710.07036."): a link in running text, not code.
_LINK_LINE = re.compile(r"^(?:URL:?|Available(?: at| from)?:?|\d{1,2})?\s*(?:https?://|www\.)\S+\s*$", re.I)


class LineLike(Protocol):
    text: str
    prose: str  # the text without footnote marks, "" when it had none
    size: float
    x0: float
    y0: float
    x1: float
    y1: float
    page: int
    first_in_block: bool
    last_in_block: bool
    mono: float
    math: float


@dataclass
class _Run:
    """Lines gathered into one block while the paragraph is built."""

    kind: str
    lines: list = field(default_factory=list)

    @property
    def last(self):
        return self.lines[-1]


def prose_of(line: LineLike) -> str:
    """The line as a paragraph reads it: without its footnote marks."""
    return line.prose or line.text


def ends_sentence(text: str) -> bool:
    return bool(SENTENCE_END.search(text.rstrip()))


def _visible(text: str) -> list[str]:
    return list("".join(text.split()))


def _running_words(text: str) -> int:
    """Words of running text on a line: Latin words of three letters or more, CJK characters by two."""
    return len(_LATIN_WORD.findall(text)) + len(_CJK_CHAR.findall(text)) // 2


def line_kind(line: LineLike, cfg: LayoutSettings = DEFAULT_LAYOUT) -> str:
    """``prose``, ``code``, ``equation``, ``table``, ``note`` or ``caption`` (a label alone) for one line."""
    text = line.text
    if _NOTE.search(text):
        return "note"
    if _LABEL_ONLY.fullmatch(text.strip()):
        return "caption"
    if line.mono >= cfg.code_share and not _LINK_LINE.match(text):
        return "code"
    chars = _visible(text)
    if not chars:
        return "prose"
    letters = sum(map(str.isalpha, chars)) / len(chars)
    digits = sum(map(str.isdigit, chars)) / len(chars)
    if line.math >= cfg.math_share and _running_words(text) < cfg.prose_words:
        return "equation"
    if letters < cfg.letter_share:
        return "table" if digits >= cfg.digit_share and line.math < 0.2 else "equation"
    return "prose"


def join_text(current: str, text: str) -> str:
    """Append a line to a paragraph: hyphenation repaired, no space between CJK characters."""
    if not current:
        return text
    if current.endswith("-") and text[:1].islower() and current[-2:-1].isalpha():
        return current[:-1] + text  # a hyphen left at a line end
    if _CJK_END.search(current) or _CJK_START.match(text):
        return current + text
    return current + " " + text


@dataclass(frozen=True)
class PageGeometry:
    """What the paragraph rules need to know about the whole document."""

    pitch: float  # usual baseline distance, in font sizes
    body_width: float  # usual width of a body line, in points
    blocks_are_lines: frozenset[int]  # pages whose producer made every line a block


def measure(lines: Sequence[LineLike], body_size: float, cfg: LayoutSettings = DEFAULT_LAYOUT) -> PageGeometry:
    """The document's line pitch, body line width and per-line-block pages, in one pass."""
    pitches: list[float] = []
    widths: list[float] = []
    per_page: dict[int, list[int]] = {}
    prev = None
    for line in lines:
        counts = per_page.setdefault(line.page, [0, 0])
        counts[0] += 1
        counts[1] += line.first_in_block and line.last_in_block
        if abs(line.size - body_size) <= 0.6:
            widths.append(line.x1 - line.x0)
            if prev is not None and prev.page == line.page and abs(prev.size - line.size) <= 0.6 \
                    and abs(prev.x0 - line.x0) < 3 * line.size and line.y1 > prev.y1:
                ratio = (line.y1 - prev.y1) / max(line.size, 1.0)
                if 0.8 <= ratio <= 3.0:
                    pitches.append(ratio)
            prev = line
    pitch = statistics.median(pitches) if pitches else 1.2
    body_width = statistics.median(widths) if widths else 400.0
    single = frozenset(p for p, (n, alone) in per_page.items() if n >= 4 and alone / n >= cfg.blocks_are_lines)
    return PageGeometry(pitch, body_width, single)


def _column_break(prev: LineLike, line: LineLike) -> bool:
    return line.y1 < prev.y0 or line.x0 > prev.x1


def _compatible(prev: LineLike, line: LineLike, cfg: LayoutSettings) -> bool:
    return abs(prev.size - line.size) <= cfg.size_jump


def new_paragraph(run: _Run, line: LineLike, geo: PageGeometry, cfg: LayoutSettings = DEFAULT_LAYOUT) -> bool:
    """True when ``line`` starts a paragraph after the prose lines of ``run``."""
    prev = run.last
    size = max(prev.size, line.size, 1.0)
    finished = ends_sentence(prose_of(prev))
    if _ITEM.match(line.text) or not _compatible(prev, line, cfg):
        return True
    if prev.page != line.page or _column_break(prev, line):
        return True  # whether the sentence goes on is decided by ``_continues``
    if line.y1 - prev.y1 > cfg.paragraph_gap * geo.pitch * size:
        return True
    if not finished:
        return False
    left = min(x.x0 for x in run.lines)
    right = max(max(x.x1 for x in run.lines), line.x1)
    if prev.x1 < right - cfg.short_last_line * size:
        return True
    if line.x0 > left + cfg.indent * size and line.x0 > prev.x0 + cfg.indent * size:
        return True
    if len(run.lines) > 1 and line.x0 < prev.x0 - cfg.indent * size:
        return True
    return line.first_in_block and line.page not in geo.blocks_are_lines


def _continues(run: _Run, line: LineLike, geo: PageGeometry, cfg: LayoutSettings) -> bool:
    """A paragraph cut by a column or page break goes on with ``line``: the paragraph's sentence
    is unfinished, the fonts match, and the line reads as running text (it starts in lower case
    or CJK, or it is as wide as body lines), not as a label inside a figure."""
    prev = run.last
    if run.kind != "prose" or ends_sentence(prose_of(prev)) or not _compatible(prev, line, cfg) or _ITEM.match(line.text):
        return False
    if not (prev.page != line.page or _column_break(prev, line)):
        return False
    running = bool(re.match(f"^[a-z0-9(\\[{_CJK}]", line.text)) \
        or line.x1 - line.x0 >= cfg.continuation_width * geo.body_width
    return running


def _is_filler(run: _Run, body_size: float, cfg: LayoutSettings) -> bool:
    """Footnotes, labels and equations that may sit between the parts of a cut paragraph."""
    return run.kind != "prose" or abs(run.last.size - body_size) > cfg.size_jump or len(run.lines) <= 2


def group_lines(lines: Sequence[LineLike], geo: PageGeometry, body_size: float,
                cfg: LayoutSettings = DEFAULT_LAYOUT) -> list[_Run]:
    """Lines gathered into runs of one kind; prose runs are paragraphs."""
    runs: list[_Run] = []
    for line in lines:
        kind = line_kind(line, cfg)
        if kind == "prose" and runs:
            if runs[-1].kind == "prose" and not new_paragraph(runs[-1], line, geo, cfg):
                runs[-1].lines.append(line)
                continue
            back = _cut_paragraph(runs, line, geo, body_size, cfg)
            if back is not None:
                runs.append(runs.pop(back))  # the filler now comes before the joined paragraph
                runs[-1].lines.append(line)
                continue
        elif runs and kind == runs[-1].kind and kind != "note":
            runs[-1].lines.append(line)
            continue
        runs.append(_Run(kind, [line]))
    return runs


def _cut_paragraph(runs: list[_Run], line: LineLike, geo: PageGeometry, body_size: float,
                   cfg: LayoutSettings) -> int | None:
    """Index of the paragraph that ``line`` continues across a page or column break, if any."""
    for back in range(1, min(cfg.continuation_lookback + 1, len(runs)) + 1):
        if _continues(runs[-back], line, geo, cfg):
            return len(runs) - back
        if not _is_filler(runs[-back], body_size, cfg):
            return None
    return None


def _label_or_table(run: _Run, text: str, geo: PageGeometry, body_size: float, cfg: LayoutSettings) -> str:
    """The kind of a prose run: paragraph, or a table / label that only looks like text."""
    lines = run.lines
    if len(lines) >= cfg.table_lines:
        width = statistics.median(x.x1 - x.x0 for x in lines)
        ends = sum(ends_sentence(prose_of(x)) for x in lines) / len(lines)
        if width < cfg.table_width * geo.body_width and ends <= cfg.table_sentence_ends:
            return "table"
    if not ends_sentence(text):
        cjk = len(_CJK_CHAR.findall(text))
        if len(text.split()) < cfg.label_words and cjk < 2 * cfg.label_words:
            return "caption"
        if abs(run.lines[0].size - body_size) > cfg.size_jump and len(run.lines) <= cfg.label_lines:
            return "caption"  # unfinished text off the body size: a figure's title or legend
    return "paragraph"


def build_blocks(lines: Sequence[LineLike], geo: PageGeometry, body_size: float,
                 cfg: LayoutSettings = DEFAULT_LAYOUT) -> list[Block]:
    """Typed blocks in reading order, each with its 1-based first page (and last, when later)."""
    out: list[Block] = []
    for run in group_lines(lines, geo, body_size, cfg):
        breaks: list[tuple[int, int]] = []
        if run.kind == "prose":
            text = ""
            for n, line in enumerate(run.lines):
                piece = prose_of(line)
                text = join_text(text, piece)
                if n and line.page != run.lines[n - 1].page:  # the paragraph goes on on another page here
                    breaks.append((nonspace(text) - nonspace(piece), line.page + 1))
            kind = _label_or_table(run, text, geo, body_size, cfg)
            if kind == "table":
                text = "\n".join(x.text for x in run.lines)
                breaks = []
        else:
            kind = run.kind
            text = "\n".join(x.text for x in run.lines)
        if not text.strip():
            continue
        first = min(x.page for x in run.lines) + 1
        last = max(x.page for x in run.lines) + 1
        out.append(Block(kind, text.strip(), first, last if last != first else None, tuple(breaks)))
    return out


def prose_text(blocks: Sequence[Block]) -> str:
    """``Section.text``: the prose paragraphs joined by blank lines."""
    return "\n\n".join(b.text for b in blocks if b.prose)

"""The summary as typed blocks, for the formats that are not Markdown (Word, the standalone HTML page, the Zotero
note): the same content in the same order as ``render.render_markdown`` — the overall summary, the key results,
each section with its page marks, its tables and figures — but as data. Every string in a block is plain text, never
markup: each writer escapes it for its own format, so nothing a document carries can become a tag there.

The model's answers are Markdown; ``parse_markdown`` reads the part of it summaries use (paragraphs, bullet and
numbered lists, headings, pipe tables, code fences, ``**bold**``, ``*italic*``, ```code```, footnote marks) and
leaves everything else as the text it is (a link shows as "text (url)", an image as its alt text)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from summarizer.model.results import DocumentSummary
from summarizer.output.citation import Reference, citation_key
from summarizer.output.provenance import Provenance
from summarizer.output.render import (
    clean_title,
    float_caption,
    marked_summary,
    not_summarized_reason,
    section_level,
)


@dataclass(frozen=True)
class Run:
    """A piece of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


Runs = tuple[Run, ...]


@dataclass(frozen=True)
class Heading:
    level: int  # 1 (the title) to 6
    text: str


@dataclass(frozen=True)
class Paragraph:
    runs: Runs
    note: bool = False  # ours, not the summary's: why a section has no summary, a footnote on an untraced number


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[int, Runs], ...]  # (depth from 0, the item's text)
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # the first row is the header; every row as long as the longest
    title: str = ""


@dataclass(frozen=True)
class Figure:
    label: str
    caption: str
    page: int
    png: bytes | None = None  # the image where one was cut from the page
    description: str = ""  # what the figure shows, as a model described it (``Float.description``)
    described_by: str = ""


@dataclass(frozen=True)
class Code:
    text: str


Block = Heading | Paragraph | Bullets | Table | Figure | Code


@dataclass(frozen=True)
class Report:
    """What the rich formats write: the title, facts about the paper (label, value), the blocks, how it was made."""

    title: str
    meta: tuple[tuple[str, str], ...]
    blocks: tuple[Block, ...]
    provenance: Provenance
    language: str = "en"


# -- inline Markdown -------------------------------------------------------------------------------------------

_INLINE = re.compile(
    r"\\([\\`*_{}\[\]()#+\-.!|>~<$])"  # 1: an escaped character
    r"|(`+)(.+?)\2"  # 2, 3: code
    r"|\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__"  # 4, 5: bold
    r"|(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"  # 6: italic
    r"|\[\^([^\]\s]+)\]"  # 7: a footnote mark
    r"|(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)",  # 8, 9, 10: an image or a link
    re.S)


def footnote_number(label: str) -> str:
    """The number a reader sees for a footnote mark: ``s3-2`` → 2."""
    return label.rsplit("-", 1)[-1]


def parse_inline(text: str, bold: bool = False, italic: bool = False) -> Runs:
    """Runs of ``text``'s inline Markdown; whatever is not one of the forms read stays text as written."""
    runs: list[Run] = []
    at = 0

    def plain(value: str) -> None:
        if value:
            runs.append(Run(value, bold, italic))

    for m in _INLINE.finditer(text):
        plain(text[at:m.start()])
        at = m.end()
        if m.group(1) is not None:
            plain(m.group(1))
        elif m.group(3) is not None:
            runs.append(Run(m.group(3), bold, italic, code=True))
        elif m.group(4) is not None or m.group(5) is not None:
            runs += parse_inline(m.group(4) or m.group(5), True, italic)
        elif m.group(6) is not None:
            runs += parse_inline(m.group(6), bold, True)
        elif m.group(7) is not None:
            plain(f"[{footnote_number(m.group(7))}]")
        elif m.group(8):
            plain(m.group(9))  # an image: its alt text, never a fetch
        else:
            runs += parse_inline(m.group(9), bold, italic)
            plain(f" ({m.group(10)})" if m.group(10) and m.group(10) != m.group(9) else "")
    plain(text[at:])
    return _merge(runs)


def _merge(runs: list[Run]) -> Runs:
    out: list[Run] = []
    for r in runs:
        if out and (out[-1].bold, out[-1].italic, out[-1].code) == (r.bold, r.italic, r.code):
            out[-1] = Run(out[-1].text + r.text, r.bold, r.italic, r.code)
        else:
            out.append(r)
    return tuple(out)


def plain_text(markdown: str) -> str:
    """Markdown as the text a reader reads, on one line (the Zotero Extra field, a table cell)."""
    return " ".join("".join(r.text for r in parse_inline(markdown)).split())


# -- block Markdown --------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FOOTNOTE = re.compile(r"^\[\^([^\]\s]+)\]:\s*(.*)$")
_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,3}[.)])\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    return [plain_text(c.replace("\\|", "|").strip()) for c in re.split(r"(?<!\\)\|", inner)]


def table_block(rows: list[list[str]], title: str = "") -> Table | None:
    """Rows as a ``Table`` (padded to the widest row), or None when no cell has text."""
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    return Table(tuple(tuple(str(c) for c in r) + ("",) * (width - len(r)) for r in rows), title)


def parse_markdown(markdown: str, base_level: int = 2) -> list[Block]:
    """Blocks of a model's Markdown; a heading inside it is kept at ``base_level`` or below."""
    blocks: list[Block] = []
    para: list[str] = []
    items: list[tuple[int, str]] = []
    ordered = False
    lines = markdown.splitlines()

    def flush() -> None:
        nonlocal items
        if para:
            blocks.append(Paragraph(parse_inline(" ".join(p.strip() for p in para))))
            para.clear()
        if items:
            blocks.append(Bullets(tuple((depth, parse_inline(text)) for depth, text in items), ordered))
            items = []

    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if _FENCE.match(line):
            flush()
            fence, code = _FENCE.match(line).group(1), []
            while i < len(lines) and not lines[i].strip().startswith(fence):
                code.append(lines[i])
                i += 1
            i += 1
            blocks.append(Code("\n".join(code)))
        elif not line.strip() or _RULE.match(line):
            flush()
        elif _HEADING.match(line):
            flush()
            m = _HEADING.match(line)
            blocks.append(Heading(min(6, max(base_level, len(m.group(1)))), plain_text(m.group(2))))
        elif _FOOTNOTE.match(line):
            flush()
            m = _FOOTNOTE.match(line)
            blocks.append(Paragraph((Run(f"[{footnote_number(m.group(1))}] "),) + parse_inline(m.group(2)), note=True))
        elif _TABLE_ROW.match(line) and i < len(lines) and _TABLE_RULE.match(lines[i]):
            flush()
            rows = [_cells(line)]
            i += 1
            while i < len(lines) and _TABLE_ROW.match(lines[i]):
                rows.append(_cells(lines[i]))
                i += 1
            table = table_block(rows)
            if table is not None:
                blocks.append(table)
        elif _ITEM.match(line):
            m = _ITEM.match(line)
            if para:
                flush()
            if not items:
                ordered = m.group(2)[0].isdigit()
            items.append((min(3, len(m.group(1).expandtabs(4)) // 2), m.group(3)))
        elif items and line[:1].isspace():  # a list item's continuation line
            depth, text = items[-1]
            items[-1] = (depth, f"{text} {line.strip()}")
        elif _QUOTE.match(line):
            para.append(_QUOTE.match(line).group(1))
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return blocks


# -- the summary as blocks -------------------------------------------------------------------------------------

def note(text: str) -> Paragraph:
    return Paragraph((Run(text),), note=True)


def labelled(label: str, text: str) -> Paragraph:
    """"Label: text" with the label in bold and the text read as the model's Markdown."""
    return Paragraph((Run(f"{label}: ", bold=True),) + parse_inline(text), note=True)


def meta_rows(result: DocumentSummary, reference: Reference) -> tuple[tuple[str, str], ...]:
    """The facts under the title: authors, where it appeared and when, its identifiers, source and coverage."""
    from summarizer.verify.coverage import coverage

    doc = result.document
    rows = [("Authors", ", ".join(doc.authors))] if doc.authors else []
    published = ", ".join(x for x in (reference.venue, reference.year) if x)
    rows += [("Published", published)] if published else []
    rows += [("DOI", reference.doi)] if reference.doi else []
    rows += [("arXiv", reference.arxiv)] if reference.arxiv else []
    rows += [("Source", doc.source)]
    rows += [("Pages", str(doc.page_count))] if doc.page_count else []
    rows += [("Cite as", citation_key(reference)), ("Coverage", coverage(result).describe())]
    return tuple(rows)


def build_report(result: DocumentSummary, provenance: Provenance, reference: Reference,
                 images: Mapping[str, bytes] | None = None, include_reasoning: bool = False) -> Report:
    """The run as blocks; ``images`` (figure label -> PNG) puts each figure's image under its caption."""
    doc = result.document
    blocks: list[Block] = [note(f"Note: {n}") for n in result.notices]
    blocks.append(Heading(2, "Overall summary"))
    if result.overview:
        from summarizer.verify.faithfulness import Check, mark_unverified

        blocks += parse_markdown(mark_unverified(result.overview.strip(), Check(result.overview_unverified),
                                                 "overview"), 3)
    else:
        blocks.append(note(f"No overall summary: {result.overview_error or 'nothing was summarized.'}"))
    blocks += key_results_blocks(result)
    for r in result.sections:
        if r.status != "skipped":
            blocks += section_blocks(result, r, images or {}, include_reasoning)
    skipped = [clean_title(r.title) for r in result.sections if r.status == "skipped"]
    if skipped:
        blocks.append(note(f"Not summarized (kept in the document): {'; '.join(skipped)}."))
    return Report(clean_title(doc.title), meta_rows(result, reference), tuple(blocks), provenance, doc.language)


def key_results_blocks(result: DocumentSummary) -> list[Block]:
    """The key results as a table block (``verify.key_results``), under their own heading."""
    from summarizer.verify.key_results import key_results

    doc = result.document
    rows = key_results(doc, result.sections) if doc.genre == "paper" else []
    table = table_block([["Measure", "Value", "Against", "Source"]] +
                        [[r.measure, r.value, r.against or "—", r.citation] for r in rows]) if rows else None
    return [Heading(2, "Key results"), table] if table else []


def section_blocks(result: DocumentSummary, r, images: Mapping[str, bytes], include_reasoning: bool) -> list[Block]:
    """One section: its heading, its summary with page marks (or why there is none), notes, tables and figures."""
    level = section_level(r)
    blocks: list[Block] = [Heading(level, clean_title(r.title))]
    if r.status == "failed":
        return blocks + [note(f"Not summarized: {not_summarized_reason(r)}")]
    if r.status in ("queued", "running", "retrying"):
        return blocks + [note("Not summarized yet.")]
    blocks += parse_markdown(marked_summary(r), level + 1) if r.summary.strip() else [note("(nothing to summarize)")]
    if r.status == "unstructured":
        blocks.append(note(f"Unstructured answer: {r.note or 'the model did not answer in the expected fields.'}"))
    elif r.note:
        blocks.append(note(f"Note: {r.note}"))
    if include_reasoning and r.reasoning:
        blocks.append(labelled("Reasoning", r.reasoning))
    for f in (f for f in result.document.floats if f.section == r.index):
        caption = float_caption(f)
        table = table_block(f.rows, f"{f.label} (p. {f.page}): {caption}") if f.rows else None
        if table is None and f.note:
            caption = f"{caption} ({f.note})"
        blocks.append(table if table is not None else Figure(f.label, caption, f.page, images.get(f.label),
                                                             f.description, f.described_by))
    return blocks

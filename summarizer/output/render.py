"""Markdown rendering, in one place: the only code that writes heading markers.

Titles are stripped of any Markdown heading markers they carry before one marker is added, so
``## ## Title`` cannot happen (field note 17). Section order is the document's order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone

from summarizer.llm.answers import field_text
from summarizer.model.results import NOT_SENT, DocumentSummary
from summarizer.output.escape import escape_text, markdown_cell, safe_markdown
from summarizer.text.float_names import ZH_FIGURE, ZH_TABLE

_MARKERS = re.compile(r"^\s*(#+\s*)+")


def plural(n: int, one: str, many: str = "") -> str:
    """``1 section``, ``2 sections``, ``0 sections``: the count with its noun in agreement."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def clean_title(title: str) -> str:
    """A title as plain heading text: no leading '#', no line breaks."""
    title = _MARKERS.sub("", title.replace("\n", " ")).strip()
    return re.sub(r"\s+", " ", title) or "Untitled"


def heading(level: int, title: str) -> str:
    return f"{'#' * max(1, min(6, level))} {escape_text(clean_title(title))}"


def _demote(markdown: str, floor: int) -> str:
    """Keep headings inside a model's answer below the section heading that holds them."""
    def fix(m: re.Match) -> str:
        return "#" * min(6, max(len(m.group(1)), floor)) + " "
    return re.sub(r"^(#{1,6})\s+", fix, markdown, flags=re.M)


def not_summarized_reason(r) -> str:
    """Why a failed section has no summary, as plain text. A section the failed endpoint kept from being sent does
    not repeat the endpoint's error (said once for the run, and by the section that met it)."""
    if r.error.startswith(NOT_SENT):
        return "not sent (the endpoint failed; the reason is given once, above)."
    return r.error or "this section failed."


def not_summarized(r) -> str:
    """A failed section's line."""
    return f"> **Not summarized:** {escape_text(not_summarized_reason(r))}"


def render_markdown(result: DocumentSummary, include_reasoning: bool = False, when: datetime | None = None,
                    images: dict[str, str] | None = None) -> str:
    doc = result.document
    when = when or datetime.now(timezone.utc)
    lines = [heading(1, doc.title), ""]
    meta = [f"**Source:** {escape_text(doc.source)}", f"**Backend:** {escape_text(result.backend)}"]
    if doc.page_count:
        meta.append(f"**Pages:** {doc.page_count}")
    meta.append(f"**Generated:** {when.strftime('%Y-%m-%d %H:%M UTC')}")
    lines.append(" · ".join(meta))
    if doc.authors:
        lines += ["", f"**Authors:** {escape_text(', '.join(doc.authors))}"]
    for notice in result.notices:
        lines += ["", f"> **Note:** {escape_text(notice)}"]
    lines += ["", coverage_line(result)]
    lines += ["", heading(2, "Overall summary"), ""]
    lines += overview_lines(result)
    lines += key_results_markdown(result)
    for r in result.sections:
        if r.status != "skipped":
            lines += section_lines(result, r, images, include_reasoning)
    lines += skipped_lines(result)
    return "\n".join(lines).rstrip() + "\n"


def overview_lines(result: DocumentSummary, body: Callable[[str], str] = safe_markdown) -> list[str]:
    """The overall summary, its untraced numbers footnoted, headings inside it kept below its own (level 2);
    ``body`` makes the model's Markdown safe (``safe_markdown``, or the math-keeping variant for Obsidian)."""
    if not result.overview:
        return [f"> **No overall summary:** {escape_text(result.overview_error or 'nothing was summarized.')}"]
    from summarizer.verify.faithfulness import Check, mark_unverified

    overview = mark_unverified(result.overview.strip(), Check(result.overview_unverified), "overview")
    return [_demote(body(overview), 3)]


def marked_summary(r) -> str:
    """A section's summary as the model wrote it, with a footnote on each untraced number or quotation and a page
    mark ("(p. 4)") after each claim traced to its page (Markdown, not yet made safe)."""
    from summarizer.verify.faithfulness import Check, mark_unverified

    marked = mark_unverified(r.summary.strip(), Check(r.unverified_numbers, r.unverified_quotes), f"s{r.index + 1}")
    if r.bullets:
        from summarizer.verify.grounding import mark_pages

        marked = mark_pages(marked, r.bullets)
    return marked


def section_level(r) -> int:
    """The heading level of a section's title (2 for a top section, at most 5)."""
    return 2 + max(0, min(r.level, 4) - 1)


def section_lines(result: DocumentSummary, r, images: dict[str, str] | None = None, include_reasoning: bool = False,
                  body: Callable[[str], str] = safe_markdown) -> list[str]:
    """One section as Markdown: its heading, its summary with page marks (or why there is none), its note, and the
    tables and figures it cites first."""
    level = section_level(r)
    lines = ["", heading(level, r.title), ""]
    if r.status == "failed":
        return lines + [not_summarized(r)]
    if r.status in ("queued", "running", "retrying"):
        return lines + ["> **Not summarized yet.**"]
    if r.summary.strip():
        lines.append(_demote(body(marked_summary(r)), level + 1))
    else:
        lines.append("*(nothing to summarize)*")
    if r.status == "unstructured":
        lines += ["", f"> **Unstructured answer:** {escape_text(r.note or 'the model did not answer in the expected fields.')}"]
    elif r.note:
        lines += ["", f"*Note: {escape_text(r.note)}*"]
    if include_reasoning and r.reasoning:
        lines += ["", f"> *Reasoning:* {body(r.reasoning)}"]
    return lines + floats_markdown([f for f in result.document.floats if f.section == r.index], images)


def skipped_lines(result: DocumentSummary) -> list[str]:
    """The sections kept in the document but not summarized (references, acknowledgements), named once at the end."""
    skipped = [escape_text(clean_title(r.title)) for r in result.sections if r.status == "skipped"]
    return ["", "---", "", f"*Not summarized (kept in the document): {'; '.join(skipped)}.*"] if skipped else []


_FLOAT_LABEL = re.compile(r"^\s*(?:fig(?:ure)?\.?|tab(?:le)?\.?|图|表)\s*[0-9A-Z.]+(?:\s?[0-9]+)?\s*[.:：|]?\s*", re.I)


def float_caption(f) -> str:
    """A table's or figure's caption without its own label ("Table 2: Results" reads "Results")."""
    return _FLOAT_LABEL.sub("", f.caption, count=1) or f.caption


def key_results_markdown(result: DocumentSummary) -> list[str]:
    """The paper's headline numbers as a small table (``verify.key_results``), each row citing its page."""
    table = key_results_table(result)
    return ["", heading(2, "Key results"), "", *table] if table else []


def key_results_table(result: DocumentSummary) -> list[str]:
    """The key results' Markdown table alone (no heading): what Obsidian's callout and the app show."""
    from summarizer.verify.key_results import key_results

    doc = result.document
    rows = key_results(doc, result.sections) if doc.genre == "paper" else []
    if not rows:
        return []
    return ["| Measure | Value | Against | Source |", "|---|---|---|---|"] + [
        f"| {markdown_cell(r.measure)} | {markdown_cell(r.value)} | {markdown_cell(r.against or '—')} | "
        f"{markdown_cell(r.citation)} |" for r in rows]


def floats_markdown(floats, images: dict[str, str] | None = None) -> list[str]:
    """A section's tables and figures under its summary: label, page and caption, a figure's one-line description
    under its caption where a model wrote one (``describe_figures``; the model named, both escaped), a table's cells
    as a Markdown table (every cell escaped) where they were read, and a figure's image where one was written
    (``images``: label -> its path relative to the Markdown, ``output.figures``)."""
    out: list[str] = []
    for f in floats:
        caption = float_caption(f)
        out += ["", f"**{escape_text(f.label)}** (p. {f.page}): {escape_text(caption)}"]
        if f.description:
            out += ["", figure_description_line(f)]
        if images and f.label in images:
            out += ["", f"![{escape_text(f.label)}]({images[f.label]})"]
        rows = [r for r in f.rows if any(c.strip() for c in r)]
        if rows:
            width = max(len(r) for r in rows)
            padded = [r + [""] * (width - len(r)) for r in rows]
            out += ["", "| " + " | ".join(markdown_cell(c) for c in padded[0]) + " |", "|" + "---|" * width]
            out += ["| " + " | ".join(markdown_cell(c) for c in r) + " |" for r in padded[1:]]
        elif f.note:
            out += ["", f"*{escape_text(f.note)}*"]
    return out


def figure_description_line(figure) -> str:
    """A figure's description as one Markdown line, "*Figure shows (model):* …", everything it carries escaped."""
    by = f" ({escape_text(figure.described_by)})" if figure.described_by else ""
    return f"*Figure shows{by}:* {escape_text(' '.join(figure.description.split()))}"


_LABELS = {"contributions": "Contributions", "key_numbers": "Key numbers", "key_terms": "Key terms",
           "quote": "Quote", "headline": "Headline"}


def render_fields(fields: dict) -> str:
    """A section answer as Markdown: the summary, then labelled extra fields."""
    parts = []
    headline = field_text(fields.get("headline", ""))
    if headline:
        parts.append(f"**{headline}**")
    summary = field_text(fields.get("summary", ""))
    if summary:
        parts.append(summary)
    for key, value in fields.items():
        if key in ("summary", "headline"):
            continue
        text = field_text(value)
        if text:
            label = _LABELS.get(key, key.replace("_", " ").capitalize())
            parts.append(f"**{label}:**\n{text}" if "\n" in text or text.startswith("- ") else f"**{label}:** {text}")
    return "\n\n".join(parts)


_OVERVIEW = [("tldr", "TL;DR"), ("contributions", "Contributions"), ("method", "Method"), ("results", "Results"),
             ("limitations", "Limitations"), ("audience", "Who should read it")]


def render_overview(fields: dict) -> str:
    """The synthesis answer as Markdown, its known fields first in a fixed order. A news article's overview
    (a headline and a summary, no synthesis fields) reads as the article's own summary does."""
    if "headline" in fields and not any(key in fields for key, _ in _OVERVIEW):
        return render_fields(fields)
    parts = []
    for key, label in _OVERVIEW:
        text = field_text(fields.get(key, ""))
        if text:
            parts.append(f"**{label}:**\n{text}" if text.startswith("- ") else f"**{label}:** {text}")
    known = {k for k, _ in _OVERVIEW}
    for key, value in fields.items():
        if key not in known and field_text(value):
            parts.append(f"**{key.replace('_', ' ').capitalize()}:** {field_text(value)}")
    return "\n\n".join(parts)


def coverage_line(result: DocumentSummary) -> str:
    """The coverage meter as one Markdown line: what was read and what was not."""
    from summarizer.verify.coverage import coverage

    return f"**Coverage:** {coverage(result).describe()}"


#: The longest file name written, in UTF-8 bytes (most file systems allow 255; a zip, a sync service or Windows'
#: 260-character paths want room for the folder).
MAX_NAME_BYTES = 120
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\.|$)", re.I)


def safe_file_name(name: str, suffix: str = "", limit: int = MAX_NAME_BYTES, fallback: str = "summary") -> str:
    """``name`` + ``suffix`` as a file name every common file system takes: only letters, digits (any script),
    ``-``, ``.``, ``_`` (spaces become ``_``; ``/ \\ : * ? " < > |``, control and direction-changing characters are
    dropped), no leading or trailing dot, no reserved Windows device name (CON, NUL, COM1 …, with or without an
    extension), and at most ``limit`` UTF-8 bytes in all, cut at a character boundary."""
    base = " ".join(unicodedata.normalize("NFC", name).split())
    base = re.sub(r"[^\w\-. ]+", "", base).strip().replace(" ", "_")
    base = re.sub(r"_{2,}", "_", base).strip("._-")
    if _WINDOWS_RESERVED.match(base):
        base = "_" + base
    room = max(1, limit - len(suffix.encode("utf-8")))
    base = base.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip("._- ") or fallback
    return base + suffix


def file_base(title: str, source: str = "") -> str:
    """The name a document's files share: its file name without the extension when it has one, else its title."""
    name = source.replace("\\", "/").rstrip("/").split("/")[-1] if source else ""
    base = re.sub(r"\.(pdf|txt|md|markdown|html?|mmd|docx|epub|pptx|odt)$", "", name, flags=re.I)
    if not base or base in ("pasted text", "-", "stdin") or re.match(r"https?:", source or "", re.I):
        base = title
    return base


def summary_filename(title: str, source: str = "") -> str:
    """``<paper name>.summary.md``: from the file name when there is one, else the title."""
    return safe_file_name(file_base(title, source), ".summary.md")


def _link_title(text: str, limit: int = 300) -> str:
    """Document text as a Markdown link title (the tooltip): one line, no quote or backslash that could
    end the title early; the browser shows it as an attribute, never as markup."""
    flat = " ".join(text.split())[:limit]
    return flat.replace("\\", "/").replace('"', "'")


#: A table or figure named in a summary: "Figure 2", "Fig. 3", "Table 1", "图 2", "表 1".
_FLOAT_MENTION = re.compile(r"\b(?:(?P<fig>Fig(?:ure)?s?\.?)|(?P<tab>Tables?))\s?(?P<num>\d{1,3}[A-Za-z]?)\b"
                            rf"|(?:(?P<zfig>{ZH_FIGURE})|(?P<ztab>{ZH_TABLE}))\s?(?P<znum>\d{{1,3}})(?!\.?\d)")


def link_float_mentions(line: str, link: Callable[[str], str | None]) -> str:
    """``line`` (Markdown already escaped) with each table or figure it names linked to ``link(label)`` ("Table 1"),
    where that gives a target: the reader clicks the reference to see it."""
    def linked(m: re.Match) -> str:
        kind = "Figure" if (m.group("fig") or m.group("zfig")) else "Table"
        number = m.group("num") or m.group("znum")
        target = link(f"{kind} {number.upper()}")
        return f"[{m.group(0)}]({target} \"show {kind.lower()} {number}\")" if target else m.group(0)

    return _FLOAT_MENTION.sub(linked, line)


def section_view(r, link: Callable[[int], str] | None = None, float_link: Callable[[str], str | None] | None = None) -> str:
    """One section of a result as ONE Markdown block for the page (title, summary, note): each claim
    traced to a page gets its page mark — a link ``link(line)`` opens the page view, where there is
    one — and an untraced claim says "not found in the section"; a table or figure the summary names is a link
    ``float_link(label)`` to it, where there is one. One block per section keeps a result of a hundred bullets to
    a few elements in the browser, instead of a button and two columns per bullet. Document text is escaped; the
    marks and links are ours."""
    from summarizer.verify.grounding import NOT_FOUND, page_mark, place_mark

    lines = [f"**{escape_text(clean_title(r.title))}**", ""]
    if r.status == "failed":
        return "\n".join(lines + [not_summarized(r)])
    by_line = {b.line: b for b in r.bullets}
    for n, line in enumerate(_demote(r.summary.strip(), 5).splitlines()):
        line = safe_markdown(line)  # document text: shown, never run (field note 29)
        if float_link is not None:
            line = link_float_mentions(line, float_link)
        bullet = by_line.get(n)
        if bullet is not None and line.strip():
            if bullet.found and bullet.pages:
                mark = page_mark(bullet.pages)
                if link is not None:
                    tip = f"support {bullet.support.score:.2f}: {bullet.support.sentence}" if bullet.support else ""
                    mark = f"[{mark}]({link(n)} \"{_link_title(tip)}\")"
                line = place_mark(line, mark)
            elif bullet.support is not None and not bullet.found:
                line = place_mark(line, f":orange[*({NOT_FOUND})*]")
        lines.append(line)
    if r.note:
        lines += ["", f"*Note: {escape_text(r.note)}*"]
    return "\n".join(lines)

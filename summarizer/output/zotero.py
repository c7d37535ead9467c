"""Zotero: the summary as a Zotero note, and a few lines for the item's Extra field.

A Zotero 6/7 note is HTML inside ``<div data-schema-version="…">``; the note editor keeps headings, paragraphs,
lists, bold, italic, code and tables, and drops what it does not know. The note is built from the same escaped
blocks as the HTML page (``html_page.block_html``), figures as their captions (a note holds its images as Zotero
attachments, not data: URIs), page marks as text ("(p. 4)"). The RIS export carries this note in its ``N1`` line,
so File → Import of the ``.ris`` creates the item with the summary as its child note.

The Extra field takes plain text; ``zotero_extra`` gives "Research question: …", "Method: …", "Data: …" and "Key
results: …" lines, each from where the run has it (the overall summary's fields, else the matching section's first
claim), and leaves out a line the run has nothing for.
"""

from __future__ import annotations

import re

from summarizer.llm.answers import field_text
from summarizer.model.results import DocumentSummary
from summarizer.output.html_page import block_html, rows_html, text
from summarizer.output.report import Report, plain_text

#: The note schema version Zotero 7 writes (Zotero 6 wrote lower ones; both read this).
SCHEMA_VERSION = 9
#: A section whose title says it describes the data (no section kind is "data").
_DATA_TITLE = re.compile(r"\b(?:data(?:sets?)?|corpus|corpora|materials?|participants|samples?|subjects|cohort)\b|数据|样本",
                         re.I)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")


def zotero_note(report: Report) -> str:
    """The Zotero note's HTML (one line, as the RIS ``N1`` field carries it)."""
    parts = [f'<div data-schema-version="{SCHEMA_VERSION}">', f"<h1>{text(report.title)}</h1>",
             rows_html(report.meta, "meta"), *(block_html(b, images=False) for b in report.blocks),
             "<h2>Provenance</h2>", rows_html(report.provenance.rows(), "provenance"), "</div>"]
    return "".join(p.replace("\n", " ") for p in parts)


def first_claim(summary: str) -> str:
    """The first line of a summary with text, as plain text (its bullet and Markdown gone, its page mark kept)."""
    for line in summary.splitlines():
        line = _BULLET.sub("", line).strip()
        if line and not line.startswith(("#", "[^", "|")):
            return plain_text(line)
    return ""


def _section_claim(result: DocumentSummary, kinds: tuple[str, ...] = (), title: re.Pattern | None = None) -> str:
    from summarizer.output.render import marked_summary

    for r in result.sections:
        if r.ok and r.summary.strip() and (r.kind in kinds or (title is not None and title.search(r.title))):
            claim = first_claim(marked_summary(r))
            if claim:
                return claim
    return ""


def _field(result: DocumentSummary, key: str) -> str:
    value = field_text(result.overview_fields.get(key, ""))
    return "; ".join(plain_text(_BULLET.sub("", line)) for line in value.splitlines() if line.strip())


def zotero_extra(result: DocumentSummary) -> str:
    """Lines for Zotero's Extra field (plain text, one fact a line); a fact the run does not have is left out."""
    from summarizer.verify.key_results import key_results

    doc = result.document
    key = "; ".join(f"{k.measure} {k.value} ({k.citation})" for k in key_results(doc, result.sections)[:3]) if doc.genre == "paper" else ""
    lines = [("Research question", _section_claim(result, ("introduction",))),
             ("Method", _field(result, "method") or _section_claim(result, ("method",))),
             ("Data", _section_claim(result, title=_DATA_TITLE)),
             ("Key results", _field(result, "results") or key or _section_claim(result, ("results", "experiments")))]
    return "".join(f"{label}: {' '.join(value.split())}\n" for label, value in lines if value.strip())

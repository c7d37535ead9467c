"""Obsidian notes: the summary as a note with YAML front matter (Obsidian's "properties": title, authors, year,
identifiers, citation key, tags, how it was made), the overall summary in a ``> [!summary]`` callout, the key results
as a table in a ``> [!note]`` callout, each section with its page marks as text ("(p. 4)"), math kept as ``$…$``,
figures linked from the assets folder beside the note; and ``vault_index``, the note that links a batch's notes with
``[[note|title]]`` wikilinks.

The front matter is written by PyYAML's safe dumper (every string quoted as YAML needs; one with a line break or
a control character double-quoted on one line, so no line of it can read as the ``---`` that ends the block); the
body is escaped as every Markdown we write (``output.escape``), with TeX math spans kept whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from summarizer.model.results import DocumentSummary
from summarizer.output.citation import Reference, citation_key
from summarizer.output.escape import escape_text, safe_markdown_math
from summarizer.output.provenance import Provenance
from summarizer.output.render import (
    coverage_line,
    heading,
    key_results_table,
    overview_lines,
    section_lines,
    skipped_lines,
)

#: Characters a wikilink's target or alias cannot hold (they end it, or mean a heading, block or alias).
_WIKILINK_UNSAFE = re.compile(r"[\[\]|#^<>\\\n\r\t]+")


def front_matter(data: dict) -> str:
    """``---`` + YAML + ``---``: empty values left out, every string safely quoted."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """The safe dumper, with a string holding a line break or a control character written double-quoted."""

    def represent_str(dumper: yaml.SafeDumper, value: str):
        style = '"' if re.search(r"[\x00-\x1f\x7f\u2028\u2029\x85]", value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    kept = {k: v for k, v in data.items() if v not in (None, "", [], ())}
    body = yaml.dump(kept, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=4096)
    return f"---\n{body}---\n"


def note_properties(result: DocumentSummary, reference: Reference, provenance: Provenance) -> dict:
    """The note's properties (its front matter), the paper's record first, then how the summary was made."""
    doc = result.document
    return {"title": doc.title, "authors": list(doc.authors), "year": reference.year, "venue": reference.venue,
            "doi": reference.doi, "arxiv": reference.arxiv, "url": reference.link, "source": doc.source,
            "citekey": citation_key(reference), "tags": ["summary", str(doc.genre)], "backend": provenance.backend,
            "model": provenance.model, "prompt_set": provenance.prompt_set, "date": provenance.date,
            "cost_usd": None if provenance.offline or provenance.cost_usd is None else round(provenance.cost_usd, 6),
            "unverified_numbers": provenance.unverified}


def callout(kind: str, title: str, lines: Sequence[str]) -> list[str]:
    """An Obsidian callout: its first line ``> [!kind] title``, then every line of the body prefixed "> "."""
    body = "\n".join(lines).strip("\n").splitlines()
    return [f"> [!{kind}] {escape_text(title)}", *(f"> {line}" if line.strip() else ">" for line in body)]


def obsidian_note(result: DocumentSummary, reference: Reference, provenance: Provenance,
                  images: dict[str, str] | None = None, include_reasoning: bool = False) -> str:
    """The summary as one Obsidian note; ``images``: figure label -> its link relative to the note."""
    doc = result.document
    lines = [front_matter(note_properties(result, reference, provenance)), heading(1, doc.title), ""]
    if doc.authors:
        lines += [f"**Authors:** {escape_text(', '.join(doc.authors))}", ""]
    lines += [f"> **Note:** {escape_text(n)}\n" for n in result.notices]
    lines += [coverage_line(result), ""]
    lines += callout("summary", "Overall summary", overview_lines(result, safe_markdown_math))
    table = key_results_table(result)
    if table:
        lines += ["", *callout("note", "Key results", table)]
    for r in result.sections:
        if r.status != "skipped":
            lines += section_lines(result, r, images, include_reasoning, safe_markdown_math)
    lines += skipped_lines(result)
    return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class VaultEntry:
    """One note of a vault folder: its file name without ``.md`` (the wikilink's target) and what the index says."""

    note: str
    title: str
    authors: tuple[str, ...] = ()
    year: str = ""
    status: str = ""


def wikilink(note: str, alias: str = "") -> str:
    """``[[note|alias]]`` with whatever would end or redirect the link taken out of both parts."""
    target = " ".join(_WIKILINK_UNSAFE.sub(" ", note).split()) or "untitled"
    shown = " ".join(_WIKILINK_UNSAFE.sub(" ", alias).split())
    return f"[[{target}|{shown}]]" if shown and shown != target else f"[[{target}]]"


def vault_index(entries: Sequence[VaultEntry], when: datetime | None = None) -> str:
    """The index note of a vault folder: a wikilink to every note, with its authors and year."""
    head = front_matter({"title": "Summaries", "tags": ["summary-index"],
                         "date": (when or datetime.now()).strftime("%Y-%m-%d")})
    lines = [head, "# Summaries", ""]
    for e in sorted(entries, key=lambda e: e.note.casefold()):
        extra = ", ".join(x for x in (", ".join(e.authors[:3]) + (" et al." if len(e.authors) > 3 else ""), e.year) if x)
        status = f" ({escape_text(e.status)})" if e.status and e.status != "done" else ""
        lines.append(f"- {wikilink(e.note, e.title)}" + (f" — {escape_text(extra)}" if extra else "") + status)
    return "\n".join(lines) + "\n"

"""What a summary read and what it did not: one line above every summary (UI, Markdown, --json).

"9 of 9 sections summarized; §4 split into 3 parts; 2 failed; references and 2 captions skipped;
only the first 600 of 812 pages read" — computed from the ``DocumentSummary`` alone. Sections a
stopped run never ran are "not run", never "failed": nothing went wrong with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from summarizer.model.document import NOT_SUMMARIZED
from summarizer.model.results import DocumentSummary
from summarizer.text.retrieval import section_label

_PAGE_LIMIT = re.compile(r"first (\d[\d,]*) of (\d[\d,]*) pages")
_KIND_WORDS = {"references": ("references", "reference sections"),
               "acknowledgements": ("acknowledgements", "acknowledgement sections"),
               "caption": ("1 caption", "{n} captions")}


@dataclass
class Coverage:
    sections: int  # sections that were to be summarized
    summarized: int
    split: list[tuple[str, int]] = field(default_factory=list)  # (label, parts)
    failed: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # the run stopped before these were summarized
    pending: int = 0  # still queued or running (a run saved while it ran)
    skipped_kinds: dict[str, int] = field(default_factory=dict)  # kind → count (not summarized by default)
    excluded: int = 0  # sections left out in the review
    empty: int = 0
    pages_read: int | None = None
    pages_total: int | None = None
    claims: int = 0
    claims_found: int = 0
    stopped: str = ""  # why the run ended early
    paged: bool = True  # the document has pages (a PDF); pasted text and text files have none

    def describe(self) -> str:
        parts = [f"{self.summarized} of {self.sections} section{'s' if self.sections != 1 else ''} summarized"]
        parts += [f"{label} split into {n} parts" for label, n in self.split]
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({', '.join(self.failed[:3])}{'…' if len(self.failed) > 3 else ''})")
        why = f" ({self.stopped})" if self.stopped else ""
        if self.not_run:
            parts.append(f"{len(self.not_run)} not run{why}")
        if self.pending:
            parts.append(f"{self.pending} not finished" + ("" if self.not_run else why))
        skipped = []
        for kind, n in self.skipped_kinds.items():
            one, many = _KIND_WORDS.get(kind, (kind, f"{{n}} {kind} sections"))
            skipped.append(one if n == 1 else many.format(n=n))
        if skipped:
            parts.append(" and ".join([", ".join(skipped[:-1]), skipped[-1]] if len(skipped) > 1 else skipped)
                         + " skipped")
        if self.excluded:
            parts.append(f"{self.excluded} section{'s' if self.excluded != 1 else ''} excluded in the review")
        if self.empty:
            parts.append(f"{self.empty} empty section{'s' if self.empty != 1 else ''}")
        if self.pages_read and self.pages_total:
            parts.append(f"only the first {self.pages_read:,} of {self.pages_total:,} pages read")
        if self.claims:
            where = "a page" if self.paged else "the text"  # nothing about pages where there are none
            parts.append(f"{self.claims_found} of {self.claims} summary claim{'s' if self.claims != 1 else ''} traced to {where}")
        return "; ".join(parts) + "."

    def as_json(self) -> dict:
        return {"sections": self.sections, "summarized": self.summarized,
                "split": [{"section": label, "parts": n} for label, n in self.split], "failed": list(self.failed),
                "not_run": list(self.not_run), "not_finished": self.pending, "skipped": dict(self.skipped_kinds), "excluded": self.excluded,
                "empty": self.empty, "pages_read": self.pages_read, "pages_total": self.pages_total,
                "claims": self.claims, "claims_found": self.claims_found, "stopped": self.stopped,
                "text": self.describe()}


def coverage(result: DocumentSummary) -> Coverage:
    """Count what was summarized, split, failed and skipped, and why."""
    doc = result.document
    cov = Coverage(0, 0, stopped=getattr(result, "stopped", "") or "",
                   paged=bool(doc.page_count) or any(s.page_start for s in doc.sections))
    for r in result.sections:
        section = doc.sections[r.index] if r.index < len(doc.sections) else None
        if r.status == "skipped":
            if section is not None and not section.text.strip():
                cov.empty += 1
            elif r.kind in NOT_SUMMARIZED or section is None or section.included:
                cov.skipped_kinds[r.kind] = cov.skipped_kinds.get(r.kind, 0) + 1
            else:
                cov.excluded += 1
            continue
        cov.sections += 1
        if r.ok:
            cov.summarized += 1
            if r.parts > 1:
                cov.split.append((section_label(r.title), r.parts))
            supported = [b for b in r.bullets if b.support is not None]
            cov.claims += len(supported)
            cov.claims_found += sum(b.found for b in supported)
        elif r.not_run:
            cov.not_run.append(section_label(r.title))
        elif r.status == "failed":
            cov.failed.append(section_label(r.title))
        else:
            cov.pending += 1
    for notice in doc.notices:
        m = _PAGE_LIMIT.search(notice)
        if m:
            cov.pages_read, cov.pages_total = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
    return cov

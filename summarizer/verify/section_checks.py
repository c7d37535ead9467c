"""A section's checks against its source — faithfulness (numbers, quotations, names not in the text)
and grounding (each claim's supporting sentence and pages) — remembered beside cached answers.

A re-run whose answers all come from the cache would otherwise check every section again: in a
fresh process that is the import of the grounding code and the compiling of the faithfulness rules,
a third of what such a run costs over parsing. The checks are a pure function of the summary, the
section (text, blocks, pages), the document's title and language, and the code that checks; the
memo key hashes all of these — the code by its modules' sizes and modification times, so any change
to a rule misses the memo instead of returning a stale verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from summarizer.model.document import Document
from summarizer.model.results import SectionResult

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the package's modules (the rules a verdict came from) by name, size and modification
    time: any edit or install changes it, and reading ~60 file entries costs a millisecond where
    hashing their contents cost 30."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(PACKAGE)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def source_of(document: Document, index: int) -> str:
    """The text a section's summary is checked against: the document's and the section's titles, the section's
    text (so a title the summary repeats is not an invention) and the cells of the tables it cites (where they
    were read: ``--tables``)."""
    section = document.sections[index]
    tables = "\n".join(f"{f.label}: {f.caption}\n{f.cells_text}"
                       for f in read_tables(document, index))  # a number read from the section's table is traced
    return f"{document.title}\n{section.title}\n{section.text}" + (f"\n{tables}" if tables else "")


def verify(result: SectionResult, source: str) -> None:
    """Record what in the section's summary cannot be traced to the section's text."""
    from summarizer.verify.faithfulness import check_summary

    check = check_summary(result.summary, source)
    result.unverified_numbers, result.unverified_quotes, result.unverified_names = check.numbers, check.quotes, check.names


def ground(result: SectionResult, document: Document) -> None:
    """Give each claim of the section's summary its supporting sentence and page(s)."""
    from summarizer.verify.grounding import ground_summary

    result.bullets = ground_summary(result.summary, document.sections[result.index], document.language,
                                    read_tables(document, result.index))


def read_tables(document: Document, index: int) -> list:
    """The section's tables whose cells were read (``--tables``, or opened in the app)."""
    return [f for f in document.floats if f.section == index and f.rows]


def memo_key(result: SectionResult, document: Document) -> str:
    section = document.sections[result.index]
    payload = json.dumps({"code": code_digest(), "summary": result.summary, "title": document.title,
                          "language": document.language, "section": asdict(section),
                          "tables": [f.to_json() for f in read_tables(document, result.index)]},
                         sort_keys=True, ensure_ascii=False, default=str)
    return "checks:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def check_section(result: SectionResult, document: Document, cache=None) -> None:
    """Verify and ground a finished section; with an answer ``cache`` (``AnswerCache``), a section whose
    answer came from it takes its checks from the memo when they are there, and checks computed are
    stored for the next run."""
    key = memo_key(result, document) if cache is not None else None
    if key is not None and result.cached:
        hit = cache.get(key)
        if isinstance(hit, dict):
            from summarizer.verify.grounding import Bullet

            result.unverified_numbers = list(hit["numbers"])
            result.unverified_quotes = list(hit["quotes"])
            result.unverified_names = list(hit["names"])
            result.bullets = [Bullet.from_dict(b) for b in hit["bullets"]]
            return
    verify(result, source_of(document, result.index))
    ground(result, document)
    if key is not None:
        cache.set(key, {"numbers": result.unverified_numbers, "quotes": result.unverified_quotes,
                        "names": result.unverified_names, "bullets": [asdict(b) for b in result.bullets]})

"""OpenDocument text (``.odt``) into a ``Document``, read from the package's ``content.xml`` and ``meta.xml`` with
lxml.

ODF text is plain, documented XML (OASIS ODF 1.2/1.3), and lxml, already a dependency, reads it; odfpy, the
usual library, last released in 2020 and would add a package to the install for what a page of code does.
``text:h`` with its ``text:outline-level`` is a heading; ``text:p`` a paragraph (one in the "Title" style, or
a style based on it, is the title, unless ``meta.xml``'s ``dc:title`` names one); each ``text:list-item`` a
paragraph; ``table:table`` a table block. Generated indexes (the table of contents, an alphabetical index),
footnote bodies, annotations, drawings and tracked deletions are left out; a generated bibliography is kept,
as the references a PDF or Markdown paper has. A password-protected file (its manifest holds
``encryption-data``: the XML inside is ciphertext) is refused.
"""

from __future__ import annotations

import logging
import zipfile

from summarizer.inputs.archive import read_member
from summarizer.inputs.markup import parse_xml
from summarizer.inputs.outline import Heading, Outline, build_document, tidy
from summarizer.model.document import Block, Document
from summarizer.model.errors import InputError

logger = logging.getLogger(__name__)

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"

#: Text elements whose content is not the document's running text.
_LEFT_OUT = {f"{{{TEXT}}}{n}" for n in ("table-of-content", "alphabetical-index", "illustration-index", "table-index",
                                        "object-index", "user-index", "sequence-decls",
                                        "tracked-changes", "variable-decls", "user-field-decls", "note",
                                        "deletion")} | {f"{{{OFFICE}}}annotation", f"{{{OFFICE}}}forms"}
#: Most copies of one repeated cell kept (a repeat count is how ODF writes a run of equal, usually empty, cells).
_MAX_REPEAT = 64


def read_odt(archive: zipfile.ZipFile, name: str) -> Document:
    """The document in an opened ``.odt`` package (already checked to be OpenDocument text within the caps)."""
    manifest = read_member(archive, "META-INF/manifest.xml", name) or b""
    if b"encryption-data" in manifest:
        logger.info("'%s': the manifest names encrypted entries", name)
        raise InputError(f"'{name}' is password-protected; open it in LibreOffice or Word, save an unprotected copy "
                         "and load that.")
    content = read_member(archive, "content.xml", name)
    if content is None:
        raise InputError(f"'{name}' is not a complete OpenDocument file (it has no content.xml); save it again.")
    root = parse_xml(content)
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if body is None:
        raise InputError(f"'{name}' is an OpenDocument file without text (not a text document).")
    parents = {s.get(f"{{{STYLE}}}name"): s.get(f"{{{STYLE}}}parent-style-name")
               for s in root.iter(f"{{{STYLE}}}style")}
    reader = _Reader(parents)
    reader.walk(body)
    outline = Outline(items=reader.items)
    title, authors = _meta(read_member(archive, "meta.xml", name), name)
    outline.title = title or reader.title
    outline.authors = authors
    return build_document(outline, name, f"'{name}' has no text to summarize: the document is empty or holds "
                                         "only images or tables.")


def _meta(raw: bytes | None, name: str) -> tuple[str | None, list[str]]:
    """(title, authors) from ``meta.xml``: ``dc:title``; the initial creator, else the last one who saved it."""
    if raw is None:
        return None, []
    try:
        root = parse_xml(raw)
    except Exception:  # the metadata is optional: a broken meta.xml costs the title, not the document
        logger.info("'%s': meta.xml cannot be read", name, exc_info=True)
        return None, []
    title = tidy(root.findtext(f".//{{{DC}}}title") or "") or None
    author = root.findtext(f".//{{{META}}}initial-creator") or root.findtext(f".//{{{DC}}}creator") or ""
    return title, [author]


class _Reader:
    """Walks ``office:text`` once, gathering headings and blocks in order."""

    def __init__(self, parents: dict[str | None, str | None]) -> None:
        self.parents = parents
        self.items: list[Heading | Block] = []
        self.title: str | None = None

    def _is_title(self, style: str | None) -> bool:
        for _ in range(12):
            if style is None:
                return False
            if style == "Title":
                return True
            style = self.parents.get(style)
        return False

    def walk(self, element) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _LEFT_OUT:
                continue
            if tag == f"{{{TEXT}}}h":
                try:
                    level = int(child.get(f"{{{TEXT}}}outline-level") or 1)
                except ValueError:
                    level = 1
                self.items.append(Heading(text_of(child), level))
            elif tag == f"{{{TEXT}}}p":
                text = text_of(child)
                if self.title is None and text.strip() and self._is_title(child.get(f"{{{TEXT}}}style-name")):
                    self.title = tidy(text)
                else:
                    self.items.append(Block("paragraph", text))
            elif tag == f"{{{TABLE}}}table":
                self.items.append(Block("table", table_text(child)))
            else:  # text:list, text:list-item, text:section, text:soft-page-break …: step in
                self.walk(child)


def text_of(element) -> str:
    """A paragraph's text: spans and links read through; ``text:s`` as its count of spaces, tabs and line
    breaks as spaces; footnotes, annotations and drawings left out."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _LEFT_OUT and not tag.startswith("{urn:oasis:names:tc:opendocument:xmlns:drawing"):
            if tag == f"{{{TEXT}}}s":
                try:
                    parts.append(" " * min(int(child.get(f"{{{TEXT}}}c") or 1), 8))
                except ValueError:
                    parts.append(" ")
            elif tag in (f"{{{TEXT}}}tab", f"{{{TEXT}}}line-break"):
                parts.append(" ")
            else:
                parts.append(text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def table_text(table) -> str:
    """A table as a row per line and " | " between cells; covered (merged-away) cells and trailing empty cells
    left out, nested tables read into their cell."""
    rows: list[str] = []
    for row in table.iter(f"{{{TABLE}}}table-row"):
        if _owner(row) is not table:
            continue
        cells: list[str] = []
        for cell in row:
            if cell.tag != f"{{{TABLE}}}table-cell":
                continue
            text = tidy(" ".join(text_of(p) for p in cell.iter(f"{{{TEXT}}}p", f"{{{TEXT}}}h")))
            try:
                repeat = int(cell.get(f"{{{TABLE}}}number-columns-repeated") or 1)
            except ValueError:
                repeat = 1
            cells.extend([text] * max(1, min(repeat, _MAX_REPEAT)))
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _owner(row):
    parent = row.getparent()
    while parent is not None and parent.tag != f"{{{TABLE}}}table":
        parent = parent.getparent()
    return parent

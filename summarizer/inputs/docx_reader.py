"""Word ``.docx`` files into a ``Document``, read with python-docx.

A paragraph is a heading when Word says so: its outline level (set on the paragraph or on its style, as Word
does for its built-in "Heading 1" … "Heading 9" and any style based on them), else a style named "Heading N".
The "Title" style gives the document's title unless the file's core properties name one; the core properties'
author gives the authors. List items are prose paragraphs, one each (a bullet is a point the author makes,
and only paragraphs are summarized); tables become table blocks of their cells' text, kept out of the prose;
"Caption" paragraphs become caption blocks. A table of contents (Word's field or its content control) is left
out: its lines are headings again, with page numbers. Text is read from the runs themselves, so tracked
insertions count and tracked deletions, text boxes and the fallback copy of drawings do not.
"""

from __future__ import annotations

import io
import logging
import re

from summarizer.inputs.outline import Heading, Outline, build_document, tidy
from summarizer.model.document import Block, Document

logger = logging.getLogger(__name__)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.I)
#: Elements whose text is not the paragraph's: text boxes, deleted runs, the fallback copy of a drawing.
_SKIPPED = {f"{{{W}}}txbxContent", f"{{{W}}}del", f"{{{W}}}moveFrom", f"{{{MC}}}Fallback"}
_BREAKS = {f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr", f"{{{W}}}ptab"}


def read_docx(data: bytes, name: str) -> Document:
    """The document in a ``.docx`` file's bytes (already checked to be a Word package within the caps)."""
    import docx  # lazy: python-docx is only needed when a Word file comes

    word = docx.Document(io.BytesIO(data))
    styles = _Styles(word)
    outline = Outline()
    title_paragraph: str | None = None
    for kind, element in _body_items(word.element.body):
        if kind == "table":
            outline.items.extend(_table(element))
            continue
        text = paragraph_text(element)
        if not text.strip():
            continue
        names, style_level = styles.of(element)
        own = names[0].lower() if names else ""
        if own.startswith("toc ") or own == "toc heading":  # a line of a table of contents
            continue
        if own == "title":
            title_paragraph = title_paragraph or tidy(text)
            continue
        level = heading_level(element, style_level)
        if level is not None:
            outline.items.append(Heading(text, level))
        elif any(n.lower() == "caption" for n in names):
            outline.items.append(Block("caption", text))
        else:
            outline.items.append(Block("paragraph", text))
    properties = word.core_properties
    outline.title = tidy(properties.title or "") or title_paragraph
    outline.authors = [properties.author or ""]
    return build_document(outline, name, f"'{name}' has no text to summarize: the Word document is empty or holds "
                                         "only images, tables or text boxes.")


class _Styles:
    """The paragraph styles of a document, each resolved once: python-docx looks a style up by scanning every
    style, which costs seconds over a long document's paragraphs."""

    def __init__(self, word) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        self.by_id = {s.style_id: s for s in word.styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
        self.default = word.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self.resolved: dict[str | None, tuple[list[str], int | None]] = {}

    def of(self, paragraph) -> tuple[list[str], int | None]:
        """(the paragraph's style name and those it is based on, nearest first; the heading level they give)."""
        ppr = paragraph.pPr
        style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
        if style_id not in self.resolved:
            style = self.by_id.get(style_id, self.default) if style_id else self.default
            self.resolved[style_id] = (_style_names(style), _style_level(style))
        return self.resolved[style_id]


def _body_items(container):
    """("paragraph" | "table", element) for the container's content in order, stepping into content controls
    (a cover page, an abstract box) but not into a table of contents."""
    for child in container:
        tag = child.tag
        if tag == f"{{{W}}}p":
            yield "paragraph", child
        elif tag == f"{{{W}}}tbl":
            yield "table", child
        elif tag == f"{{{W}}}sdt":
            gallery = child.find(f"{{{W}}}sdtPr/{{{W}}}docPartObj/{{{W}}}docPartGallery")
            if gallery is not None and "contents" in (gallery.get(f"{{{W}}}val") or "").lower():
                continue
            content = child.find(f"{{{W}}}sdtContent")
            if content is not None:
                yield from _body_items(content)


def paragraph_text(element) -> str:
    """The visible text of a ``w:p``: its runs, hyperlinks, fields and tracked insertions; tabs and breaks as
    spaces."""
    parts: list[str] = []

    def walk(node) -> None:
        for child in node:
            tag = child.tag
            if tag in _SKIPPED or not isinstance(tag, str):
                continue
            if tag == f"{{{W}}}t":
                parts.append(child.text or "")
            elif tag in _BREAKS:
                parts.append(" ")
            elif tag == f"{{{W}}}noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(element)
    return "".join(parts)


def _style_names(style) -> list[str]:
    names: list[str] = []
    while style is not None and len(names) < 12:
        names.append(style.name or "")
        style = style.base_style
    return names


def _outline_level(ppr) -> int | None:
    if ppr is None:
        return None
    found = ppr.find(f"{{{W}}}outlineLvl")
    if found is None:
        return None
    try:
        return int(found.get(f"{{{W}}}val"))
    except (TypeError, ValueError):
        return None


def _as_heading(level: int) -> int | None:
    """Word's outline level 0–8 as a heading level 1–9; 9 is Word's "body text"."""
    return level + 1 if 0 <= level < 9 else None


def _style_level(style) -> int | None:
    """The heading level a style gives: its outline level (walking up the styles it is based on), else a name
    "Heading N"."""
    for _ in range(12):
        if style is None:
            return None
        level = _outline_level(style.element.pPr)
        if level is not None:
            return _as_heading(level)
        named = _HEADING_STYLE.match(style.name or "")
        if named:
            return int(named.group(1))
        style = style.base_style
    return None


def heading_level(paragraph, style_level: int | None) -> int | None:
    """1 for a top heading, 2 below it …; None for body text. The paragraph's own outline level wins over its
    style's."""
    own = _outline_level(paragraph.pPr)
    return _as_heading(own) if own is not None else style_level


def _table(element) -> list[Block]:
    """A table as one table block, a row per line and " | " between cells (a merged cell once); a one-cell table
    is a box around text, read as its paragraphs."""
    rows: list[list[str]] = []
    for tr in element.iter(f"{{{W}}}tr"):
        if _inside_nested_table(tr, element):
            continue
        cells = []
        for tc in tr.findall(f"{{{W}}}tc"):
            merge = tc.find(f"{{{W}}}tcPr/{{{W}}}vMerge")
            if merge is not None and merge.get(f"{{{W}}}val") in (None, "continue"):
                cells.append("")  # the rest of a cell merged down: its text is in the row above
                continue
            cells.append(tidy(" ".join(paragraph_text(p) for p in tc.iter(f"{{{W}}}p"))))
        if any(cells):
            rows.append(cells)
    if len(rows) == 1 and len(rows[0]) == 1:
        return [Block("paragraph", paragraph_text(p)) for p in element.iter(f"{{{W}}}p")]
    if not rows:
        return []
    return [Block("table", "\n".join(" | ".join(row) for row in rows))]


def _inside_nested_table(row, table) -> bool:
    parent = row.getparent()
    while parent is not None and parent is not table:
        if parent.tag == f"{{{W}}}tbl":
            return True
        parent = parent.getparent()
    return False

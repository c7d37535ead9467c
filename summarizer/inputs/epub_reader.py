"""EPUB books into a ``Document``, read with ebooklib (the package, its OPF metadata and spine) and lxml (each
chapter's XHTML).

Chapters are read in spine order; the ``h1`` … ``h6`` inside them are the sections. A chapter file without a
heading continues the section before it (e-book tools split long chapters into several files), unless the
table of contents names it, when that name is its heading. Paragraphs, list items, block quotes and the like
are prose paragraphs; tables are table blocks; figure captions are caption blocks; navigation, footnote asides
and note references are left out. The title and authors are the OPF's ``dc:title`` and ``dc:creator``.

A book whose content is encrypted (DRM: ``META-INF/rights.xml``, Apple's ``sinf.xml``, or an
``encryption.xml`` that names anything but fonts, which publishers obfuscate in books that are otherwise
plain) is refused before it is read: its chapters would read as noise.
"""

from __future__ import annotations

import io
import logging
import zipfile

from lxml import etree

from summarizer.inputs.archive import read_member
from summarizer.inputs.markup import attribute, local_name, parse_xhtml, parse_xml
from summarizer.inputs.outline import Heading, Outline, build_document, tidy
from summarizer.model.document import Block, Document
from summarizer.model.errors import InputError

logger = logging.getLogger(__name__)

#: Fonts, the one thing a DRM-free book encrypts (obfuscation, undone by every reader without a key).
_FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_SKIPPED = {"head", "script", "style", "nav", "noscript", "template", "svg", "math", "object", "iframe", "rt", "rp"}
_NOTE_TYPES = {"footnote", "endnote", "rearnote", "note", "noteref", "footnotes", "endnotes", "rearnotes", "toc"}
#: Elements that hold blocks; anything else is inline text inside a paragraph.
_CONTAINERS = {"html", "body", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "dl",
               "li", "dd", "dt", "blockquote", "figure", "figcaption", "p", "pre", "address", "center", "hgroup",
               "details", "summary", "table", "hr", *_HEADINGS}


def check_drm(archive: zipfile.ZipFile, name: str) -> None:
    """An ``InputError`` when the book's content is encrypted."""
    names = set(archive.namelist())
    if "META-INF/rights.xml" in names or "META-INF/sinf.xml" in names:
        logger.info("'%s' has a DRM rights file", name)
        raise _drm(name)
    raw = read_member(archive, "META-INF/encryption.xml", name)
    if raw is None:
        return
    try:
        root = parse_xml(raw)
    except etree.XMLSyntaxError as exc:
        logger.info("'%s': encryption.xml is not XML", name, exc_info=True)
        raise _drm(name) from exc
    for reference in (e for e in root.iter() if local_name(e) == "cipherreference"):
        uri = (attribute(reference, "URI") or "").lower()
        if not uri.endswith(_FONT_SUFFIXES):
            logger.info("'%s': encryption.xml encrypts %s", name, uri)
            raise _drm(name)


def _drm(name: str) -> InputError:
    return InputError(f"'{name}' is protected by DRM (its chapters are encrypted), so it cannot be read; "
                      "use a DRM-free copy of the book.")


def read_epub(data: bytes, name: str) -> Document:
    """The document in an EPUB's bytes (already checked to be an EPUB within the caps, and DRM-free)."""
    import ebooklib  # lazy: ebooklib is only needed when a book comes
    from ebooklib import epub

    book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": True})
    toc = _toc_titles(book.toc)
    outline = Outline()
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT or isinstance(item, epub.EpubNav):
            continue
        content = item.content  # the file as stored: get_content() rebuilds it, and gives b"" when that fails
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not content or not content.strip():
            continue
        items = chapter_items(parse_xhtml(content))
        if not any(isinstance(i, Heading) for i in items) and any(isinstance(i, Block) and i.prose for i in items):
            label = toc.get(item.get_name())
            if label:
                items.insert(0, Heading(label, 1))
        outline.items.extend(items)
    outline.title = next((tidy(str(v)) for v, _ in book.get_metadata("DC", "title") if str(v).strip()), None)
    outline.authors = [str(v) for v, _ in book.get_metadata("DC", "creator")]
    return build_document(outline, name, f"'{name}' has no text to summarize: its chapters are empty or hold only "
                                         "images.")


def _toc_titles(entries) -> dict[str, str]:
    """Chapter file → the table of contents' name for it (the first entry that points at the file)."""
    found: dict[str, str] = {}

    def walk(nodes) -> None:
        for node in nodes:
            if isinstance(node, tuple | list) and len(node) == 2:  # (Section, children)
                walk([node[0]])
                walk(node[1])
                continue
            href, title = getattr(node, "href", None), getattr(node, "title", None)
            if href and title:
                found.setdefault(href.split("#", 1)[0], tidy(title))

    walk(entries)
    return found


def _skipped(element) -> bool:
    tag = local_name(element)
    if not tag or tag in _SKIPPED:
        return True
    types = set((attribute(element, "type") or "").lower().split())
    role = (element.get("role") or "").lower()
    return bool(types & _NOTE_TYPES) or role in ("doc-footnote", "doc-endnote", "doc-noteref", "doc-toc")


def inline_text(element) -> str:
    """The text of an element as one line, skipped parts left out, their tails kept."""
    parts = [element.text or ""]
    for child in element:
        if not _skipped(child):
            parts.append(" " if local_name(child) == "br" else inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def chapter_items(root) -> list[Heading | Block]:
    """A chapter's headings and blocks in reading order."""
    body = next((e for e in root.iter() if local_name(e) == "body"), root)
    items: list[Heading | Block] = []

    def flush(buffer: list[str], kind: str) -> None:
        text = tidy("".join(buffer))
        if text:
            items.append(Block(kind, text))
        buffer.clear()

    def walk(element, kind: str) -> None:
        tag = local_name(element)
        if tag in _HEADINGS:
            items.append(Heading(inline_text(element), _HEADINGS[tag]))
            return
        if tag == "table":
            rows = [[tidy(inline_text(c)) for c in row if local_name(c) in ("td", "th")]
                    for row in element.iter() if local_name(row) == "tr"]
            rows = [r for r in rows if any(r)]
            if rows:
                items.append(Block("table", "\n".join(" | ".join(r) for r in rows)))
            return
        kind = "caption" if tag in ("figcaption", "caption") else kind
        buffer = [element.text or ""]
        for child in element:
            if not _skipped(child):
                if local_name(child) in _CONTAINERS:
                    flush(buffer, kind)
                    walk(child, kind)
                else:
                    buffer.append(" " if local_name(child) == "br" else inline_text(child))
            buffer.append(child.tail or "")
        flush(buffer, kind)

    walk(body, "paragraph")
    return items

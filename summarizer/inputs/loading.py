"""Load an input — a path, uploaded bytes, or pasted text — into a ``Document``.

PDFs go to the chosen parser; Word, PowerPoint, EPUB and OpenDocument text to their readers (``packages``);
text, Markdown and Nougat ``.mmd`` to the text parser; HTML is reduced to its main text. Bytes that are not
valid UTF-8 are decoded with a clear fallback.

The size caps hold while reading (``read_capped``), not after: a device such as ``/dev/zero`` or an
endless pipe on stdin is never read until memory runs out. A path that is not a regular file gets one
sentence; a closed standard input too.
"""

from __future__ import annotations

import html
import logging
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from summarizer.inputs.limits import MAX_PACKAGE_BYTES, MAX_PDF_BYTES, MAX_TEXT_BYTES
from summarizer.inputs.text_parser import parse_text
from summarizer.model.document import Document
from summarizer.model.errors import InputError
from summarizer.text.language import reading_length

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


def _too_large(name: str, limit: int) -> InputError:
    if limit == MAX_PDF_BYTES:
        return InputError(f"'{name}' is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB; split it or compress it first.")
    if limit == MAX_PACKAGE_BYTES:
        return InputError(f"'{name}' is larger than {MAX_PACKAGE_BYTES // (1024 * 1024)} MB; split it, or remove large "
                          "images and embedded files first.")
    return InputError(f"'{name}' is larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB of text; split it into smaller files.")


def _cap_for(head: bytes, name: str) -> int:
    """The size cap for a file, from its first bytes, else its name: a PDF's, a package's (Word, PowerPoint, EPUB,
    OpenDocument, and the old binary formats refused after reading) or text's."""
    from summarizer.inputs.packages import SUFFIXES, is_package

    suffix = Path(name).suffix.lower()
    if head.lstrip()[:5] == b"%PDF-" or (suffix == ".pdf" and not is_package(head)):
        return MAX_PDF_BYTES
    if is_package(head) or suffix in SUFFIXES:
        return MAX_PACKAGE_BYTES
    return MAX_TEXT_BYTES


def _not_a_file(path) -> InputError:
    return InputError(f"'{path}' is not a regular file (a device, a pipe or a socket); save the document to a file "
                      "first, or pipe it in with '-'.")


def read_capped(stream: BinaryIO, name: str) -> bytes:
    """All of ``stream``, refused as soon as it passes the cap for its kind (a PDF's, else text's): an
    endless stream costs one cap's worth of memory, never all of it."""
    head = stream.read(_CHUNK) or b""
    limit = _cap_for(head, name)
    parts, size = [head], len(head)
    while head:
        if size > limit:
            raise _too_large(name, limit)
        head = stream.read(min(_CHUNK, limit + 1 - size))
        parts.append(head)
        size += len(head)
    return b"".join(parts)


def read_stdin(stdin) -> bytes:
    """Standard input's bytes, capped while read; a closed or missing stdin is an ``InputError``."""
    buffer = getattr(stdin, "buffer", None) if stdin is not None else None
    if buffer is None or getattr(stdin, "closed", False):
        raise InputError("Standard input is closed: there is nothing to read; pipe a document in or give a file.")
    try:
        return read_capped(buffer, "stdin")
    except (OSError, ValueError) as exc:  # ValueError: closed meanwhile; OSError: a bad descriptor
        raise InputError(f"Standard input cannot be read ({getattr(exc, 'strerror', None) or exc.__class__.__name__}).") from exc


def decode_text(data: bytes) -> tuple[str, str | None]:
    """(text, notice): UTF-8 (with or without BOM); UTF-8 with a few bad bytes has them replaced;
    anything else (cp1252 quotes and accented names, Latin-1, GB18030, Shift-JIS ...) is decoded in
    the encoding charset-normalizer finds, so "café" stays "café" instead of "caf\ufffd"."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    valid_non_ascii = sum(1 for ch in lenient if ord(ch) > 127) - bad
    if valid_non_ascii > 0 and bad <= max(3, len(lenient) // 200):  # real UTF-8 with a damaged spot
        return lenient, f"The file is not valid UTF-8; {bad} unreadable byte(s) were replaced."
    from charset_normalizer import from_bytes

    best = _likeliest(from_bytes(data))
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), f"The file was not UTF-8; it was read as {_encoding_name(best.encoding)}."
        except (UnicodeDecodeError, LookupError):
            logger.warning("charset-normalizer proposed %s, which does not decode the file", best.encoding)
    return lenient, f"The file is not valid UTF-8; {bad} unreadable byte(s) were replaced."


#: When charset-normalizer rates several code pages alike, the one most used for that script wins
#: (browsers read unlabelled Western pages as windows-1252 for the same reason).
_PREFERRED = ("cp1252", "gb18030", "shift_jis", "euc_kr", "big5", "cp1251", "cp1250")


def _likeliest(matches):
    best = matches.best()
    if best is None:
        return None
    ties = [m for m in matches if m.chaos <= best.chaos + 0.1 and m.coherence >= best.coherence - 0.05]
    return min(ties, key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED else len(_PREFERRED))


def _encoding_name(codec: str) -> str:
    names = {"cp1252": "Windows-1252 (Western)", "cp1250": "Windows-1250 (Central European)",
             "cp1251": "Windows-1251 (Cyrillic)", "latin_1": "Latin-1 (Western)", "iso8859_15": "Latin-9 (Western)",
             "gb18030": "GB18030 (Chinese)", "gbk": "GBK (Chinese)", "gb2312": "GB2312 (Chinese)", "big5": "Big5 (Chinese)",
             "shift_jis": "Shift-JIS (Japanese)", "cp932": "Shift-JIS (Japanese)", "euc_kr": "EUC-KR (Korean)"}
    return names.get(codec, codec)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Main text and title of an HTML page: trafilatura's extraction, or plain tag stripping
    (scripts, styles and navigation dropped) when it finds too little."""
    try:
        import trafilatura

        extracted = trafilatura.bare_extraction(markup, with_metadata=True, favor_recall=True)
        text = getattr(extracted, "text", "") if extracted is not None else ""
        if text and reading_length(text) >= 40:
            title = getattr(extracted, "title", None)
            if title and text.startswith(title):
                text = text[len(title):].lstrip()
            return text, title
    except Exception:  # a page trafilatura cannot handle still gets the plain extraction below
        logger.warning("trafilatura could not extract the page; using plain tag stripping", exc_info=True)
    title_m = re.search(r"<title[^>]*>(.*?)</title>", markup, re.I | re.S)
    title = html.unescape(title_m.group(1)).strip() if title_m else None
    body = re.sub(r"<(script|style|nav|header|footer|aside|noscript)[^>]*>.*?</\1>", " ", markup, flags=re.I | re.S)
    body = re.sub(r"<h([1-6])[^>]*>(.*?)</h\1>", lambda m: f"\n\n{'#' * int(m.group(1))} {m.group(2)}\n\n", body, flags=re.I | re.S)
    body = re.sub(r"</(p|div|li|br|tr|section|article)>|<br\s*/?>", "\n\n", body, flags=re.I)
    body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    body = re.sub(r"[ \t]+", " ", body)
    return re.sub(r"\n\s*\n\s*(\n\s*)+", "\n\n", body).strip(), title


def load_bytes(data: bytes, name: str, parser: str = "pymupdf", max_pages: int | None = None,
               nougat_checkpoint: str | None = None) -> Document:
    """A document from uploaded or read bytes; the kind is decided by content, then by name.

    Content first: a PDF's header; a zip package (Word, PowerPoint, EPUB, OpenDocument text), an OLE file or RTF
    (``packages``), read as what it is whatever its name says. Then the name: a ``.pdf`` goes to the PDF parser,
    which refuses what is not one; a ``.docx`` (or another package name) that holds plain text is read as text,
    and one that holds neither a package nor text is refused; anything else is text, Markdown or HTML."""
    if not data or not data.strip():
        raise InputError(f"'{name}' is empty.")
    from summarizer.inputs.packages import KINDS, SUFFIXES, is_package, load_package

    suffix = Path(name).suffix.lower()
    is_pdf = data.lstrip()[:5] == b"%PDF-"
    if is_package(data) and not is_pdf:
        if len(data) > MAX_PACKAGE_BYTES:
            raise _too_large(name, MAX_PACKAGE_BYTES)
        return load_package(data, name)
    if is_pdf or suffix == ".pdf":
        if len(data) > MAX_PDF_BYTES:
            raise _too_large(name, MAX_PDF_BYTES)
        document = _load_pdf(data, name, parser, max_pages, nougat_checkpoint)
        if is_pdf and suffix in SUFFIXES:
            document.notices.append(f"'{name}' is a PDF whatever its name says; it was read as one.")
        return document
    if len(data) > MAX_TEXT_BYTES:
        raise _too_large(name, MAX_TEXT_BYTES)
    if suffix in SUFFIXES:  # named as a package, but it is not one: text is read as text, anything else refused
        what = KINDS[SUFFIXES[suffix]][0]
        if len(re.findall(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]", data[:65536])) > 8:  # binary, not text
            logger.info("'%s' is neither a package nor text (starts %r)", name, data[:16])
            raise InputError(f"'{name}' is not {what} (nor a PDF or text): it is damaged or of another kind; open it "
                             "in the program that made it and save it again.")
        text, notice = decode_text(data)
        document = _load_text_or_html(text, name, suffix)
        document.notices.append(f"'{name}' holds text, not {what}; it was read as text.")
    else:
        text, notice = decode_text(data)
        document = _load_text_or_html(text, name, suffix)
    if notice:
        document.notices.append(notice)
    return document


def _load_pdf(data: bytes, name: str, parser: str, max_pages: int | None, nougat_checkpoint: str | None) -> Document:
    if parser == "nougat":
        from summarizer.inputs.nougat_parser import parse_pdf_nougat

        return parse_pdf_nougat(data, name, nougat_checkpoint)
    from summarizer.pdf.parser import DEFAULT_MAX_PAGES, parse_pdf

    return parse_pdf(data, name, max_pages=max_pages or DEFAULT_MAX_PAGES)


def _load_text_or_html(text: str, name: str, suffix: str) -> Document:
    if suffix in (".html", ".htm") or re.match(r"\s*(<!doctype html|<html)", text[:200], re.I):
        text, title = html_to_text(text)
        return parse_text(text, name, title=title)
    return parse_text(text, name)


def load_path(path: str | Path, parser: str = "pymupdf", max_pages: int | None = None,
              nougat_checkpoint: str | None = None) -> Document:
    p = Path(path)
    if not p.exists():
        raise InputError(f"There is no file at '{path}'.")
    if p.is_dir():
        raise InputError(f"'{path}' is a folder; give a file.")
    try:
        if not stat.S_ISREG(p.stat().st_mode):  # before opening: a FIFO's open would wait for a writer
            raise _not_a_file(path)
        with open(p, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise _not_a_file(path)
            if os.fstat(f.fileno()).st_size > MAX_PDF_BYTES:
                raise _too_large(p.name, MAX_PDF_BYTES)
            data = read_capped(f, p.name)
    except OSError as exc:
        raise InputError(f"'{path}' cannot be read ({exc.strerror or exc.__class__.__name__}).") from exc
    return load_bytes(data, p.name, parser, max_pages, nougat_checkpoint)


def load_text(text: str, source: str = "pasted text") -> Document:
    if len(text.encode("utf-8", errors="ignore")) > MAX_TEXT_BYTES:
        raise InputError(f"The pasted text is larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB; split it into smaller parts.")
    return parse_text(text, source)

"""Word, PowerPoint, EPUB and OpenDocument files: which one a file is, told by its content, and its reader.

A zip package says what it is: ``[Content_Types].xml`` with ``word/document.xml`` is Word, with
``ppt/presentation.xml`` PowerPoint; a ``mimetype`` entry of ``application/epub+zip`` is an EPUB, of
``application/vnd.oasis.opendocument.text`` OpenDocument text. The name is not trusted: a ``.pdf`` that is a
Word package is read as Word, with a notice. Everything else is refused in one sentence, with what to do: an
OLE compound file that holds an ``EncryptedPackage`` (a password-protected ``.docx`` / ``.pptx``), the same
format without it (the old binary ``.doc`` / ``.ppt`` / ``.xls``), a spreadsheet, another OpenDocument kind,
a zip that is no document, an RTF file. A library that fails on a damaged file is caught here: its reason goes
to the log, one sentence to the user.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from summarizer.inputs.archive import is_ole, is_zip, ole_streams, open_zip, read_member
from summarizer.model.document import Document
from summarizer.model.errors import InputError

logger = logging.getLogger(__name__)

#: What each package kind is called in a message, and the program that saves it again.
KINDS = {"docx": ("a Word document", "Word"), "pptx": ("a PowerPoint presentation", "PowerPoint"),
         "epub": ("an EPUB book", "an e-book editor such as Calibre"), "odt": ("an OpenDocument text", "LibreOffice")}
#: The suffixes that name a package (or its old binary forerunner), and the kind each promises.
SUFFIXES = {".docx": "docx", ".docm": "docx", ".dotx": "docx", ".pptx": "pptx", ".pptm": "pptx", ".ppsx": "pptx",
            ".epub": "epub", ".odt": "odt", ".ott": "odt", ".doc": "docx", ".ppt": "pptx"}
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def is_package(data: bytes) -> bool:
    """True for bytes this module decides: a zip archive, an OLE compound file, or RTF."""
    return is_zip(data) or is_ole(data) or data[:5] == b"{\\rtf"


def package_kind(archive: zipfile.ZipFile, name: str) -> str:
    """"docx", "pptx", "epub" or "odt" for a zip archive; an ``InputError`` naming what it is otherwise."""
    names = set(archive.namelist())
    mimetype = (read_member(archive, "mimetype", name) or b"")[:200].decode("ascii", "replace").strip()
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        if "xl/workbook.xml" in names:
            raise InputError(f"'{name}' is an Excel workbook; spreadsheets are not summarized, so save the text as a "
                             "Word document or PDF.")
    if mimetype == "application/epub+zip" or (not mimetype and "META-INF/container.xml" in names
                                              and any(n.endswith(".opf") for n in names)):
        return "epub"
    if mimetype.startswith(ODT_MIMETYPE):  # text, text-template, text-master
        return "odt"
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        what = mimetype.rsplit(".", 1)[-1]
        raise InputError(f"'{name}' is an OpenDocument {what} file; only OpenDocument text (.odt) is read, so save "
                         "it as .odt, .docx or PDF.")
    logger.info("'%s': a zip archive of %d entries, no document kind recognised (mimetype %r)", name, len(names),
                mimetype)
    raise InputError(f"'{name}' is a zip archive but not a Word, PowerPoint, EPUB or OpenDocument text file; "
                     "unpack it and load the document inside.")


def ole_refusal(data: bytes, name: str) -> InputError:
    """Why an OLE compound file is not read: encrypted, or an old binary Office format."""
    streams = ole_streams(data)
    suffix = Path(name).suffix.lower()
    if "EncryptedPackage" in streams:
        kind = "pptx" if suffix in (".pptx", ".pptm", ".ppsx", ".ppt") else "docx"
        what, program = KINDS[kind]
        logger.info("'%s' is an encrypted OOXML package (streams %s)", name, sorted(streams))
        return InputError(f"'{name}' is password-protected; open it in {program}, save an unprotected copy "
                          f"(without a password) and load that.")
    logger.info("'%s' is an OLE compound file (streams %s)", name, sorted(streams))
    if "PowerPoint Document" in streams or suffix == ".ppt":
        return InputError(f"'{name}' is an old binary PowerPoint file (.ppt); open it in PowerPoint or LibreOffice, "
                          "save it as .pptx and load that.")
    if "Workbook" in streams or "Book" in streams or suffix == ".xls":
        return InputError(f"'{name}' is an old binary Excel workbook (.xls); spreadsheets are not summarized.")
    return InputError(f"'{name}' is an old binary Word file (.doc); open it in Word or LibreOffice, save it as "
                      ".docx and load that.")


def load_package(data: bytes, name: str) -> Document:
    """The document in a Word, PowerPoint, EPUB or OpenDocument text file; one sentence for anything else."""
    if is_ole(data):
        raise ole_refusal(data, name)
    if data[:5] == b"{\\rtf":
        raise InputError(f"'{name}' is an RTF file; save it as .docx or PDF (or paste its text) and load that.")
    archive = open_zip(data, name)
    kind = package_kind(archive, name)
    what, program = KINDS[kind]
    try:
        document = _read(kind, data, archive, name)
    except InputError:
        raise
    except Exception as exc:  # a third-party reader on a stranger's file: any failure is one sentence
        logger.info("reading '%s' as %s failed", name, what, exc_info=True)
        raise InputError(f"'{name}' is {what} that cannot be read (it may be damaged, incomplete or of a kind "
                         f"this reader does not know); open it in {program}, save it again and load that.") from exc
    promised = SUFFIXES.get(Path(name).suffix.lower())
    if promised != kind:
        document.notices.append(f"'{name}' is {what} whatever its name says; it was read as one.")
    return document


def _read(kind: str, data: bytes, archive: zipfile.ZipFile, name: str) -> Document:
    if kind == "docx":
        from summarizer.inputs.docx_reader import read_docx

        return read_docx(data, name)
    if kind == "pptx":
        from summarizer.inputs.pptx_reader import read_pptx

        return read_pptx(data, name)
    if kind == "epub":
        from summarizer.inputs.epub_reader import check_drm, read_epub

        check_drm(archive, name)
        return read_epub(data, name)
    from summarizer.inputs.odt_reader import read_odt

    return read_odt(archive, name)

"""Zip packages (Word, PowerPoint, EPUB, OpenDocument) opened in memory under caps, and the streams of an OLE file.

Office and e-book files are zip archives. Opening one is refused in one sentence when it is damaged or cut short,
when it has more entries than ``MAX_PACKAGE_ENTRIES``, or when its entries unpack to more than ``MAX_PACKAGE_BYTES`` in
all (a zip bomb: a few kilobytes that inflate to gigabytes). The sizes checked are the ones the archive declares,
and Python's ``zipfile`` never inflates an entry past its declared size, so the libraries that read the package
afterwards (python-docx, python-pptx, ebooklib) stay inside the same cap. Nothing is ever extracted to disk.

Password-protected Word and PowerPoint files, and the old binary ``.doc`` / ``.ppt`` formats, are OLE compound
files instead; ``ole_streams`` names the streams one holds (``EncryptedPackage``, ``WordDocument`` ...), which
is all the refusal needs to know.
"""

from __future__ import annotations

import io
import logging
import struct
import zipfile
import zlib

from summarizer.inputs.limits import MAX_PACKAGE_BYTES, MAX_PACKAGE_ENTRIES
from summarizer.model.errors import InputError

logger = logging.getLogger(__name__)

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
#: Errors ``zipfile`` raises on a damaged archive or entry (a bad CRC, a cut stream, a broken header).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError)


def is_zip(data: bytes) -> bool:
    return data[:4] in ZIP_MAGIC


def is_ole(data: bytes) -> bool:
    return data[:8] == OLE_MAGIC


def _damaged(name: str) -> InputError:
    return InputError(f"'{name}' is damaged or incomplete (its zip archive cannot be read); "
                      "download it again or save a fresh copy.")


def open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """The archive in ``data``, its size and entry count checked against the caps before anything is inflated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except ZIP_ERRORS as exc:
        logger.info("'%s' is not a readable zip archive", name, exc_info=True)
        raise _damaged(name) from exc
    if len(entries) > MAX_PACKAGE_ENTRIES:
        logger.info("'%s' has %d zip entries (cap %d)", name, len(entries), MAX_PACKAGE_ENTRIES)
        raise InputError(f"'{name}' holds more than {MAX_PACKAGE_ENTRIES:,} files inside its archive, more than a document "
                         "ever has; it was not opened.")
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_PACKAGE_BYTES:
        logger.info("'%s' unpacks to %d bytes (cap %d)", name, unpacked, MAX_PACKAGE_BYTES)
        raise InputError(f"'{name}' would unpack to more than {MAX_PACKAGE_BYTES // (1024 * 1024)} MB; it was not "
                         "opened (split it, or remove large images and embedded files first).")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes | None:
    """One entry's bytes (None when the archive has no such entry); a damaged entry is an ``InputError``."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        return None
    try:
        with archive.open(info) as stream:
            return stream.read(MAX_PACKAGE_BYTES)  # never more, whatever the entry claims
    except ZIP_ERRORS as exc:
        logger.info("'%s': the entry %s cannot be read", name, member, exc_info=True)
        raise _damaged(name) from exc


def ole_streams(data: bytes) -> set[str]:
    """The names in an OLE compound file's directory (streams and storages).

    Directory entries are 128 bytes, aligned to 128 inside sectors of 512 or 4,096 bytes after the 512-byte
    header: a name of up to 31 UTF-16 characters, its length in bytes (terminator included) at offset 64 and its
    type (1 storage, 2 stream, 5 root) at 66. Reading every aligned slot that has that shape finds the directory
    without following the FAT, which is plenty to tell an encrypted package from an old Word or PowerPoint file.
    """
    names: set[str] = set()
    for offset in range(512, len(data) - 127, 128):
        (length,) = struct.unpack_from("<H", data, offset + 64)
        kind = data[offset + 66]
        if kind not in (1, 2, 5) or not 2 < length <= 64 or length % 2:
            continue
        raw = data[offset:offset + length - 2]
        if data[offset + length - 2:offset + length] != b"\0\0":
            continue
        try:
            text = raw.decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if text.isprintable() and "\0" not in text:
            names.add(text)
    return names

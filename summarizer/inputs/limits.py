"""The size caps on what is read, in one place: text, PDFs, and zip packages (Word, PowerPoint, EPUB, OpenDocument).

A cap holds while a file is read (``loading.read_capped``) and, for a package, on what its entries unpack to
(``archive.open_zip``): a few kilobytes that inflate to gigabytes (a zip bomb) are refused before they are inflated.
"""

from __future__ import annotations

MAX_TEXT_BYTES = 20 * 1024 * 1024
MAX_PDF_BYTES = 300 * 1024 * 1024
#: The most a package may weigh, and the most its entries may unpack to in all: five times the text cap, room
#: for the XML of a long book and the pictures of a deck.
MAX_PACKAGE_BYTES = MAX_TEXT_BYTES * 5
#: The most entries a package may hold (a 500-slide deck has about 2,000).
MAX_PACKAGE_ENTRIES = 10_000

"""The one place PyMuPDF is imported from, so the cheapest correct import path is chosen once.

Every module that needs PyMuPDF calls ``pymupdf()`` instead of ``import pymupdf``.

PyMuPDF 2.0 folds two optional packages into its wheel and imports both at the end of
``import pymupdf`` when they are importable: ``pymupdf.layout`` (an ONNX layout model, which pulls
in onnxruntime and loads the model) and ``pymupdf4llm`` (Markdown conversion, which pulls in
numpy and tabulate). The parser uses neither: it reads text dictionaries, drawings, the outline
and ``find_tables``, all of which live in the core module. Each of the two imports is wrapped in
``try: ... except ImportError`` upstream, so marking them unavailable in ``sys.modules`` for the
duration of the import skips them cleanly. Measured on the dev machine (median of 3, whole
process): ``import pymupdf`` 1.38 s user CPU with them, 0.26 s without.

The marks are removed once PyMuPDF is loaded, so code that wants ``pymupdf4llm`` later (the
parse bench compares against it) can still import it.

PyMuPDF prints the C library's errors and warnings ("MuPDF error: unsupported error: cannot create
appearance stream for Screen annotations") and its own notes with ``print`` on the stdout it found at
import, which would put them before the document of ``summarizer sections --json`` or ``-o -``. Once
loaded, its messages go to the ``summarizer.mupdf`` logger at INFO instead (``pymupdf.set_messages``):
the log file and ``-v`` show them; stdout carries only what the command prints.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import ModuleType

log = logging.getLogger(__name__)

#: Submodules PyMuPDF imports eagerly that the parser never uses.
UNUSED_EXTRAS = ("pymupdf.layout", "pymupdf4llm")
_lock = threading.Lock()
#: Where MuPDF's own messages go (under the ``summarizer`` logger, so the CLI's and the app's handlers get them).
MUPDF_LOG = logging.getLogger("summarizer.mupdf")
_ready: ModuleType | None = None


def pymupdf() -> ModuleType:
    """The PyMuPDF module, imported on first use without its layout model and Markdown extras, its messages
    sent to the log."""
    global _ready
    if _ready is not None:
        return _ready
    with _lock:
        if _ready is None:
            module = sys.modules.get("pymupdf") or _import_without_extras()
            _quiet(module)
            _ready = module
    return _ready


def _import_without_extras() -> ModuleType:
    """``import pymupdf`` with its two unused eager imports marked unavailable for the duration."""
    blocked = [name for name in UNUSED_EXTRAS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # makes "import name" raise ImportError
    try:
        import pymupdf as module
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    log.debug("PyMuPDF %s loaded without %s", module.VersionBind, ", ".join(blocked) or "nothing")
    return module


def _quiet(module: ModuleType) -> None:
    """Nothing PyMuPDF says reaches stdout: MuPDF's errors and warnings, and its own notes, go to the log."""
    module.set_messages(pylogging_logger=MUPDF_LOG, pylogging_level=logging.INFO)
    # find_tables would otherwise print() a tip about the layout package.
    module.no_recommend_layout()

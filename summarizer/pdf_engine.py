"""The one place PyMuPDF is imported from, so the cheapest correct import path is chosen once.

Every module that needs PyMuPDF calls ``pymupdf()`` instead of ``import pymupdf``.
"""

from __future__ import annotations

from types import ModuleType


def pymupdf() -> ModuleType:
    """The PyMuPDF module, imported on first use."""
    import pymupdf as module

    return module

"""Summarizer: section-by-section Markdown summaries of research papers and news articles.

The library behind the web app and the CLI. Stages, each a module you can read alone:
``inputs.loading`` (file/bytes/text) → ``pdf.parser`` / ``inputs.text_parser`` → ``model.document.Document`` →
``run.engine.run`` over a backend (``extractive.backend`` or ``llm.backend``) → ``output.render``.

Importing this package stays light: heavy packages (PyMuPDF, openai, tiktoken, spaCy)
are imported by the functions that use them; ``Settings`` is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarizer.config.version import package_version  # the one version (cli and service read it)
from summarizer.model.document import Block, Document, Section
from summarizer.model.errors import InputError, SummarizerError

if TYPE_CHECKING:
    from summarizer.config.settings import Settings

__all__ = ["Block", "Document", "Section", "Settings", "SummarizerError", "InputError", "load", "summarize", "to_markdown"]


def __getattr__(name: str):
    """``summarizer.Settings`` on first access; ``__version__``
    from pyproject.toml or the installed metadata."""
    if name == "Settings":
        from summarizer.config.settings import Settings

        return Settings
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(source, name: str | None = None, **kwargs) -> Document:
    """A ``Document`` from a path, bytes (with ``name``) or text."""
    from pathlib import Path

    from summarizer.inputs.loading import load_bytes, load_path, load_text

    if isinstance(source, bytes):
        return load_bytes(source, name or "upload", **kwargs)
    if isinstance(source, Path) or (isinstance(source, str) and name is None and "\n" not in source
                                    and len(source) < 4096 and Path(source).exists()):
        return load_path(source, **kwargs)
    return load_text(source, name or "pasted text")


def summarize(document: Document, settings: Settings | None = None, **kwargs):
    """Summarize a document; returns a ``results.DocumentSummary``."""
    from summarizer.config.settings import Settings
    from summarizer.run.engine import summarize_document

    return summarize_document(document, settings or Settings.from_env(), **kwargs)


def to_markdown(result, include_reasoning: bool = False) -> str:
    from summarizer.output.render import render_markdown

    return render_markdown(result, include_reasoning)

"""Where things live: bundled files inside the package, user data under SUMMARIZER_HOME.

Bundled files (default prompts, tokenizer files) are package data read through
``importlib.resources``: the build maps the checkout's top-level ``prompts/`` and ``assets/`` into
the package as ``summarizer/default_prompts`` and ``summarizer/assets`` (pyproject ``package-dir``),
and a source checkout finds the same files at the top level. Nothing here depends on the current
working directory (field note 3).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent


def bundled_dir(packaged: str, checkout: str) -> Path:
    """A folder of bundled files: ``summarizer/<packaged>`` in an installed wheel, ``<checkout>/`` in a
    source checkout (the fixed layout keeps prompts/ and assets/ at the top level)."""
    try:
        inside = resources.files("summarizer").joinpath(packaged)
        if inside.is_dir():
            return Path(str(inside))
    except (ModuleNotFoundError, TypeError, OSError):
        pass
    return PROJECT_DIR / checkout


PROMPTS_DIR = bundled_dir("default_prompts", "prompts")
ASSETS_DIR = bundled_dir("assets", "assets")


def app_home() -> Path:
    """The folder the app owns for data and cache.

    ``SUMMARIZER_HOME`` wins; otherwise XDG conventions under the user's home.
    """
    explicit = os.environ.get("SUMMARIZER_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "summarizer"


def data_dir() -> Path:
    """User data: user prompts, remembered settings."""
    return app_home() / "data"


def cache_dir() -> Path:
    """Caches: LLM answers, the tiktoken encoder."""
    explicit = os.environ.get("SUMMARIZER_HOME")
    if explicit:
        return Path(explicit).expanduser() / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "summarizer"


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename, so a reader never sees half a file and
    two writers never mix. ``durable`` flushes it to disk first (results; not needed for caches)."""
    import threading

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)

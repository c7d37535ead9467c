"""Where things live: bundled files next to the package, user data under SUMMARIZER_HOME.

Nothing here depends on the current working directory (field note 3).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
PROMPTS_DIR = PROJECT_DIR / "prompts"
ASSETS_DIR = PROJECT_DIR / "assets"


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

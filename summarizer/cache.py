"""The answer cache: diskcache in a folder the app owns, safe across threads and processes.

Keys hash everything that decides an answer — model, endpoint host, the rendered messages and the
generation parameters — and never the API key. A corrupted cache folder is moved aside and
rebuilt instead of failing the run (field note 21: each answer is stored as soon as it arrives).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from pathlib import Path

from .paths import cache_dir

_open_caches: dict[str, object] = {}
_lock = threading.Lock()


def answer_key(model: str, host: str, messages: list[dict], params: dict) -> str:
    payload = json.dumps({"model": model, "host": host, "messages": messages, "params": params},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AnswerCache:
    """Get and set parsed answers by key; a broken cache never breaks a run."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else cache_dir() / "answers"
        self._cache = self._open()

    def _open(self):
        import diskcache

        key = str(self.folder)
        with _lock:
            if key in _open_caches:
                return _open_caches[key]
            try:
                cache = diskcache.Cache(key, size_limit=2**30)
                cache.get("__probe__")
            except Exception:
                aside = self.folder.with_name(f"{self.folder.name}.broken-{int(time.time())}")
                shutil.move(str(self.folder), str(aside)) if self.folder.exists() else None
                try:
                    cache = diskcache.Cache(key, size_limit=2**30)
                except Exception:
                    cache = None
            _open_caches[key] = cache
            return cache

    def get(self, key: str) -> dict | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key)
        except Exception:
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict) -> None:
        if self._cache is None:
            return
        try:
            self._cache.set(key, value)
        except Exception:
            pass

"""The answer cache: diskcache in a folder the app owns, safe across threads and processes.

Keys hash everything that decides an answer — model, endpoint host, the rendered messages and the
generation parameters — and who paid for it (``key_scope``: a one-way digest of the API key, never the
key). A damaged store is moved aside and rebuilt instead
of failing the run — whether it fails to open or, partly corrupted, opens and then fails every
write (which would have every run pay again for the same sections) — and the run says so once
(``take_notices``). Each answer is stored as soon as it arrives (field note 21).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from summarizer.config.paths import cache_dir

log = logging.getLogger(__name__)

_open_caches: dict[str, object] = {}
_lock = threading.Lock()
SIZE_LIMIT = 2**30


def key_scope(api_key: str) -> str:
    """Who paid for an answer: a one-way digest of the API key ("" without a key: a local model, a
    keyless server). Answers are reused only by runs with the same key, so a second user of a shared
    server never gets, free and at once, an answer the first user paid for — which would also tell
    them what the first user summarized. With the server's shared key every user shares its answers."""
    if not api_key:
        return ""
    return hashlib.sha256(b"summarizer answer cache scope\0" + api_key.encode("utf-8")).hexdigest()[:32]


def answer_key(model: str, host: str, messages: list[dict], params: dict, scope: str = "") -> str:
    payload = json.dumps({"model": model, "host": host, "messages": messages, "params": params, "scope": scope},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _damaged(exc: Exception) -> bool:
    """A store sqlite says is corrupt (not merely busy or locked)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


class AnswerCache:
    """Get and set parsed answers by key; a broken cache never breaks a run."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else cache_dir() / "answers"
        self._notices: list[str] = []
        self._said: set[str] = set()
        self._cache = self._open()

    # ---- opening and rebuilding --------------------------------------------------------------
    def _open(self):
        key = str(self.folder)
        with _lock:
            if key in _open_caches:
                return _open_caches[key]
            try:
                cache = self._new()
                cache.get("__probe__")
            except Exception as exc:
                log.warning("answer cache at %s cannot be opened (%r); rebuilding it", self.folder, exc)
                cache = self._rebuild_locked(None, exc)
            _open_caches[key] = cache
            return cache

    def _new(self):
        import diskcache

        return diskcache.Cache(str(self.folder), size_limit=SIZE_LIMIT)

    def _rebuild_locked(self, broken, exc: Exception):
        """Move the damaged folder aside and start an empty store there. Caller holds ``_lock``."""
        if broken is not None:
            try:
                broken.close()
            except Exception:
                pass
        aside = self.folder.with_name(f"{self.folder.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            if self.folder.exists():
                shutil.move(str(self.folder), str(aside))
            cache = self._new()
        except Exception as again:
            log.error("answer cache at %s could not be rebuilt: %r", self.folder, again)
            self._say(f"The answer cache at {self.folder} is damaged and could not be rebuilt "
                      f"({again.__class__.__name__}); answers are not cached in this run.")
            return None
        self._say(f"The answer cache was damaged ({exc.__class__.__name__}: {str(exc)[:80]}); it was moved aside "
                  f"to {aside.name} and rebuilt, so earlier answers will be asked for again once.")
        return cache

    def _recover(self, failed, exc: Exception):
        """After ``failed`` raised ``exc``: the store to use from now on (maybe a rebuilt one)."""
        key = str(self.folder)
        with _lock:
            current = _open_caches.get(key)
            if current is not failed:  # another thread has rebuilt it already
                self._cache = current
                return current
            if not _damaged(exc):
                self._say(f"Answers could not be written to the cache at {self.folder} "
                          f"({exc.__class__.__name__}: {str(exc)[:80]}); this run pays for them again next time.")
                return failed
            log.warning("answer cache at %s is damaged (%r); moving it aside", self.folder, exc)
            cache = self._rebuild_locked(failed, exc)
            _open_caches[key] = cache
            self._cache = cache
            return cache

    def _say(self, notice: str) -> None:
        if notice not in self._said:
            self._said.add(notice)
            self._notices.append(notice)

    def take_notices(self) -> list[str]:
        """What went wrong with the cache since the last call (each said once)."""
        out, self._notices = self._notices, []
        return out

    # ---- use --------------------------------------------------------------------------------
    def get(self, key: str) -> dict | None:
        cache = self._cache
        if cache is None:
            return None
        try:
            value = cache.get(key)
        except Exception as exc:
            if _damaged(exc):
                self._recover(cache, exc)
            else:
                log.info("answer cache read failed: %r", exc)
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict) -> None:
        cache = self._cache
        if cache is None:
            return
        try:
            cache.set(key, value)
            return
        except Exception as exc:
            log.info("answer cache write failed: %r", exc)
            fresh = self._recover(cache, exc)
        if fresh is None or fresh is cache:
            return
        try:
            fresh.set(key, value)
        except Exception as exc:
            log.warning("answer cache write failed after the rebuild: %r", exc)

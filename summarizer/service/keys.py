"""API keys: made with ``summarizer keys create``, shown once, stored only as a SHA-256 hash (a key is 32
random bytes, so a slow password hash would add nothing but latency to every request), with per-key
limits; checked on every request (``authenticate``), read from the store each time, so a key created or
revoked while the server runs counts at once. Whether requests need a key at all is ``KeyGate``'s: a server
started without keys (on loopback only) needs them from the moment the first key is created."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time

from summarizer.service.jobs import ApiKey, ServiceStore, new_id
from summarizer.service.problems import Problem
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)

KEY_PREFIX = "sk-sum-"
#: The client of a server that runs without keys (allowed on a loopback address only).
LOCAL_CLIENT = "local"


def hash_key(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def create_key(store: ServiceStore, name: str, settings: ServiceSettings, rpm: int | None = None,
               concurrent_jobs: int | None = None, tokens_per_day: int | None = None,
               expires_days: float | None = None) -> tuple[str, ApiKey]:
    """A new key (returned once, never stored) and its stored record."""
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(id=new_id("key"), name=name, hash=hash_key(token),
                 expires=time.time() + expires_days * 86400 if expires_days else None,
                 rpm=rpm or settings.rpm, concurrent_jobs=concurrent_jobs or settings.concurrent_jobs,
                 tokens_per_day=tokens_per_day or settings.tokens_per_day)
    store.add_key(key)
    return token, key


#: Seconds a server without keys goes on trusting that none was created since it last looked in the store.
KEYS_CHECK_SECONDS = 1.0


class KeyGate:
    """Whether requests need an API key: they do once the store holds a key. A server that started without keys
    looks again at most every ``KEYS_CHECK_SECONDS`` (one cheap query a second, not one a request), and from the
    first key on needs one on every request, for good: keys are revoked, never deleted, and revoking the last
    one must not open the server."""

    def __init__(self, store: ServiceStore, every: float = KEYS_CHECK_SECONDS) -> None:
        self.store, self.every = store, every
        self._lock = threading.Lock()
        self._needed = store.has_keys()
        self._looked = time.monotonic()

    @property
    def needed(self) -> bool:
        if self._needed:
            return True
        with self._lock:
            if not self._needed and time.monotonic() - self._looked >= self.every:
                self._needed = self.store.has_keys()
                self._looked = time.monotonic()
                if self._needed:
                    log.warning("An API key was created: this server, which ran without keys, now refuses every "
                                "request without one ('Authorization: Bearer <key>').")
        return self._needed


#: A keyless server's one client is its operator, on the same machine: limits are for sharing, so it has none.
NO_LIMIT = 10**12


def open_client(settings: ServiceSettings) -> ApiKey:
    """The one client of a keyless server on loopback: the operator, with no limits (as on the command line)."""
    return ApiKey(id=LOCAL_CLIENT, name="local (no API keys)", hash="", rpm=NO_LIMIT, concurrent_jobs=NO_LIMIT,
                  tokens_per_day=NO_LIMIT)


def authenticate(store: ServiceStore, authorization: str | None, keyless: bool, settings: ServiceSettings) -> ApiKey:
    """The client an ``Authorization: Bearer`` header names; ``Problem(401)`` for a missing, unknown,
    revoked or expired key (the key itself is never echoed)."""
    if keyless:
        return open_client(settings)
    scheme, _, token = (authorization or "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="summarizer"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthorized", "This server needs an API key: send 'Authorization: Bearer <key>'.", challenge)
    key = store.key_by_hash(hash_key(token))
    if key is None:
        raise Problem(401, "unauthorized", "This API key is not known to this server.", challenge)
    if key.revoked:
        raise Problem(401, "unauthorized", "This API key was revoked; ask the operator for a new one.", challenge)
    if key.expires and key.expires < time.time():
        when = time.strftime("%Y-%m-%d", time.gmtime(key.expires))
        raise Problem(401, "unauthorized", f"This API key expired on {when}; ask the operator for a new one.", challenge)
    return key

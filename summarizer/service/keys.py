"""API keys: made with ``summarizer keys create``, shown once, stored only as a SHA-256 hash (a key is 32
random bytes, so a slow password hash would add nothing but latency to every request), with per-key
limits; checked on every request (``authenticate``)."""

from __future__ import annotations

import hashlib
import secrets
import time

from summarizer.service.jobs import ApiKey, ServiceStore, new_id
from summarizer.service.problems import Problem
from summarizer.service.settings import ServiceSettings

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

"""The server's own secret: it signs the session ids the server issued and seals remembered API keys.

The secret comes from ``SUMMARIZER_SECRET_KEY`` (or ``st.secrets``' ``SUMMARIZER_SECRET_KEY``, passed in
by the app), else from ``secret.key`` in the app home, created once with owner-only permissions (0600).
Replacing the secret signs every browser out (a new session each) and makes remembered keys unreadable
(they are dropped, never shown): nothing else depends on it.

- ``sign_session(id)`` / ``verified_session(value)``: a cookie carries ``id.signature`` (HMAC-SHA256);
  an id whose signature does not verify is never adopted, so nobody can choose a session id.
- ``seal(text)`` / ``unseal(token)``: authenticated encryption (Fernet, from ``cryptography``) of a
  remembered key, so the history file never holds it in plain text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import threading
from pathlib import Path

log = logging.getLogger(__name__)

SECRET_ENV = "SUMMARIZER_SECRET_KEY"
SECRET_FILE = "secret.key"
_ID = re.compile(r"^[0-9a-f]{32}$")
_lock = threading.Lock()
_cached: dict[str, bytes] = {}


def _secret_file() -> Path:
    from summarizer.config.paths import app_home

    return app_home() / SECRET_FILE


def _read_or_create(path: Path) -> bytes:
    """The secret in ``path``, created (0600, never overwritten) when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_existing(path)
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    log.info("created the server secret %s (owner-only)", path)
    return value.encode("ascii")


def _read_existing(path: Path) -> bytes:
    from summarizer.model.errors import ConfigError

    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the server secret %s is readable by other users (mode %o); chmod 600 it", path, mode)
    value = path.read_text(encoding="ascii", errors="replace").strip()
    if len(value) < 32:
        raise ConfigError(f"The server secret {path} is too short; delete it and a new one is made.")
    return value.encode("ascii", errors="replace")


def server_secret(configured: str = "") -> bytes:
    """The secret: ``configured`` (from st.secrets), else ``SUMMARIZER_SECRET_KEY``, else the file."""
    given = configured or os.environ.get(SECRET_ENV, "")
    if given:
        return hashlib.sha256(b"summarizer-secret\0" + given.encode("utf-8")).digest()
    path = _secret_file()
    with _lock:
        key = str(path)
        if key not in _cached or not path.exists():
            _cached[key] = _read_or_create(path)
        return _cached[key]


def _derived(purpose: bytes, configured: str = "") -> bytes:
    return hmac.new(server_secret(configured), purpose, hashlib.sha256).digest()


def new_session_id() -> str:
    return secrets.token_hex(16)


def sign_session(session_id: str, configured: str = "") -> str:
    """The cookie value for an id this server issued: ``id.signature``."""
    signature = hmac.new(_derived(b"session-id", configured), session_id.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{session_id}.{signature}"


def verified_session(value: object, configured: str = "") -> str | None:
    """The session id in a cookie value, only when this server signed it; None for anything else."""
    if not isinstance(value, str) or value.count(".") != 1:
        return None
    session_id, _, _signature = value.partition(".")
    if not _ID.match(session_id):
        return None
    return session_id if hmac.compare_digest(sign_session(session_id, configured), value) else None


def _fernet(configured: str = ""):
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(_derived(b"remembered-api-key", configured)))


def seal(text: str, configured: str = "") -> str:
    """``text`` encrypted and authenticated under the server secret."""
    return _fernet(configured).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: object, configured: str = "") -> str | None:
    """The text sealed in ``token``, or None when it was not sealed with this server's secret."""
    from cryptography.fernet import InvalidToken

    if not isinstance(token, str) or not token:
        return None
    try:
        return _fernet(configured).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError):
        log.warning("a remembered API key could not be unsealed (the server secret changed?); it is dropped")
        return None


def share_digest(token: str) -> str:
    """What the history keeps of a share token: a one-way digest (a copy of the file gives no links)."""
    return hashlib.sha256(b"share\0" + token.encode("utf-8")).hexdigest()

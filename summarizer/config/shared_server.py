"""What the operator of a shared server decided: whether the server's own key is shared with visitors, and
which endpoint is the operator's own (the one that key may be sent to). Read from the environment each
time, so a test or an operator's change is seen at once."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

SHARE_KEY_ENV = "SUMMARIZER_SHARE_SERVER_KEY"
SWITCH_ON = ("1", "true", "yes", "on")
SWITCH_OFF = ("0", "false", "no", "off")


def switched_on(var: str) -> bool:
    """True when the environment variable ``var`` says yes (1, true, yes, on)."""
    return os.environ.get(var, "").strip().lower() in SWITCH_ON


def server_key_shared() -> bool:
    """Whether the operator shares the server's key with the people using the app."""
    return switched_on(SHARE_KEY_ENV)


def operator_base_url() -> str:
    """The endpoint the operator configured for this server (the environment's, else the default)."""
    from summarizer.config.settings import DEFAULT_BASE_URL

    return (os.environ.get("SUMMARIZER_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).strip()


def endpoint_identity(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path) of a base URL, for comparing endpoints; None when it is not one."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower().rstrip("."), port, parts.path.rstrip("/")


def is_operator_endpoint(base_url: str) -> bool:
    """True when ``base_url`` is the server's own endpoint (same scheme, host, port and path)."""
    mine = endpoint_identity(base_url)
    return mine is not None and mine == endpoint_identity(operator_base_url())

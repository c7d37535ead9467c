"""Test connection: one short, bounded look at a model endpoint before a run depends on it.

The Settings page asks it on "Test connection" and after "Save" (a run against a dead endpoint would
otherwise end with every section failed). It reads ``<base URL>/models`` — the request the endpoint
probing of ``endpoint`` starts with, read by its ``from_models`` (a vLLM server says its window there) — within ``endpoint.PROBE_TIMEOUT``
seconds, after the endpoint has passed the network guard for model endpoints. It never raises: every
outcome is a ``ConnectionCheck`` with one line for the reader; the details go to the log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlparse

from summarizer.inputs.netguard import guard_session_endpoint
from summarizer.llm.endpoint import PROBE_TIMEOUT, from_models
from summarizer.llm.server_info import auth_headers, get_models
from summarizer.model.errors import SummarizerError

log = logging.getLogger(__name__)


class Reach(Enum):
    """What the look found."""

    OK = "ok"  # it answered as an OpenAI-compatible API
    DOUBTFUL = "doubtful"  # it answered, but not as expected (a wrong path, say): runs may fail
    UNREACHABLE = "unreachable"  # no answer, a refused connection, or the key rejected: runs will fail
    REFUSED = "refused"  # the network guard does not let this server connect to it


@dataclass(frozen=True)
class ConnectionCheck:
    reach: Reach
    message: str

    @property
    def ok(self) -> bool:
        return self.reach is Reach.OK


def check_connection(base_url: str, model: str, api_key: str = "", timeout: float = PROBE_TIMEOUT) -> ConnectionCheck:
    """Whether the endpoint at ``base_url`` answers, within ``timeout`` seconds in all."""
    host = urlparse(base_url.strip()).hostname or base_url.strip()[:60]
    if urlparse(base_url.strip()).scheme not in ("http", "https"):
        return ConnectionCheck(Reach.UNREACHABLE, f"The base URL '{base_url[:80]}' is not a web address; it should "
                                                  "look like https://api.openai.com/v1.")
    try:
        guard_session_endpoint(base_url)  # on a shared server, never inside its network
    except SummarizerError as exc:
        return ConnectionCheck(Reach.REFUSED, str(exc))
    try:
        status, payload = _get_models(base_url, api_key, timeout)
    except _Unanswered as exc:
        return ConnectionCheck(Reach.UNREACHABLE, str(exc))
    if status in (401, 403):
        return ConnectionCheck(Reach.UNREACHABLE, f"The server at {host} rejected the API key (HTTP {status}); "
                                                  "check the key.")
    if not 200 <= status < 300:
        return ConnectionCheck(Reach.DOUBTFUL, f"The server at {host} answered, but not as an OpenAI-compatible API "
                                               f"(HTTP {status} for /models); check the base URL (it usually ends in /v1).")
    if payload is None:
        return ConnectionCheck(Reach.DOUBTFUL, f"The server at {host} answered, but not with JSON; check the base URL "
                                               "(it usually ends in /v1).")
    listed = [e.get("id") for e in payload.get("data") or [] if isinstance(e, dict)]
    if listed and model and model not in listed:
        shown = ", ".join(str(m) for m in listed[:5]) + ("…" if len(listed) > 5 else "")
        return ConnectionCheck(Reach.DOUBTFUL, f"Connected to {host}, but it does not list the model '{model}' "
                                               f"(it lists {shown}); check the model name.")
    window, _owners = from_models(payload, model)
    said = f" (context window {window:,} tokens)" if window else ""
    return ConnectionCheck(Reach.OK, f"Connected to {host}" + (f": the model '{model}' is available{said}."
                                                               if model in listed else f"{said}."))


class _Unanswered(Exception):
    """No HTTP answer: the message says why, in one line."""


def _get_models(base_url: str, api_key: str, timeout: float) -> tuple[int, dict | None]:
    """``GET <base>/models``: (status, its JSON object or None)."""
    import httpx2

    host = urlparse(base_url).hostname
    try:
        from summarizer.llm.tls import trust_context

        with httpx2.Client(follow_redirects=False, verify=trust_context()) as http:
            status, data = get_models(http, base_url, auth_headers(api_key), httpx2.Timeout(timeout))
            return status, data if isinstance(data, dict) else None
    except httpx2.TimeoutException:
        raise _Unanswered(f"The server at {host} did not answer within {timeout:.0f} s; check that it is running "
                          "and the base URL is right.") from None
    except httpx2.HTTPError as exc:
        log.info("connection test of %s failed: %r", host, exc)
        reason = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc)).strip().lower() or exc.__class__.__name__
        raise _Unanswered(f"Could not connect to {host} ({reason[:120]}); check the base URL, your network and "
                          "any proxy settings.") from None

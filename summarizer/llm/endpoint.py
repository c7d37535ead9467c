"""Ask an OpenAI-compatible endpoint how large its context window really is.

Servers that know say so in different places: vLLM gives ``max_model_len`` for each entry of
``/v1/models``; llama.cpp's server gives ``n_ctx`` in ``/props`` (the window it was started with,
not the one the model was trained with); Ollama gives ``<arch>.context_length`` (or a ``num_ctx``
parameter) in ``/api/show``. Hosted APIs say nothing, and then the caller keeps its table value.
The whole probe is bounded by one short timeout (``PROBE_TIMEOUT``) and any failure means "unknown",
never an error; an endpoint that let it time out is remembered as silent (``silent_for``) so the
client's endpoint check fails at once rather than wait again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from summarizer.llm.server_info import auth_headers, get_models, get_props, json_object, server_root

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0
#: How long an endpoint that let the probe time out counts as silent: the endpoint check of the same
#: run then fails at once instead of waiting its own timeout after the probe's (≤ 5 s in all, not ~10).
SILENT_SECONDS = 60.0
_found: dict[tuple[str, str], int | None] = {}
_silent: dict[str, float] = {}  # base URL → when the probe last timed out (monotonic)
_lock = threading.Lock()


class _Deadline:
    """One time budget for all of a probe's requests: each gets what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; raises ``TimeoutError`` once none are."""
        left = self.until - time.monotonic()
        if left <= 0.05:
            raise TimeoutError("the probe's time is up")
        return left


def silent_for(base_url: str) -> float | None:
    """The probe's timeout when the probe of ``base_url`` timed out within ``SILENT_SECONDS``, else None."""
    with _lock:
        at = _silent.get(base_url.strip())
    return PROBE_TIMEOUT if at is not None and time.monotonic() - at < SILENT_SECONDS else None


def _positive(value: object) -> int | None:
    try:
        n = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def from_models(payload: dict, model: str) -> tuple[int | None, str]:
    """(vLLM's ``max_model_len`` for ``model``, the ``owned_by`` of the entries) from ``/v1/models``."""
    entries = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return None, ""
    owners = {str(e.get("owned_by", "")) for e in entries if isinstance(e, dict)}
    chosen = [e for e in entries if isinstance(e, dict) and e.get("id") == model] or \
        [e for e in entries if isinstance(e, dict)][:1]
    for entry in chosen:
        n = _positive(entry.get("max_model_len"))
        if n:
            return n, ",".join(sorted(owners))
    return None, ",".join(sorted(owners))


def from_props(payload: dict) -> int | None:
    """llama.cpp's ``/props``: ``default_generation_settings.n_ctx`` (or a top-level ``n_ctx``)."""
    if not isinstance(payload, dict):
        return None
    settings = payload.get("default_generation_settings") or {}
    return _positive(settings.get("n_ctx") if isinstance(settings, dict) else None) or _positive(payload.get("n_ctx"))


def from_ollama_show(payload: dict) -> int | None:
    """Ollama's ``/api/show``: a ``num_ctx`` parameter when set, else the model's ``context_length``."""
    if not isinstance(payload, dict):
        return None
    m = re.search(r"^\s*num_ctx\s+(\d+)", str(payload.get("parameters", "")), re.M)
    if m:
        return _positive(m.group(1))
    info = payload.get("model_info") or {}
    if isinstance(info, dict):
        for key, value in info.items():
            if key.endswith(".context_length"):
                return _positive(value)
    return None


def discover_context_window(base_url: str, model: str, api_key: str = "") -> int | None:
    """The context window the endpoint reports for ``model``, or None when it does not say.

    Remembered for the process, and on disk for ``REMEMBER_SECONDS`` so that the next run (a cached
    re-run especially) neither imports an HTTP client nor asks again. A window that shrank meanwhile is
    still safe: the server's overflow error names the real limit and the backend lowers it."""
    from summarizer.inputs.netguard import guard_session_endpoint
    from summarizer.model.errors import ConfigError

    try:  # on a server that serves others, never probe inside its network (not even from a cache hit)
        guard_session_endpoint(base_url)
    except ConfigError:
        return None
    key = (base_url.strip(), model)
    with _lock:
        if key in _found:
            return _found[key]
    remembered = _remembered(key)
    if remembered:
        found = remembered[0]
    else:
        try:
            found, answered = _probe(base_url, model, api_key)
            if answered:  # the endpoint answered (even "it does not say"); a refused probe is tried again next run
                _remember(key, found)
        except Exception as exc:  # unknown is a fine answer: the table value stays
            log.debug("context window probe of %s failed: %s", urlparse(base_url).hostname, exc.__class__.__name__)
            found = None
            if _timed_out(exc):
                with _lock:
                    _silent[base_url.strip()] = time.monotonic()
    with _lock:
        _found[key] = found
    return found


#: How long a probed context window is trusted across runs (a server restarted with another window
#: within this time is corrected by its first overflow error).
REMEMBER_SECONDS = 6 * 3600


def _memo_path(key: tuple[str, str]) -> Path:
    from summarizer.config.paths import cache_dir

    digest = hashlib.sha256("\n".join(key).encode("utf-8")).hexdigest()[:32]  # never the URL itself (credentials)
    return cache_dir() / "endpoints" / f"{digest}.json"


def _remembered(key: tuple[str, str]) -> tuple[int | None] | None:
    """``(window,)`` as probed within ``REMEMBER_SECONDS`` (the window may be None: "the endpoint does
    not say"), or None when nothing fresh is remembered."""
    try:
        data = json.loads(_memo_path(key).read_text(encoding="utf-8"))
        if 0 <= time.time() - float(data["at"]) < REMEMBER_SECONDS:
            return (_positive(data.get("n_ctx")),)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _remember(key: tuple[str, str], found: int | None) -> None:
    from summarizer.config.paths import write_atomic

    path = _memo_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"n_ctx": found, "at": time.time()}).encode("utf-8"), durable=False)
    except OSError as exc:  # a read-only cache: probe again next run
        log.debug("context window not remembered (%s)", exc)


def _probe(base_url: str, model: str, api_key: str) -> tuple[int | None, bool]:
    """Ask the endpoint (a few short GETs): (the window or None, whether it answered us at all: its model
    list came back). Raises on transport failures."""
    import httpx2 as httpx  # the client openai brings, declared in requirements.txt

    if urlparse(base_url).scheme not in ("http", "https"):
        return None, False
    headers = auth_headers(api_key)
    root = server_root(base_url)
    deadline = _Deadline(PROBE_TIMEOUT)  # the whole probe, not each of its requests
    from summarizer.llm.tls import trust_context

    with httpx.Client(timeout=PROBE_TIMEOUT, headers=headers, follow_redirects=False, verify=trust_context()) as http:
        owners = ""
        status, listed = get_models(http, base_url, headers, deadline.left())
        answered = status == 200
        if answered:
            n, owners = from_models(listed if isinstance(listed, dict) else {}, model)
            if n:
                return n, True
        if "openai" in owners or owners == "system":  # a hosted API: it does not say
            return None, True
        try:  # it answered: a later request running out of the probe's time means "unknown", not "silent"
            return _probe_servers(http, root, model, deadline, answered)
        except (httpx.TimeoutException, TimeoutError):
            return None, answered


def _probe_servers(http, root: str, model: str, deadline: _Deadline, answered: bool) -> tuple[int | None, bool]:
    """llama.cpp's ``/props``, then Ollama's ``/api/show``, within what is left of the probe's time."""
    props = get_props(http, root, {}, deadline.left())
    if props is not None:
        n = from_props(props)
        if n:
            return n, True
    r = http.post(root + "/api/show", json={"model": model}, timeout=deadline.left())
    if r.status_code == 200:
        n = from_ollama_show(json_object(r) or {})
        return n, answered or n is not None
    return None, answered


def _timed_out(exc: Exception) -> bool:
    """A probe that ran out of time (the server took the connection and said nothing)."""
    import httpx2 as httpx  # the client openai brings, declared in requirements.txt

    return isinstance(exc, (httpx.TimeoutException, TimeoutError))

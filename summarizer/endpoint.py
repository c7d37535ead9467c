"""Ask an OpenAI-compatible endpoint how large its context window really is.

Servers that know say so in different places: vLLM gives ``max_model_len`` for each entry of
``/v1/models``; llama.cpp's server gives ``n_ctx`` in ``/props`` (the window it was started with,
not the one the model was trained with); Ollama gives ``<arch>.context_length`` (or a ``num_ctx``
parameter) in ``/api/show``. Hosted APIs say nothing, and then the caller keeps its table value.
Every probe is bounded by a short timeout and any failure means "unknown", never an error.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlparse

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0
_found: dict[tuple[str, str], int | None] = {}
_lock = threading.Lock()


def _root(base_url: str) -> str:
    """The server root: the base URL without a trailing ``/v1``."""
    return re.sub(r"/v1/?$", "", base_url.strip().rstrip("/"))


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
    """The context window the endpoint reports for ``model``, or None when it does not say."""
    key = (base_url.strip(), model)
    with _lock:
        if key in _found:
            return _found[key]
    found = _probe(base_url, model, api_key)
    with _lock:
        _found[key] = found
    return found


def _probe(base_url: str, model: str, api_key: str) -> int | None:
    import httpx

    if urlparse(base_url).scheme not in ("http", "https"):
        return None
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    root = _root(base_url)
    try:
        with httpx.Client(timeout=PROBE_TIMEOUT, headers=headers, follow_redirects=False) as http:
            owners = ""
            r = http.get(base_url.rstrip("/") + "/models")
            if r.status_code == 200:
                n, owners = from_models(r.json(), model)
                if n:
                    return n
            if "openai" in owners or owners == "system":  # a hosted API: it does not say
                return None
            r = http.get(root + "/props")
            if r.status_code == 200:
                n = from_props(r.json())
                if n:
                    return n
            r = http.post(root + "/api/show", json={"model": model})
            if r.status_code == 200:
                return from_ollama_show(r.json())
    except Exception as exc:  # unknown is a fine answer: the table value stays
        log.debug("context window probe of %s failed: %s", urlparse(base_url).netloc, exc.__class__.__name__)
    return None

"""What a server's error answer says, read without the SDK: how long it asks us to wait (``Retry-After``),
whether the prompt overflowed its context window and how large that window is, whether it refused the
answer format or an image, and why a connection failed."""

from __future__ import annotations

import email.utils
import math
import re
import time


def parse_retry_after(headers) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``Retry-After`` seconds or an
    HTTP date); None when absent or unreadable. Never raises; ``inf`` stays ``inf``."""
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms:
            value = float(ms) / 1000
            if not math.isnan(value):
                return max(0.0, value)
    except (TypeError, ValueError):
        pass
    try:
        raw = headers.get("retry-after")
    except Exception:
        return None
    if not raw:
        return None
    raw = str(raw).strip()
    try:
        value = float(raw)
        return None if math.isnan(value) else max(0.0, value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
        return max(0.0, when.timestamp() - time.time())
    except Exception:  # TypeError, ValueError, OverflowError: nonsense is "no advice"
        return None


def describe_wait(seconds: float) -> str:
    if math.isinf(seconds):
        return "forever"
    if seconds >= 86400 * 365:
        return f"{seconds / (86400 * 365):.0f} years"
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


_LIMIT_PATTERNS = (
    re.compile(r"maximum context length is (\d+)", re.I),
    re.compile(r"available context size \((\d+)", re.I),
    re.compile(r"context window of (\d+)", re.I),
    re.compile(r"context (?:length|size|window)[^\d]{0,20}(\d{3,})", re.I),
)
_OVERFLOW_HINTS = ("context_length_exceeded", "maximum context length", "exceeds the available context size",
                   "exceed_context_size", "exceed context window", "context window", "too many tokens",
                   "prompt is too long", "input is too long")


def context_limit(message: str, body: object = None) -> int | None:
    """The real context window named by an overflow error, where it names one."""
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        n_ctx = inner.get("n_ctx") if isinstance(inner, dict) else None
        if isinstance(n_ctx, int) and n_ctx > 0:
            return n_ctx
    for pattern in _LIMIT_PATTERNS:
        m = pattern.search(message or "")
        if m:
            return int(m.group(1))
    return None


def is_overflow(message: str) -> bool:
    low = (message or "").lower()
    return any(h in low for h in _OVERFLOW_HINTS)


_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "schema", "grammar", "response format")
#: Statuses that say something else than "not this format": the key, the model, the rate, the size.
_NOT_ABOUT_FORMAT = (401, 403, 404, 408, 409, 413, 429)


def refuses_format(status: int, detail: str) -> bool:
    """Whether an error answer refuses the requested answer format, whatever its status code: a 400 or 422
    from most servers, a 500 from llama-cpp-python ("Input should be 'text' or 'json_object'")."""
    low = (detail or "").lower()
    return status >= 400 and status not in _NOT_ABOUT_FORMAT and not is_overflow(low) and \
        any(w in low for w in _FORMAT_WORDS)


#: Words of a refused image: llama.cpp without its vision projector answers 500 "image input is not supported - hint:
#: ... provide the mmproj", OpenAI's text models 400 "Invalid content type. image_url is only supported by certain
#: models", others 415 or 422 naming the content type, multimodal input or vision.
_IMAGE_WORDS = ("image", "vision", "multimodal", "multi-modal", "image_url", "content type", "content part", "mmproj")
#: Words that refuse images as such, not one image ("Invalid image", "your input image may contain content that is
#: not allowed" reject that picture; the next one may be read).
_REFUSAL_WORDS = ("not support", "unsupported", "only supported", "not accept", "not enabled", "mmproj", "no vision",
                  "should be 'text'", "cannot process image", "does not have vision", "not a multimodal")
_IMAGE_STATUSES = (400, 415, 422, 500)


def refuses_images(status: int, detail: str) -> bool:
    """Whether an error answer to a request that carried an image refuses the image itself (a text-only model or
    server), not the request for another reason (the key, the rate, the context window)."""
    low = (detail or "").lower()
    return status in _IMAGE_STATUSES and not is_overflow(low) and any(w in low for w in _IMAGE_WORDS) \
        and any(w in low for w in _REFUSAL_WORDS)


def network_reason(exc: Exception) -> str:
    """Why a connection failed, in words a user can act on."""
    text = f"{exc.__class__.__name__}: {exc}".lower()
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "name resolution" in text:
        return "the host name does not resolve"
    if "refused" in text:
        return "connection refused"
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "the TLS handshake failed"
    if "timed out" in text or "timeout" in text:
        return "the connection timed out"
    return exc.__class__.__name__

"""One OpenAI-compatible chat client per run, with retries, backoff and adaptive concurrency.

* The client is built from explicit ``Settings`` and passed down; there is no module-level key,
  so worker threads see it and other sessions never do (field note 5).
* 429, 5xx, timeouts and connection errors are retried with exponential backoff and jitter,
  honouring ``Retry-After``; 400/401/403/404 are explained, not retried (field note 6).
* ``AdaptiveLimit`` halves the number of calls in flight when 429s arrive and grows it back after
  successes; ``RateWindow`` keeps optional requests- and tokens-per-minute ceilings.
* Error messages name the host, never the key.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import BackendError
from .settings import Settings


@dataclass
class Completion:
    text: str
    finish_reason: str
    tokens_in: int
    tokens_out: int
    attempts: int


class AdaptiveLimit:
    """A concurrency limit that backs off on 429s and recovers after successes."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.active = 0
        self.peak = 0
        self._streak = 0
        self._cond = threading.Condition()

    def acquire(self) -> None:
        with self._cond:
            while self.active >= self.limit:
                self._cond.wait()
            self.active += 1
            self.peak = max(self.peak, self.active)

    def release(self) -> None:
        with self._cond:
            self.active -= 1
            self._cond.notify_all()

    def rate_limited(self) -> None:
        with self._cond:
            self.limit = max(1, self.limit // 2)
            self._streak = 0

    def succeeded(self) -> None:
        with self._cond:
            self._streak += 1
            if self.limit < self.maximum and self._streak >= self.limit:
                self.limit += 1
                self._streak = 0
                self._cond.notify_all()


class RateWindow:
    """Optional requests-per-minute and tokens-per-minute ceilings over a sliding minute."""

    def __init__(self, rpm: int | None, tpm: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rpm, self.tpm, self.clock = rpm, tpm, clock
        self._events: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def wait(self, tokens: int) -> None:
        if not self.rpm and not self.tpm:
            return
        while True:
            with self._lock:
                now = self.clock()
                while self._events and now - self._events[0][0] >= 60:
                    self._events.popleft()
                used_tokens = sum(t for _, t in self._events)
                rpm_ok = not self.rpm or len(self._events) < self.rpm
                tpm_ok = not self.tpm or used_tokens + tokens <= self.tpm or not self._events
                if rpm_ok and tpm_ok:
                    self._events.append((now, tokens))
                    return
                sleep_for = max(0.05, 60 - (now - self._events[0][0]))
            time.sleep(min(sleep_for, 1.0))


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class ChatClient:
    """Talks to one OpenAI-compatible endpoint for one run."""

    def __init__(self, settings: Settings, backoff_base: float | None = None, backoff_cap: float | None = None) -> None:
        import openai

        self.settings = settings
        self.host = settings.host
        self._key = settings.clean_key()
        self._openai = openai
        self.client = openai.OpenAI(
            api_key=self._key or "not-needed",  # local servers (vLLM, Ollama) accept any key
            base_url=settings.base_url.strip(),
            max_retries=0,
            timeout=settings.timeout,
        )
        self.limit = AdaptiveLimit(settings.workers)
        self.window = RateWindow(settings.requests_per_minute, settings.tokens_per_minute)
        self.backoff_base = settings.backoff_base if backoff_base is None else backoff_base
        self.backoff_cap = settings.backoff_cap if backoff_cap is None else backoff_cap
        self.requests = 0
        self._count_lock = threading.Lock()

    def _scrub(self, text: str) -> str:
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return text

    def _explain(self, exc: Exception) -> str:
        o = self._openai
        model, host = self.settings.model, self.host
        if isinstance(exc, o.AuthenticationError):
            return f"The server at {host} rejected the API key (401); check the key in Settings."
        if isinstance(exc, o.PermissionDeniedError):
            return f"The server at {host} refused access (403); the key may not have access to model '{model}'."
        if isinstance(exc, o.NotFoundError):
            return f"The server at {host} answered 404: the model '{model}' or the base URL path is wrong (it usually ends in /v1)."
        if isinstance(exc, o.RateLimitError):
            return f"The server at {host} kept answering 429 (rate limit or quota) after several retries."
        if isinstance(exc, o.APITimeoutError):
            return f"The server at {host} did not answer in time after several retries."
        if isinstance(exc, o.APIConnectionError):
            return f"Could not connect to {host}; check the base URL, your network and any proxy settings."
        if isinstance(exc, o.APIStatusError):
            detail = ""
            try:
                body = exc.response.json()
                detail = (body.get("error") or {}).get("message", "") if isinstance(body, dict) else ""
            except Exception:
                detail = ""
            if exc.status_code >= 500:
                return f"The server at {host} failed with HTTP {exc.status_code} after several retries."
            if detail:
                return f"The server at {host} rejected the request (HTTP {exc.status_code}): {detail[:200]}"
            return f"The server at {host} rejected the request (HTTP {exc.status_code})."
        return f"The server at {host} did not answer like an OpenAI-compatible API; check the base URL (it usually ends in /v1)."

    def _retryable(self, exc: Exception) -> bool:
        o = self._openai
        if isinstance(exc, (o.RateLimitError, o.APITimeoutError, o.APIConnectionError, o.InternalServerError)):
            return True
        return isinstance(exc, o.APIStatusError) and exc.status_code in (408, 409, 429) or \
            isinstance(exc, o.APIStatusError) and exc.status_code >= 500

    def complete(self, messages: list[dict], max_tokens: int, prompt_tokens: int = 0,
                 on_retry: Callable[[int, float, str], None] | None = None) -> Completion:
        """One chat completion, retried on transient failures."""
        attempts = 0
        while True:
            attempts += 1
            self.window.wait(prompt_tokens + max_tokens)
            self.limit.acquire()
            try:
                with self._count_lock:
                    self.requests += 1
                response = self.client.chat.completions.create(
                    model=self.settings.model,
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=self.settings.temperature,
                )
            except Exception as exc:
                self.limit.release()
                if isinstance(exc, self._openai.RateLimitError) or getattr(exc, "status_code", None) == 429:
                    self.limit.rate_limited()
                if not self._retryable(exc) or attempts >= self.settings.max_attempts:
                    raise BackendError(self._scrub(self._explain(exc))) from None
                wait = _retry_after(exc)
                backoff = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1)) * (0.5 + random.random() / 2)
                delay = max(wait, 0.0) + random.random() * 0.1 * self.backoff_base if wait is not None else backoff
                if on_retry:
                    on_retry(attempts, delay, self._scrub(self._explain(exc)))
                time.sleep(delay)
                continue
            self.limit.release()
            self.limit.succeeded()
            return self._completion(response, attempts)

    def _completion(self, response, attempts: int) -> Completion:
        choices = getattr(response, "choices", None)
        if not choices or isinstance(response, (str, bytes)):
            raise BackendError(self._explain(Exception()))
        choice = choices[0]
        text = (choice.message.content or "") if choice.message else ""
        usage = getattr(response, "usage", None)
        return Completion(
            text=text,
            finish_reason=choice.finish_reason or "stop",
            tokens_in=getattr(usage, "prompt_tokens", 0) or 0,
            tokens_out=getattr(usage, "completion_tokens", 0) or 0,
            attempts=attempts,
        )

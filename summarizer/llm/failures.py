"""What the chat client does when a request fails: the retry policy (exponential backoff with jitter;
``Retry-After`` honoured up to its cap and within the run's budget), the breaker that fails every queued call
at once with one reason (a dead endpoint, a rejected key, too many stalls, an over-long wait), and the
one-line explanation of a failure that names the host, never the key. A mixin of ``ChatClient``."""

from __future__ import annotations

import logging
import math
import random
import time

from summarizer.llm.server_errors import context_limit, describe_wait, is_overflow, parse_retry_after
from summarizer.model.errors import BackendError, Cancelled, ContextOverflow, EndpointUnavailable

log = logging.getLogger(__name__)

#: Stall timeouts on one endpoint in one run before the run stops asking it (each cost a whole
#: ``Settings.timeout``; a server that took the request and never answered cost 16 minutes for 2 pages).
STALL_BREAKER = 3
#: Seconds one run may spend waiting on ``Retry-After`` in all, across its calls (``Retry-After: 119``
#: on every call cost 16 minutes); a wait beyond what is left ends the run with the reason.
RETRY_AFTER_BUDGET = 240.0


class CallTimeout(BackendError):
    """One call ran past ``Settings.call_timeout``."""


class FailureHandling:
    """Retries, the breaker and the words for a failure (``ChatClient``'s)."""

    def _check_open(self) -> None:
        if self.cancelled:
            raise Cancelled(f"Stopped before this call was sent ({self.cancel_reason}).")
        shared = self._shared
        if shared.breaker:
            if time.monotonic() < shared.breaker_until:
                raise EndpointUnavailable(shared.breaker)
            shared.breaker = ""

    def _open_breaker(self, reason: str, seconds: float = math.inf) -> None:
        with self._shared.lock:
            if not self._shared.breaker:
                self._shared.breaker = reason
                self._shared.breaker_until = time.monotonic() + seconds
                log.info("endpoint breaker open: %s", reason)

    def _count_stall(self) -> None:
        """One more stall timeout on this endpoint; at ``stall_breaker`` of them the run stops asking it
        (every queued call fails at once with the reason) instead of waiting a stall timeout per call."""
        shared = self._shared
        with shared.lock:
            shared.stalls += 1
            stalls = shared.stalls
        if stalls >= self.stall_breaker:
            reason = (f"The server at {self.host} sent nothing for {self.settings.timeout:.0f} s (the stall timeout) "
                      f"on {stalls} requests; this run stopped asking it. Check that it is running and not overloaded.")
            self._open_breaker(reason)
            raise EndpointUnavailable(reason)

    def _spend_retry_after(self, wait: float) -> None:
        """Grant a ``Retry-After`` wait out of the run's budget, or end the run when it would overspend."""
        shared = self._shared
        with shared.lock:
            granted = shared.retry_after_waited + wait <= self.retry_after_budget
            if granted:
                shared.retry_after_waited += wait
            waited = shared.retry_after_waited
        if not granted:
            reason = (f"The server at {self.host} kept asking to wait before retrying (Retry-After: {describe_wait(wait)}); "
                      f"this run already waited {describe_wait(waited)} and its limit on such waits is "
                      f"{describe_wait(self.retry_after_budget)}; try again later.")
            self._open_breaker(reason)
            raise EndpointUnavailable(reason)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cancel.wait(min(left, 0.1))
        raise Cancelled(f"Stopped while waiting to retry ({self.cancel_reason}).")

    # ---- usage -------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return text

    @staticmethod
    def _detail(exc: Exception) -> str:
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            inner = body.get("error") if isinstance(body.get("error"), dict) else body
            message = inner.get("message") if isinstance(inner, dict) else None
            if isinstance(message, str):
                return message
        if isinstance(body, str):
            return body
        return getattr(exc, "message", "") or str(exc)

    def _explain(self, exc: Exception) -> str:
        o = self._shared.openai
        model, host = self.settings.model, self.host
        if o is None:
            return f"The server at {host} failed ({exc.__class__.__name__})."
        if isinstance(exc, o.AuthenticationError):
            return f"The server at {host} rejected the API key (401); check the key in Settings."
        if isinstance(exc, o.PermissionDeniedError):
            return f"The server at {host} refused access (403); the key may not have access to model '{model}'."
        if isinstance(exc, o.NotFoundError):
            return f"The server at {host} answered 404: the model '{model}' or the base URL path is wrong (it usually ends in /v1)."
        if isinstance(exc, o.RateLimitError):
            return f"The server at {host} kept answering 429 (rate limit or quota) after several retries."
        if isinstance(exc, o.APITimeoutError):
            return (f"The server at {host} sent nothing for {self.settings.timeout:.0f} s (the stall timeout); "
                    "it may be overloaded or serving one request at a time.")
        if isinstance(exc, o.APIConnectionError):
            if self.settings.is_local:
                from summarizer.llm.local_model import stopped_reason

                stopped = stopped_reason(self.settings.base_url)
                if stopped:
                    return stopped
            return f"Could not connect to {host}; check the base URL, your network and any proxy settings."
        if isinstance(exc, o.APIStatusError):
            detail = self._detail(exc)
            if exc.status_code >= 500:
                said = f": {' '.join(detail.split())[:200]}" if detail and detail != str(exc) else ""
                return f"The server at {host} failed with HTTP {exc.status_code} after several retries{said}."
            if detail:
                return f"The server at {host} rejected the request (HTTP {exc.status_code}): {detail[:200]}"
            return f"The server at {host} rejected the request (HTTP {exc.status_code})."
        if isinstance(exc, o.APIError):
            return f"The server at {host} reported an error while answering: {self._detail(exc)[:200]}"
        return f"The server at {host} did not answer like an OpenAI-compatible API; check the base URL (it usually ends in /v1)."

    # ---- the endpoint check ------------------------------------------------------------------

    def _is_timeout(self, exc: Exception) -> bool:
        o = self._shared.openai
        return isinstance(exc, CallTimeout) or (o is not None and isinstance(exc, o.APITimeoutError))

    def _after_failure(self, exc: Exception, attempts: int, timeouts: int) -> float:
        """Raise what ends this call, or return how long to wait before the next attempt."""
        o = self._shared.openai
        status = getattr(exc, "status_code", None)
        if isinstance(exc, CallTimeout):
            self.limit.timed_out()
            if timeouts + 1 >= 2 or attempts >= self.max_attempts:
                raise BackendError(str(exc))
            return self._backoff(attempts)
        if isinstance(exc, o.APITimeoutError):
            self.limit.timed_out()
            self._count_stall()
            # a server that sent nothing for a whole stall timeout gets one more chance, not five
            if timeouts + 1 >= 2 or attempts >= self.max_attempts:
                raise BackendError(self._explain(exc))
            return self._backoff(attempts)
        if status == 429 or isinstance(exc, o.RateLimitError):
            self.limit.rate_limited()
            wait = parse_retry_after(getattr(getattr(exc, "response", None), "headers", None))
            if wait is not None and wait > self.retry_after_cap:
                reason = (f"The server at {self.host} asked to wait {describe_wait(wait)} before retrying (Retry-After), "
                          f"longer than the {self.retry_after_cap:.0f} s limit; try again later.")
                self._open_breaker(reason, wait)
                raise EndpointUnavailable(reason)
            if attempts >= self.max_attempts:
                raise BackendError(self._explain(exc))
            if wait is None:
                return self._backoff(attempts)
            self._spend_retry_after(wait)
            return wait + random.random() * 0.1 * self.backoff_base
        if isinstance(exc, o.APIConnectionError):
            if attempts >= self.max_attempts:
                reason = self._scrub(self._explain(exc))
                self._open_breaker(reason)
                raise EndpointUnavailable(reason)
            return self._backoff(attempts)
        if isinstance(exc, (o.AuthenticationError, o.PermissionDeniedError, o.NotFoundError)):
            reason = self._scrub(self._explain(exc))
            self._open_breaker(reason)
            raise EndpointUnavailable(reason)
        if isinstance(exc, o.APIStatusError):
            detail = self._detail(exc)
            if status in (400, 413, 422) and is_overflow(detail):
                limit = context_limit(detail, getattr(exc, "body", None))
                named = f" ({limit} tokens)" if limit else ""
                raise ContextOverflow(f"The request did not fit the model's context window{named} at {self.host}.",
                                      limit) from None
            if status in (408, 409) or (status or 0) >= 500:
                if attempts >= self.max_attempts:
                    raise BackendError(self._scrub(self._explain(exc)))
                return self._backoff(attempts)
            raise BackendError(self._scrub(self._explain(exc)))
        if isinstance(exc, o.APIError):  # an error event inside the stream
            if attempts >= self.max_attempts:
                raise BackendError(self._scrub(self._explain(exc)))
            return self._backoff(attempts)
        if isinstance(exc, BackendError):
            raise exc
        log.exception("unexpected failure talking to %s", self.host)
        raise BackendError(self._scrub(self._explain(exc)))

    def _backoff(self, attempts: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1)) * (0.5 + random.random() / 2)

"""One OpenAI-compatible chat client per run: streamed calls, bounded waits, honest usage, Stop. Its
failure handling (retries, the breaker, explanations) is ``failures.FailureHandling`` and its endpoint check
``endpoint_check.EndpointCheck``, both mixed in; the limits are ``limits``.

* Built from explicit ``Settings`` and passed down; no module-level key (field note 5). The
  openai SDK is imported only when a request is really sent, so a run served from the cache
  never pays for the import.
* Every call is streamed (``stream=True``; usage from the final chunk where the server offers it).
  ``Settings.timeout`` is a stall timeout (no byte for N s); ``Settings.call_timeout`` caps a whole
  call. ``cancel()`` (Stop) aborts the calls in flight by shutting their sockets, so a server that
  stops on disconnect stops computing, and no new request starts after it.
* The endpoint is checked once, at the first real request (``GET /models``, or a 1-token request
  where there is none): a dead host, a wrong URL or a rejected key ends the run in seconds with one
  message. Network failures, rejected keys, over-long ``Retry-After`` waits, ``STALL_BREAKER`` stall
  timeouts in a run and Retry-After waits beyond the run's ``RETRY_AFTER_BUDGET`` open a breaker that
  fails every queued call at once with the same reason.
* 429, 5xx, timeouts and connection errors are retried with exponential backoff and jitter,
  honouring ``Retry-After`` up to ``retry_after_cap``; 400/401/403/404 are explained, not retried
  (field notes 6, 26, 27). ``AdaptiveLimit`` (``limits``) halves the calls in flight on 429s and timeouts.
* A server that serves one request at a time gets one call at a time, and the run's notices say so:
  llama.cpp's ``/props`` (``total_slots``), llama-cpp-python's server (its ``/openapi.json`` title; by
  default a new request ends the stream in flight), or, from any server, a stream that ended without a
  finish reason while other calls were in flight (the cut call is sent again, alone).
* An empty 200 answer (no streamed chunk) to a prompt near the context window the caller budgeted
  (``window``) is a context overflow (llama-cpp-python answers one so), raised as ``ContextOverflow``
  so that the backend re-splits the section, not "check the base URL".
* A loopback llama.cpp server of ours that exited mid-run (a crash) fails the run at once with its
  exit code or signal and the end of its log, not as a connection error.
* Structured answers: ``schema`` sends ``response_format`` json_schema, falling back to json_object
  (with the schema, which llama.cpp-style servers enforce) and then none (plain JSON asked in the
  prompt) when an endpoint refuses the format, whatever the status code of the refusal (llama-cpp-python
  answers 500); what worked is remembered per endpoint, and the server's words are kept in ``notices``.
* Images: a message may carry one image (OpenAI's content parts, ``requests.with_image``). An endpoint that
  refuses it (``server_errors.refuses_images``: llama.cpp without its vision projector answers 500, OpenAI's text
  models 400) raises ``ImagesRefused`` at once, never retried; the refusal is remembered per endpoint, and
  no image is sent to it again (``accepts_images``).
* ``usage()`` counts every attempt that reached the server, under a lock.
* Error messages name the host, never the key.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from summarizer.config.prices import cost_usd
from summarizer.config.settings import Settings
from summarizer.llm import inflight
from summarizer.llm.endpoint_check import LLAMA_CPP_PYTHON, EndpointCheck
from summarizer.llm.failures import RETRY_AFTER_BUDGET, STALL_BREAKER, CallTimeout, FailureHandling
from summarizer.llm.inflight import InflightCall, attach_trace
from summarizer.llm.limits import AdaptiveLimit, RateWindow
from summarizer.llm.server_errors import (
    refuses_format,
    refuses_images,
)
from summarizer.llm.sse import StreamedUsage, StreamError, delta_pieces, iter_chunks
from summarizer.model.errors import BackendError, Cancelled, ContextOverflow, EndpointUnavailable, ImagesRefused
from summarizer.model.results import Usage

log = logging.getLogger(__name__)

FORMATS = ("json_schema", "json_object", "none")
#: An empty answer to a prompt of at least this share of the budgeted context window is taken as an overflow.
OVERFLOW_NEAR = 0.5
#: llama-cpp-python answers an empty 200 to any prompt past its window, whatever window we assumed (a model
#: name's table value may be 128k): from it, an empty answer to a prompt of this many tokens is an overflow.
OVERFLOW_FLOOR = 256

# What each endpoint (base URL + model) accepted, shared by every client of the process.
_memory_lock = threading.Lock()
_formats: dict[tuple[str, str], str] = {}
_no_stream_options: set[tuple[str, str]] = set()
_no_images: set[tuple[str, str]] = set()


def carries_image(messages: list[dict]) -> bool:
    """Whether a request's messages carry an image (an ``image_url`` content part)."""
    return any(isinstance(m.get("content"), list) and any(isinstance(p, dict) and p.get("type") == "image_url"
                                                          for p in m["content"]) for m in messages)


@dataclass
class Completion:
    text: str
    finish_reason: str
    tokens_in: int
    tokens_out: int
    attempts: int
    reasoning: str = ""  # streamed ``reasoning_content`` (DeepSeek-R1, Qwen3)
    cached_tokens: int = 0  # usage.prompt_tokens_details.cached_tokens where returned
    format_used: str = "none"  # "json_schema" | "json_object" | "none"
    sent_lean: bool = False  # asked without the "Answer fields:" line, the schema held to by the server


class _Shared:
    """What every client of one run (and its children) shares."""

    def __init__(self, settings: Settings) -> None:
        self.limit = AdaptiveLimit(settings.workers)
        if settings.server_slots:
            self.limit.cap(settings.server_slots)
        self.window = RateWindow(settings.requests_per_minute, settings.tokens_per_minute)
        self.lock = threading.Lock()
        self.checked = False
        self.check_lock = threading.Lock()
        self.breaker = ""  # a reason: every later call fails at once with it
        self.breaker_until = math.inf
        self.stalls = 0  # stall timeouts on this endpoint in this run (STALL_BREAKER opens the breaker)
        self.retry_after_waited = 0.0  # seconds of Retry-After waits granted in this run
        self.serialized = False  # learned: the server serves one request at a time
        self.serialized_why = ""  # ... and why (the endpoint check's finding is remembered with it)
        self.sdk = None
        self.http = None
        self.openai = None
        self.endpoint_info: dict = {}


class ChatClient(FailureHandling, EndpointCheck):
    """Talks to one OpenAI-compatible endpoint for one run."""

    def __init__(self, settings: Settings, backoff_base: float | None = None, backoff_cap: float | None = None, *,
                 max_attempts: int | None = None, retry_after_cap: float | None = None,
                 check_endpoint: bool | None = None, retry_after_budget: float | None = None,
                 stall_breaker: int | None = None) -> None:
        self.settings = settings
        self.host = settings.host
        self._key = settings.clean_key()
        self.backoff_base = settings.backoff_base if backoff_base is None else backoff_base
        self.backoff_cap = settings.backoff_cap if backoff_cap is None else backoff_cap
        self.max_attempts = max(1, int(settings.max_attempts if max_attempts is None else max_attempts))
        self.retry_after_cap = settings.retry_after_cap if retry_after_cap is None else retry_after_cap
        self.check_endpoint = settings.check_endpoint if check_endpoint is None else check_endpoint
        self.retry_after_budget = RETRY_AFTER_BUDGET if retry_after_budget is None else retry_after_budget
        self.stall_breaker = max(1, STALL_BREAKER if stall_breaker is None else stall_breaker)
        self.endpoint = (settings.base_url.strip().rstrip("/"), settings.model)
        self._shared = _Shared(settings)
        self._parent: ChatClient | None = None
        self._usage = Usage()
        self._usage_lock = threading.Lock()
        self._cancel = threading.Event()
        self._cancel_reason = ""
        self._inflight: set[InflightCall] = set()
        self._inflight_lock = threading.Lock()
        self.notices: list[str] = []  # what the reader should know about this endpoint (a refused answer format)

    # ---- shared parts ----------------------------------------------------------------------
    @property
    def limit(self) -> AdaptiveLimit:
        return self._shared.limit

    @property
    def window(self) -> RateWindow:
        return self._shared.window

    @property
    def requests(self) -> int:
        return self.usage().requests

    @property
    def endpoint_info(self) -> dict:
        """What the endpoint said about itself (llama.cpp ``/props``: ``n_ctx``, ``total_slots``)."""
        return dict(self._shared.endpoint_info)

    def child(self) -> ChatClient:
        """A client for one run that shares this one's limit, breaker and connection but has its
        own Stop and its own usage (which also adds up here)."""
        kid = object.__new__(ChatClient)
        kid.__dict__.update(self.__dict__)
        kid._parent = self
        kid._usage = Usage()
        kid._usage_lock = threading.Lock()
        kid._cancel = threading.Event()
        kid._cancel_reason = ""
        kid._inflight = set()
        kid._inflight_lock = threading.Lock()
        kid.notices = []
        return kid

    def _sdk(self):
        """The openai client, built at the first real request (the import alone costs ~1 s)."""
        shared = self._shared
        with shared.lock:
            if shared.sdk is None:
                import httpx2
                import openai

                from summarizer.llm.tls import trust_context

                stall = float(self.settings.timeout)
                shared.http = openai.DefaultHttpxClient(
                    timeout=httpx2.Timeout(stall, connect=min(stall, 10.0)),
                    # a fresh connection per request, so each call knows its socket and Stop can close it
                    limits=httpx2.Limits(max_keepalive_connections=0, max_connections=100),
                    event_hooks={"request": [attach_trace]},
                    verify=trust_context(),
                )
                shared.openai = openai
                shared.sdk = openai.OpenAI(
                    api_key=self._key or "not-needed",  # local servers (vLLM, Ollama) accept any key
                    base_url=self.settings.base_url.strip(),
                    max_retries=0,
                    timeout=httpx2.Timeout(stall, connect=min(stall, 10.0)),
                    http_client=shared.http,
                )
            return shared.sdk

    # ---- Stop --------------------------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set() or (self._parent is not None and self._parent.cancelled)

    @property
    def cancel_reason(self) -> str:
        if self._cancel.is_set():
            return self._cancel_reason
        return self._parent.cancel_reason if self._parent is not None else ""

    def cancel(self, reason: str = "stopped") -> None:
        """No new request starts; the calls in flight are closed now."""
        if not self._cancel.is_set():
            self._cancel_reason = reason
            self._cancel.set()
            log.info("run cancelled (%s) on %s", reason, self.host)
        with self._inflight_lock:
            calls = list(self._inflight)
        for call in calls:
            call.abort("cancelled")

    def _count(self, requests: int = 0, tokens_in: int = 0, tokens_out: int = 0, cached: int = 0) -> None:
        client: ChatClient | None = self
        while client is not None:
            with client._usage_lock:
                client._usage.requests += requests
                client._usage.tokens_in += tokens_in
                client._usage.tokens_out += tokens_out
                client._usage.cached_tokens += cached
            client = client._parent

    def usage(self) -> Usage:
        """Everything this client sent: every attempt that reached the server, priced if known."""
        with self._usage_lock:
            usage = Usage(self._usage.tokens_in, self._usage.tokens_out, self._usage.requests,
                          cached_tokens=self._usage.cached_tokens)
        usage.cost_usd = cost_usd(usage.tokens_in, usage.tokens_out, self.settings.price)
        return usage

    # ---- messages ----------------------------------------------------------------------------

    @property
    def accepts_images(self) -> bool:
        """False once this endpoint refused a request that carried an image (learned once, for the process)."""
        with _memory_lock:
            return self.endpoint not in _no_images

    def _images_refused(self, status: int, detail: str) -> ImagesRefused:
        """Remember that this endpoint refuses images, and say so once in the log."""
        with _memory_lock:
            first = self.endpoint not in _no_images
            _no_images.add(self.endpoint)
        said = " ".join(detail.split())[:200]
        if first:
            log.warning("%s", self._scrub(f"{self.host} (model {self.settings.model}) refused a request with an image "
                                           f"(HTTP {status}: {said}); no image is sent to it again"))
        return ImagesRefused(self._scrub(f"The model at {self.host} does not accept images (HTTP {status}: {said})."))

    def _format_for(self, schema: dict | None) -> str:
        if schema is None:
            return "none"
        with _memory_lock:
            return _formats.get(self.endpoint, "json_schema")

    def _downgrade(self, used: str, detail: str = "", status: int | None = None) -> None:
        """Ask in the next simpler answer format from now on (learned once per endpoint), and say why."""
        nxt = FORMATS[min(FORMATS.index(used) + 1, len(FORMATS) - 1)]
        with _memory_lock:
            _formats[self.endpoint] = nxt
        said = f" (HTTP {status}: {' '.join(detail.split())[:200]})" if status else ""
        plain = {"json_object": "JSON mode with the schema", "none": "plain JSON asked in the prompt"}[nxt]
        notice = f"The server at {self.host} refused the answer format {used}{said}; asking for {plain} from now on."
        log.warning("%s", self._scrub(notice))
        if notice not in self.notices:
            self.notices.append(self._scrub(notice))

    def complete(self, messages: list[dict], max_tokens: int, prompt_tokens: int = 0,
                 on_retry: Callable[[int, float, str], None] | None = None, *, schema: dict | None = None,
                 on_delta: Callable[[str], None] | None = None,
                 schema_messages: list[dict] | None = None, window: int | None = None,
                 grammar_schema: dict | None = None) -> Completion:
        """One streamed chat completion, retried on transient failures. ``schema_messages`` are sent
        instead of ``messages`` while the endpoint takes the JSON schema (they need not spell out the
        answer's fields, which the schema carries); after a downgrade, ``messages`` are. ``grammar_schema`` (the
        schema with bounded strings) replaces ``schema`` on a llama.cpp server (``grammar_bound``). ``window`` is the
        context window (in the tokens ``prompt_tokens`` counts) the request was budgeted against: an empty
        answer to a prompt near it is raised as ``ContextOverflow``."""
        attempts = timeouts = 0
        call_id, started = uuid.uuid4().hex[:8], time.monotonic()  # per-call log line: id, model, host, status, tokens, time
        if carries_image(messages) and not self.accepts_images:  # refused before: not sent again
            raise ImagesRefused(f"The model at {self.host} does not accept images.")
        while True:
            self._check_open()
            self._ensure_endpoint()
            self._check_open()
            self.window.wait(prompt_tokens + max_tokens, stop=lambda: self.cancelled)
            if not self.limit.acquire(stop=lambda: self.cancelled):
                raise Cancelled(f"Stopped before this call was sent ({self.cancel_reason}).")
            attempts += 1
            fmt = self._format_for(schema)
            try:
                self._check_open()
                lean = schema_messages is not None and self._holds_to_schema(fmt)
                held = grammar_schema if grammar_schema is not None and self.grammar_bound() else schema
                completion = self._attempt(schema_messages if lean else messages, max_tokens, prompt_tokens, held,
                                           fmt, on_delta, window)
                completion.sent_lean = lean
            except _Rejected as rejected:  # an option the server refused: resend without it
                self.limit.release()
                attempts -= 1
                if rejected.what == "format":
                    self._downgrade(fmt, rejected.detail, rejected.status)
                continue
            except _Interrupted:  # another request of ours ended this one: from now on one at a time
                self.limit.release()
                self.one_at_a_time("it ended an answer unfinished when another request arrived")
                if attempts >= self.max_attempts:
                    raise BackendError(f"The server at {self.host} kept ending its answer before it was complete.") from None
                continue
            except (Cancelled, EndpointUnavailable, ImagesRefused):
                self.limit.release()
                raise
            except ContextOverflow:
                self.limit.release()
                self._check_crashed()  # a crashed server answers nothing too
                raise
            except Exception as exc:
                self.limit.release()
                self._check_crashed()
                log.warning("call %s attempt %d to %s (model %s) failed: status=%s %s after %.2fs", call_id, attempts,
                            self.host, self.settings.model, getattr(exc, "status_code", "-"), exc.__class__.__name__,
                            time.monotonic() - started)
                if exc.__cause__ is not None:  # what the SDK wrapped: the reason a connection error happened
                    log.debug("call %s attempt %d: %r", call_id, attempts, exc.__cause__)
                delay = self._after_failure(exc, attempts, timeouts)
                if self._is_timeout(exc):
                    timeouts += 1
                if on_retry:
                    on_retry(attempts, delay, self._scrub(self._explain(exc)))
                self._sleep(delay)
                continue
            self.limit.release()
            self.limit.succeeded()
            completion.attempts = attempts
            log.info("call %s ok: model=%s host=%s status=200 finish=%s tokens_in=%d tokens_out=%d attempts=%d %.2fs",
                     call_id, self.settings.model, self.host, completion.finish_reason, completion.tokens_in,
                     completion.tokens_out, attempts, time.monotonic() - started)
            return completion

    def grammar_bound(self) -> bool:
        """The endpoint is one of llama.cpp's servers (its own, found by ``/props``, or llama-cpp-python's):
        it builds a grammar from the answer's schema, in JSON mode too. A grammar holds the answer's keys
        but not its length, so such an endpoint gets bounded strings (a small model otherwise writes one
        field until the output limit). Known once the run has looked at the endpoint (before its first request)."""
        info = self._shared.endpoint_info
        return info.get("server") == LLAMA_CPP_PYTHON or "total_slots" in info

    def _holds_to_schema(self, fmt: str) -> bool:
        """The answer is held to the JSON schema by the server in format ``fmt``: json_schema anywhere; JSON
        mode with the schema on llama.cpp's servers, where naming the fields and their descriptions in the
        prompt as well only gives a small model text to echo (issue #32: SmolLM2 behind llama-cpp-python
        wrote the descriptions as its summary)."""
        return fmt == "json_schema" or (fmt == "json_object" and self.grammar_bound())

    def _check_crashed(self) -> None:
        """After a failed call to our own local server: if its process has exited, the run ends at once
        with that (its exit code or signal, the end of its log), never a connection error or a retry."""
        if not self.settings.is_local:
            return
        from summarizer.llm.local_model import stopped_reason

        reason = stopped_reason(self.settings.base_url)
        if reason:
            self._open_breaker(reason)
            raise EndpointUnavailable(reason)

    def _attempt(self, messages: list[dict], max_tokens: int, prompt_tokens: int, schema: dict | None, fmt: str,
                 on_delta: Callable[[str], None] | None, window: int | None = None) -> Completion:
        sdk = self._sdk()
        o = self._shared.openai
        kwargs: dict = {"model": self.settings.model, "messages": messages, "max_tokens": max_tokens,
                        "temperature": self.settings.temperature, "stream": True}
        with _memory_lock:
            stream_options = self.endpoint not in _no_stream_options
        if stream_options:
            kwargs["stream_options"] = {"include_usage": True}
        if fmt == "json_schema" and schema is not None:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
        elif fmt == "json_object":  # llama.cpp and llama-cpp-python hold the answer to a schema given here
            kwargs["response_format"] = {"type": "json_object", **({"schema": schema} if schema is not None else {})}
        call = InflightCall()
        with self._inflight_lock:
            self._inflight.add(call)
        if self.cancelled:
            call.abort("cancelled")
        timer = threading.Timer(float(self.settings.call_timeout), call.abort, ("total",))
        timer.daemon = True
        timer.start()
        text: list[str] = []
        reasoning: list[str] = []
        finish, usage, got_chunk, rejected = "", None, False, False
        inflight.current.call = call
        try:
            try:
                with sdk.chat.completions.with_streaming_response.create(**kwargs) as response:
                    for chunk in self._chunks(response):
                        got_chunk = True
                        if call.aborted:
                            break
                        usage = StreamedUsage.from_json(chunk.get("usage")) or usage
                        for choice in chunk.get("choices") or ():
                            if not isinstance(choice, dict):
                                continue
                            piece, thought = delta_pieces(choice)
                            if thought:
                                reasoning.append(thought)
                            if piece:
                                text.append(piece)
                                if on_delta is not None:
                                    on_delta(piece)
                            if choice.get("finish_reason"):
                                finish = str(choice["finish_reason"])
            except o.APIStatusError as exc:
                detail = self._detail(exc).lower()
                if carries_image(messages) and refuses_images(exc.status_code, detail):
                    raise self._images_refused(exc.status_code, self._detail(exc)) from None
                if exc.status_code in (400, 422) and stream_options and "stream_options" in detail:
                    with _memory_lock:
                        _no_stream_options.add(self.endpoint)
                    raise _Rejected("stream_options") from None
                if fmt != "none" and refuses_format(exc.status_code, detail):
                    raise _Rejected("format", self._detail(exc), exc.status_code) from None
                raise
            if call.aborted:
                raise RuntimeError(call.aborted)  # turned into Cancelled or a call timeout below
        except Exception as exc:
            if call.aborted == "cancelled":
                raise Cancelled(f"Stopped while the request was in flight ({self.cancel_reason}).") from None
            if call.aborted == "total":
                raise CallTimeout(f"The server at {self.host} did not finish one answer within "
                                   f"{self.settings.call_timeout:.0f} s (the per-call time limit).") from None
            # answered with an error status: turned away at the door, nothing was computed
            rejected = isinstance(exc, (o.APIStatusError, _Rejected, ImagesRefused))
            raise
        finally:
            inflight.current.call = None
            timer.cancel()
            with self._inflight_lock:
                self._inflight.discard(call)
            self._settle(call, usage, prompt_tokens, "".join(text), rejected)
        if not finish:
            self._explain_unfinished(got_chunk, prompt_tokens, window)
        out_text = "".join(text)
        return Completion(
            text=out_text,
            finish_reason=finish or "stop",
            tokens_in=usage.prompt_tokens if usage else prompt_tokens,
            tokens_out=usage.completion_tokens if usage else _estimate(out_text),
            attempts=1,
            reasoning="".join(reasoning),
            cached_tokens=usage.cached_tokens if usage else 0,
            format_used=fmt if schema is not None else "none",
        )

    def _chunks(self, response):
        """The stream's JSON chunks (``sse.iter_chunks``), with the SDK's error types for what goes wrong while
        it is read: an error event is an ``APIError`` (retried), a stall an ``APITimeoutError``, a dropped
        connection an ``APIConnectionError``, as the SDK's own stream raises them."""
        import httpx2 as httpx

        o = self._shared.openai
        request = response.http_request
        try:
            yield from iter_chunks(response.iter_lines())
        except StreamError as exc:
            raise o.APIError(exc.message, request, body=exc.body) from None
        except httpx.TimeoutException as exc:
            raise o.APITimeoutError(request=request) from exc
        except httpx.RequestError as exc:
            raise o.APIConnectionError(request=request) from exc

    def _settle(self, call: InflightCall, usage: StreamedUsage | None, prompt_tokens: int, text: str, rejected: bool) -> None:
        """Count one attempt that reached the server: its reported usage, else our estimate (a
        timed-out or abandoned request was still read, and often computed, by the server)."""
        if not call.connected:
            return
        if usage is not None:
            self._count(1, usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)
        elif rejected:
            self._count(1)
        else:
            self._count(1, prompt_tokens, _estimate(text))

    def _explain_unfinished(self, got_chunk: bool, prompt_tokens: int, window: int | None) -> None:
        """A stream that ended without a finish reason: an overflow (nothing at all, for a prompt near the
        window, or for any but a tiny prompt from llama-cpp-python), an answer cut by another request of ours
        (others in flight), or not an OpenAI-compatible API (nothing at all, otherwise). A whole answer without
        a finish reason is taken as it is."""
        near = bool(window) and prompt_tokens >= OVERFLOW_NEAR * window
        if not got_chunk and (near or (window and prompt_tokens >= OVERFLOW_FLOOR
                                       and self._shared.endpoint_info.get("server") == LLAMA_CPP_PYTHON)):
            log.warning("%s answered nothing to a prompt of ~%d tokens (window ~%d): taken as a context overflow",
                        self.host, prompt_tokens, window)
            raise EmptyAnswerOverflow(f"The server at {self.host} answered nothing to a prompt of about {prompt_tokens} "
                                      "tokens: taken as a context overflow (its context window is smaller).", prompt_tokens)
        if self.limit.active > 1:
            raise _Interrupted()
        if not got_chunk:
            raise BackendError(f"The server at {self.host} did not answer like an OpenAI-compatible API "
                               "(no streamed answer); check the base URL (it usually ends in /v1).")


class EmptyAnswerOverflow(ContextOverflow):
    """A context overflow inferred from an empty answer: the server named no window, but the prompt
    (``prompt_tokens``, as the caller counts) did not fit it."""

    def __init__(self, message: str, prompt_tokens: int) -> None:
        super().__init__(message, None)
        self.prompt_tokens = prompt_tokens


class _Interrupted(Exception):
    """A stream ended unfinished while other calls of ours were in flight: the server cut it for them."""


class _Rejected(Exception):
    """The endpoint refused an optional part of the request (``format`` or ``stream_options``)."""

    def __init__(self, what: str, detail: str = "", status: int | None = None) -> None:
        super().__init__(what)
        self.what, self.detail, self.status = what, detail, status


def _estimate(text: str) -> int:
    from summarizer.text.tokens import estimate_tokens

    return estimate_tokens(text) if text else 0

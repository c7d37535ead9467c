"""The chat client's one look at an endpoint before its first real request (≤ 5 s): a dead host, a wrong
URL or a rejected key ends the run in seconds with one message; a server that serves one request at a time
(llama.cpp's ``/props`` with one slot, llama-cpp-python's server) is sent one at a time, and the run's
notices say so. A mixin of ``ChatClient``; the requests themselves are ``server_info``'s.

A look that went well is trusted by the next runs of this process for ``TRUSTED_FOR`` seconds (same base URL,
same key): the HTTP service builds a client per job, and a news desk sending an article a second would otherwise
pay one or two extra round trips to a remote endpoint per article (or a 1-token request where ``/models`` is
missing). What the look found (one request at a time, the slots, ``n_ctx``) is replayed; a failed look is never
remembered, so a dead endpoint is looked at again by the next run."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from summarizer.llm.server_errors import network_reason
from summarizer.llm.server_info import get_models, get_props, is_llama_cpp_python
from summarizer.model.errors import EndpointUnavailable

log = logging.getLogger(__name__)

PREFLIGHT_TIMEOUT = 5.0
LLAMA_CPP_PYTHON = "llama-cpp-python"
#: Seconds a good look at an endpoint stands for later runs in this process.
TRUSTED_FOR = 60.0
_looked: dict[tuple[str, str], tuple[float, dict]] = {}
_looked_lock = threading.Lock()


def forget_endpoints() -> None:
    """Drop every remembered look (the next run of each endpoint looks again)."""
    with _looked_lock:
        _looked.clear()


def owned_by_me(models: object) -> bool:
    """A ``/models`` list whose entries are ``owned_by: me`` (llama-cpp-python's server says so)."""
    entries = models.get("data") if isinstance(models, dict) else None
    return isinstance(entries, list) and bool(entries) and \
        all(isinstance(e, dict) and e.get("owned_by") == "me" for e in entries)


class EndpointCheck:
    """``ChatClient``'s endpoint check (once per run, shared by its children)."""

    def _ensure_endpoint(self) -> None:
        shared = self._shared
        if shared.checked or not self.check_endpoint:
            return
        with shared.check_lock:
            if shared.checked:
                return
            try:
                if not self._recall():
                    self._preflight()
                    self._remember()
            except EndpointUnavailable as exc:
                self._check_crashed()  # our own local server gone before the first call: say that, not the URL
                self._open_breaker(str(exc))
                raise
            finally:
                shared.checked = True

    def _endpoint_key(self) -> tuple[str, str]:
        key = hashlib.sha256((self._key or "").encode("utf-8")).hexdigest()[:16]  # never the key itself
        return self.settings.base_url.strip().rstrip("/"), key

    def _remember(self) -> None:
        shared = self._shared
        found = {"info": dict(shared.endpoint_info), "serialized": shared.serialized_why}
        with _looked_lock:
            _looked[self._endpoint_key()] = (time.monotonic(), found)

    def _recall(self) -> bool:
        """Replay a recent good look at this endpoint; False when there is none."""
        with _looked_lock:
            seen = _looked.get(self._endpoint_key())
        if seen is None or time.monotonic() - seen[0] > TRUSTED_FOR:
            return False
        found = seen[1]
        self._shared.endpoint_info.update(found["info"])
        if found["serialized"]:
            self.one_at_a_time(found["serialized"])
        elif found["info"].get("total_slots", 0) > 1:
            self.limit.cap(found["info"]["total_slots"])
        log.info("endpoint %s looked at %.0f s ago: not again", self.host, time.monotonic() - seen[0])
        return True

    def _preflight(self) -> None:
        """One cheap look at the endpoint before the first real call (≤ 5 s, the context-window probe's
        time included: an endpoint that let that probe time out is not waited for again)."""
        import httpx2

        from summarizer.llm.endpoint import silent_for

        silent = silent_for(self.settings.base_url)
        if silent is not None:
            raise EndpointUnavailable(f"The server at {self.host} did not answer within {silent:.0f} s; "
                                      "check that it is running and the base URL is right.")
        self._sdk()
        http, host = self._shared.http, self.host
        base = self.settings.base_url.strip().rstrip("/")
        headers = {"Authorization": f"Bearer {self._key or 'not-needed'}"}
        timeout = httpx2.Timeout(PREFLIGHT_TIMEOUT)
        started = time.monotonic()
        try:
            status, models = get_models(http, base, headers, timeout)
        except httpx2.TimeoutException:
            raise EndpointUnavailable(f"The server at {host} did not answer within {PREFLIGHT_TIMEOUT:.0f} s; "
                                      "check that it is running and the base URL is right.") from None
        except Exception as exc:
            log.info("endpoint check for %s failed: %r", host, exc)
            raise EndpointUnavailable(f"Could not connect to {host} ({network_reason(exc)}); check the base URL, "
                                      "your network and any proxy settings.") from None
        log.info("endpoint check %s/models → %s in %.2fs", host, status, time.monotonic() - started)
        if status in (401, 403):
            raise EndpointUnavailable(f"The server at {host} rejected the API key ({status}); check the key in Settings.")
        if status in (404, 405):
            self._probe_chat()
        elif 200 <= status < 300:
            if models is None:
                raise EndpointUnavailable(f"The server at {host} did not answer like an OpenAI-compatible API; "
                                          "check the base URL (it usually ends in /v1).") from None
            if owned_by_me(models) and self._is_llama_cpp_python(base, headers):
                self._shared.endpoint_info["server"] = LLAMA_CPP_PYTHON
                self.one_at_a_time("llama-cpp-python's server computes one answer at a time, and by default a new "
                                   "request ends the answer in flight")
        self._read_props(base, headers)

    def _is_llama_cpp_python(self, base: str, headers: dict) -> bool:
        try:
            return is_llama_cpp_python(self._shared.http, base, headers, 2.0)
        except Exception:
            return False

    def one_at_a_time(self, why: str) -> None:
        """Send one request at a time to this endpoint from now on (the whole run), and say so once."""
        shared = self._shared
        with shared.lock:
            first = not shared.serialized
            shared.serialized = True
            shared.serialized_why = shared.serialized_why or why
        self.limit.cap(1)
        if not first or self.settings.workers <= 1:
            log.info("%s serves one request at a time (%s)", self.host, why)
            return
        notice = (f"The server at {self.host} serves one request at a time ({why}); "
                  f"this run sent one request at a time instead of {self.settings.workers}.")
        log.warning("%s", self._scrub(notice))
        if notice not in self.notices:
            self.notices.append(self._scrub(notice))

    def _probe_chat(self) -> None:
        """A server without ``/models``: one 1-token request tells a wrong URL from a working one."""
        o = self._shared.openai
        self._count(requests=1)
        try:
            self._shared.sdk.with_options(timeout=PREFLIGHT_TIMEOUT).chat.completions.create(
                model=self.settings.model, messages=[{"role": "user", "content": "ping"}], max_tokens=1)
        except (o.AuthenticationError, o.PermissionDeniedError, o.NotFoundError, o.APIConnectionError) as exc:
            raise EndpointUnavailable(self._scrub(self._explain(exc))) from None
        except o.APIStatusError as exc:
            log.info("1-token probe answered %s; going on", exc.status_code)
        except Exception as exc:
            raise EndpointUnavailable(self._scrub(self._explain(exc))) from None

    def _read_props(self, base: str, headers: dict) -> None:
        """llama.cpp says how many requests it serves at once (``total_slots``) and its ``n_ctx``."""
        try:
            props = get_props(self._shared.http, base, headers, 2.0)
        except Exception:
            props = None
        if not isinstance(props, dict):
            return
        info: dict = {}
        slots = props.get("total_slots")
        if isinstance(slots, int) and slots > 0:
            info["total_slots"] = slots
            if slots == 1:
                self.one_at_a_time("llama.cpp's /props says total_slots is 1")
            else:
                self.limit.cap(slots)
                log.info("%s serves %d request(s) at a time", self.host, slots)
        n_ctx = (props.get("default_generation_settings") or {}).get("n_ctx") \
            if isinstance(props.get("default_generation_settings"), dict) else None
        if isinstance(n_ctx, int) and n_ctx > 0:
            info["n_ctx"] = n_ctx
        self._shared.endpoint_info.update(info)

    # ---- one call ----------------------------------------------------------------------------

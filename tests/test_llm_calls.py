"""The LLM client and engine spend no money or time they should not: Stop stops, Retry-After is
capped, dead endpoints fail fast and once, timeouts are bounded, usage counts what was sent.
Every test talks to a real HTTP server on loopback (``llm_server``, ``fault_servers``)."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import conftest
import pytest
from fault_servers import DripServer, NeverAnswerServer, within
from llm_server import LLMServer

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend
from summarizer.llm.client import ChatClient
from summarizer.llm.server_errors import context_limit, parse_retry_after
from summarizer.model.errors import BackendError, Cancelled, ContextOverflow, EndpointUnavailable
from summarizer.run.engine import run, summarize_document

MESSAGES = [{"role": "system", "content": "You summarize."}, {"role": "user", "content": "Section: A\n<section>\nText.\n</section>"}]
SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}


def llm_settings(server, **changes):
    """These tests count requests and watch them in flight: one request per section (no grouping)."""
    return conftest.llm_settings(server, **{"group_below": 0, **changes})


def paper(sections: int) -> str:
    body = "\n\n".join(f"## {i} Part {i}\nPart {i} of the study measures retrieval quality on corpus {i}. "
                       f"It reports what was found in part {i}." for i in range(1, sections + 1))
    return f"# A study\n\n{body}"


def client_for(url: str, **changes) -> ChatClient:
    settings = Settings(backend="llm", model="test-model", base_url=url, api_key="sk-test-0000",
                        **{"workers": 4, "timeout": 10, "backoff_base": 0.01, **changes})
    return ChatClient(settings)


def backend_for(settings: Settings) -> LLMBackend:
    return LLMBackend(settings, client=ChatClient(settings))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- Stop ----------------------------------------------------------------------------------------
def test_closing_the_run_stops_new_requests_and_keeps_finished_sections():
    with LLMServer(latency=0.4) as server:
        settings = llm_settings(server, workers=2, use_cache=False, backoff_base=0.01)
        doc = parse_text(paper(12))
        events = run(doc, settings, backend=backend_for(settings))
        finished = []
        for event in events:
            if event.kind == "section" and event.result.status in ("done", "unstructured"):
                finished.append(event.result)
                break
        events.close()  # what Streamlit's rerun/stop does to the generator
        stopped_at = time.monotonic()
        time.sleep(1.5)
        sent_after = [r for r in server.state.chat_requests if r.at > stopped_at]
        assert finished, "a section finished before the stop"
        assert sent_after == [], f"{len(sent_after)} request(s) started after the run was closed"
        assert len(server.state.chat_requests) <= 4  # the 12 queued sections were never sent


def test_stop_closes_the_stream_in_flight():
    with NeverAnswerServer() as server:
        settings = Settings(backend="llm", model="m", group_below=0, base_url=server.base_url, workers=1, timeout=30,
                            check_endpoint=False)
        client = ChatClient(settings)
        errors: list[Exception] = []

        def call() -> None:
            try:
                client.complete(MESSAGES, 50, 20)
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                errors.append(exc)

        worker = threading.Thread(target=call)
        worker.start()
        deadline = time.monotonic() + 5
        while server.open_connections() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.open_connections() == 1
        stop = time.monotonic()
        client.cancel("stopped by the test")
        worker.join(5)
        assert not worker.is_alive()
        assert isinstance(errors[0], Cancelled)
        deadline = time.monotonic() + 3  # the server's thread notes the close when it next runs (a busy machine)
        while server.connections[0].closed is None and time.monotonic() < deadline:
            time.sleep(0.02)
        closed = server.connections[0].closed
        assert closed is not None and closed - stop < 1.0, "the server still holds the abandoned request"
        assert client.usage().requests == 1  # the abandoned request was sent, so it is counted


# ---- Retry-After ---------------------------------------------------------------------------------
@pytest.mark.parametrize("headers, expected", [
    ({"retry-after": "3"}, 3.0),
    ({"retry-after-ms": "250"}, 0.25),
    ({"retry-after": "inf"}, float("inf")),
    ({"retry-after": "nan"}, None),
    ({"retry-after": "soon, maybe"}, None),
    ({"retry-after": "Thu, 31 Dec 9999 23:59:59 GMT"}, "huge"),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
    ({"retry-after": "-5"}, 0.0),
    ({}, None),
])
def test_retry_after_is_read_and_never_raises(headers, expected):
    value = parse_retry_after(headers)
    if expected == "huge":
        assert value > 86400 * 365 * 1000
    else:
        assert value == expected


def test_retry_after_beyond_the_cap_fails_at_once_naming_the_wait():
    with LLMServer(rate_limit_first=100, retry_after="3600") as server:
        client = client_for(server.base_url, retry_after_cap=120)
        for _ in range(2):  # the second call fails at once too, without asking again
            error = within(10, client.complete, MESSAGES, 50, 20)
            assert isinstance(error, EndpointUnavailable) and "1.0 h" in str(error)
        assert len(server.state.chat_requests) == 1


def test_retry_after_within_the_cap_is_honoured():
    with LLMServer(rate_limit_first=1, retry_after="0.6") as server:
        client = client_for(server.base_url)
        completion = client.complete(MESSAGES, 50, 20)
        first, second = server.state.chat_requests
        assert completion.attempts == 2
        assert second.at - first.at >= 0.55
        assert client.usage().requests == 2


def test_retry_after_ms_is_preferred():
    with LLMServer(rate_limit_first=1, retry_after="30", retry_after_ms="300") as server:
        client = client_for(server.base_url, retry_after_cap=10)
        started = time.monotonic()
        client.complete(MESSAGES, 50, 20)
        assert time.monotonic() - started < 5


# ---- dead or wrong endpoints ---------------------------------------------------------------------
def test_a_refused_connection_ends_the_run_fast_with_one_reason():
    settings = Settings(backend="llm", model="m", group_below=0, base_url=f"http://127.0.0.1:{free_port()}/v1", workers=4,
                        use_cache=False, backoff_base=0.01)
    started = time.monotonic()
    result = summarize_document(parse_text(paper(6)), settings, backend=backend_for(settings))
    assert time.monotonic() - started < 5
    assert "Could not connect" in result.overview_error and "connection refused" in result.overview_error
    assert result.stopped
    assert all(s.status == "failed" for s in result.sections if s.status != "skipped")
    full = [s for s in result.sections if s.error == result.overview_error]
    assert len(full) <= 1  # the others say "not sent", they do not each rediscover it


def test_a_server_that_never_answers_ends_the_run_within_the_check():
    with NeverAnswerServer() as server:
        settings = Settings(backend="llm", model="m", group_below=0, base_url=server.base_url, workers=4, use_cache=False)
        result = within(7, summarize_document, parse_text(paper(3)), settings, backend=backend_for(settings))
        assert "did not answer within 5 s" in result.overview_error
        assert all(s.status == "failed" for s in result.sections if s.status != "skipped")


class _NotFound(BaseHTTPRequestHandler):
    """A web server where the base URL points at nothing (every path 404)."""

    posts: list[str] = []

    def log_message(self, *args) -> None:
        return

    def _nothing(self) -> None:
        if self.command == "POST":
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            _NotFound.posts.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"not found")

    do_GET = do_POST = _nothing


def test_a_wrong_base_url_is_reported_once():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _NotFound.posts.clear()
    try:
        settings = Settings(backend="llm", model="m", group_below=0, base_url=f"http://127.0.0.1:{httpd.server_address[1]}/wrong",
                            workers=4, use_cache=False)
        started = time.monotonic()
        result = summarize_document(parse_text(paper(5)), settings, backend=backend_for(settings))
        assert time.monotonic() - started < 5
        assert "404" in result.overview_error and "base URL" in result.overview_error
        assert len(_NotFound.posts) == 1  # the 1-token probe; no section request was sent
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_unknown_model_stops_the_run_after_one_request():
    with LLMServer(models=("other-model",)) as server:
        settings = llm_settings(server, workers=1, use_cache=False)
        result = summarize_document(parse_text(paper(5)), settings, backend=backend_for(settings))
        assert "404" in result.overview_error
        assert len(server.state.chat_requests) == 1


def test_a_rejected_key_stops_every_section_after_one_request():
    with LLMServer(required_key="sk-right") as server:
        settings = llm_settings(server, workers=1, use_cache=False)
        result = summarize_document(parse_text(paper(5)), settings, backend=backend_for(settings))
        assert "rejected the API key" in result.overview_error
        assert len(server.state.chat_requests) == 1


def test_after_a_rejected_key_the_client_sends_nothing_more():
    with LLMServer(required_key="sk-right") as server:
        client = client_for(server.base_url)
        for _ in range(3):
            with pytest.raises(EndpointUnavailable, match="rejected the API key"):
                client.complete(MESSAGES, 50, 20)
        assert len(server.state.chat_requests) == 1


def test_a_server_without_models_is_checked_with_one_token():
    with LLMServer(no_models=True) as server:
        client = client_for(server.base_url)
        client.complete(MESSAGES, 50, 20)
        assert server.state.chat_requests[0].body["max_tokens"] == 1
        assert client.usage().requests == len(server.state.chat_requests) == 2


# ---- bounded time per call -----------------------------------------------------------------------
def test_a_stalled_call_is_retried_once_then_fails_and_lowers_concurrency():
    with NeverAnswerServer() as server:
        client = client_for(server.base_url, timeout=0.5, check_endpoint=False, max_attempts=5)
        started = time.monotonic()
        with pytest.raises(BackendError, match="sent nothing for"):
            client.complete(MESSAGES, 50, 20)
        assert time.monotonic() - started < 3
        assert len(server.connections) == 2
        assert client.usage().requests == 2
        assert client.limit.limit < client.limit.maximum


def test_a_dripping_call_is_cut_at_the_total_cap():
    with DripServer(interval=0.1) as server:
        client = client_for(server.base_url, timeout=2, call_timeout=1.0, check_endpoint=False, max_attempts=1)
        error = within(6, client.complete, MESSAGES, 50, 20)
        assert isinstance(error, BackendError) and "per-call time limit" in str(error)
        client.cancel()


def test_a_slow_stream_is_read_as_it_arrives():
    with DripServer(interval=0.05, chunks=5) as server:
        client = client_for(server.base_url, check_endpoint=False)
        seen: list[str] = []
        completion = client.complete(MESSAGES, 50, 20, on_delta=seen.append)
        assert seen == ["drip "] * 5
        assert completion.text == "drip " * 5
        assert completion.tokens_in == 20  # no usage reported: the prompt estimate is counted


def test_the_run_time_limit_keeps_what_finished():
    import openai  # noqa: F401  (the SDK's first import, ~1 s on a cold process, is not what this test times)

    with LLMServer(latency=0.3) as server:
        settings = llm_settings(server, workers=1, use_cache=False, run_timeout=1.5)
        started = time.monotonic()
        result = summarize_document(parse_text(paper(10)), settings, backend=backend_for(settings))
        assert time.monotonic() - started < 3.5
        assert "time limit" in result.stopped
        assert any(s.ok for s in result.sections)
        assert any(s.status == "failed" and "not finished" in s.error for s in result.sections)


# ---- slots, formats, overflow, usage -------------------------------------------------------------
def test_a_single_slot_server_gets_one_request_at_a_time():
    with LLMServer(slots=1, latency=0.1) as server:
        settings = llm_settings(server, workers=4, use_cache=False)
        backend = backend_for(settings)
        summarize_document(parse_text(paper(5)), settings, backend=backend)
        assert server.state.peak == 1
        assert backend.client.endpoint_info["total_slots"] == 1


def test_the_slot_setting_limits_concurrency():
    with LLMServer(latency=0.1) as server:
        settings = llm_settings(server, workers=4, use_cache=False, server_slots=2)
        summarize_document(parse_text(paper(6)), settings, backend=backend_for(settings))
        assert server.state.peak <= 2


def test_response_format_falls_back_and_is_remembered_per_endpoint():
    with LLMServer(reject_formats=("json_schema",)) as server:
        first = client_for(server.base_url)
        done = within(10, first.complete, MESSAGES, 50, 20, schema=SCHEMA)
        assert done.format_used == "json_object"
        again = client_for(server.base_url)  # a new client (next run) does not ask twice
        assert again.complete(MESSAGES, 50, 20, schema=SCHEMA).format_used == "json_object"
        sent = [(r.body.get("response_format") or {}).get("type") for r in server.state.chat_requests]
        assert sent == ["json_schema", "json_object", "json_object"]
        assert first.usage().requests + again.usage().requests == 3


def test_a_server_rejecting_every_format_gets_none():
    with LLMServer(reject_formats=("json_schema", "json_object")) as server:
        done = client_for(server.base_url).complete(MESSAGES, 50, 20, schema=SCHEMA)
        assert done.format_used == "none"
        assert "response_format" not in server.state.chat_requests[-1].body


def test_stream_options_are_dropped_where_rejected():
    with LLMServer(reject_stream_options=True) as server:
        done = within(10, client_for(server.base_url).complete, MESSAGES, 50, 20)
        assert done.text
        assert "stream_options" not in server.state.chat_requests[-1].body


def test_every_call_is_streamed_with_usage():
    with LLMServer() as server:
        done = client_for(server.base_url).complete(MESSAGES, 50, 20)
        body = server.state.chat_requests[0].body
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        assert done.tokens_in > 0 and done.tokens_in != 20  # the server's count, not our estimate


def test_context_overflow_names_the_real_limit():
    with LLMServer(context_limit=60) as server:
        with pytest.raises(ContextOverflow) as info:
            client_for(server.base_url).complete(MESSAGES, 50, 20)
        assert info.value.limit == 60


@pytest.mark.parametrize("message, body, limit", [
    ("request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it", None, 4096),
    ("the request exceeds the available context size", {"error": {"n_ctx": 2048}}, 2048),
    ("Requested tokens (3000) exceed context window of 2048", None, 2048),
    ("something else went wrong", None, None),
])
def test_context_limits_are_parsed_from_known_messages(message, body, limit):
    assert context_limit(message, body) == limit


def test_usage_counts_every_attempt_sent():
    with LLMServer(rate_limit_every=3, error_500_first=2, retry_after="0") as server:
        settings = llm_settings(server, workers=4, use_cache=False, backoff_base=0.01, max_attempts=6)
        backend = backend_for(settings)
        result = summarize_document(parse_text(paper(6)), settings, backend=backend)
        assert result.usage.requests == len(server.state.chat_requests)
        assert backend.client.usage().requests == len(server.state.chat_requests)


def test_a_child_client_has_its_own_stop_and_adds_to_its_parent():
    with LLMServer() as server:
        parent = client_for(server.base_url)
        one, two = parent.child(), parent.child()
        one.complete(MESSAGES, 50, 20)
        two.cancel("this document ran out of time")
        with pytest.raises(Cancelled):
            two.complete(MESSAGES, 50, 20)
        parent.complete(MESSAGES, 50, 20)
        assert one.usage().requests == 1 and two.usage().requests == 0
        assert parent.usage().requests == 2


def test_a_good_look_at_an_endpoint_stands_for_the_next_runs_for_a_minute(monkeypatch):
    """The HTTP service builds a client per job: the endpoint is looked at once a minute, not per article; what
    the look found (one request at a time) still holds for every run; another key, or a minute later, looks again."""
    import summarizer.llm.endpoint_check as endpoint_check

    with LLMServer(slots=1, latency=0.05) as server:
        def one_run(**changes):
            settings = llm_settings(server, workers=4, use_cache=False, **changes)
            backend = backend_for(settings)
            result = summarize_document(parse_text(paper(3)), settings, backend=backend)
            return backend, result

        first, _ = one_run()
        looked = len(server.state.gets)
        assert looked >= 1
        second, _ = one_run()
        assert len(server.state.gets) == looked  # not looked at again
        assert server.state.peak == 1 and second.client.endpoint_info["total_slots"] == 1  # the finding replayed
        one_run(api_key="sk-other-0000")
        assert len(server.state.gets) > looked  # another key: its own look
        looked = len(server.state.gets)
        monkeypatch.setattr(endpoint_check, "TRUSTED_FOR", 0.0)
        one_run()
        assert len(server.state.gets) > looked  # stale: looked at again


def test_a_failed_look_is_not_remembered():
    import socket as socket_module

    with socket_module.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    settings = Settings(backend="llm", model="m", base_url=dead, api_key="sk-test-0000", max_attempts=1, timeout=2)
    from summarizer.llm.endpoint_check import _looked

    summarize_document(parse_text(paper(2)), settings, backend=backend_for(settings))
    assert not any(key[0] == dead for key in _looked)

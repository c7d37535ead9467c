"""Endpoints that lose, hang or refuse: a run against them ends in bounded time with a reason that names
what happened (issue #25 part C). Every test talks to a real server on loopback."""

from __future__ import annotations

import socket
import time

import conftest
from fault_servers import Connection, NeverAnswerServer, within
from llm_server import LLMServer

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend
from summarizer.llm.client import ChatClient
from summarizer.model.errors import EndpointUnavailable
from summarizer.run.engine import summarize_document

MESSAGES = [{"role": "system", "content": "You summarize."}, {"role": "user", "content": "Section: A\n<section>\nText.\n</section>"}]


def paper(sections: int) -> str:
    body = "\n\n".join(f"## {i} Part {i}\nPart {i} of the study measures retrieval quality on corpus {i}. "
                       f"It reports what was found in part {i}." for i in range(1, sections + 1))
    return f"# A study\n\n{body}"


class SilentChatServer(NeverAnswerServer):
    """Lists its model (the endpoint check passes) but takes every chat request and never answers it."""

    def _serve(self, conn: socket.socket, record: Connection) -> None:
        if self._read_request(conn, record) and record.request.startswith(b"GET"):
            payload = b'{"object": "list", "data": [{"id": "test-model"}]}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\nConnection: close\r\n\r\n" + payload)
            record.closed = time.monotonic()
            conn.close()
            return
        self._wait_closed(conn, record)

    def posts(self) -> int:
        with self.lock:
            return sum(1 for c in self.connections if c.request.startswith(b"POST"))


# ---- item 1: stall timeouts and Retry-After are bounded per run -----------------------------------
def test_an_endpoint_that_never_answers_is_given_up_after_a_few_stalls():
    with SilentChatServer() as server:
        settings = Settings(backend="llm", model="test-model", base_url=server.base_url, api_key="sk-test-0000",
                            workers=1, timeout=0.4, backoff_base=0.01, max_attempts=5, use_cache=False,
                            group_below=0, whole_paper_below=0, context_window=8192)
        result = within(30, summarize_document, parse_text(paper(4)), settings,
                        backend=LLMBackend(settings, client=ChatClient(settings)))
        # 4 sections x 2 stalls each (and the overview) without the breaker; 3 stalls with it
        assert server.posts() == 3
        assert "stall timeout" in result.overview_error and "stopped asking" in result.overview_error
        assert result.stopped


def test_retry_after_on_every_call_is_capped_for_the_run_and_named():
    with LLMServer(rate_limit_first=10_000, retry_after="119") as server:
        client = ChatClient(conftest.llm_settings(server, backoff_base=0.01, max_attempts=10), retry_after_budget=60)
        error = within(10, client.complete, MESSAGES, 50, 20)
        assert isinstance(error, EndpointUnavailable)
        assert "Retry-After" in str(error) and "limit on such waits is 1 min" in str(error)
        assert len(server.state.chat_requests) == 1


def test_retry_after_waits_add_up_across_calls_until_the_budget_is_spent():
    with LLMServer(rate_limit_first=10_000, retry_after="0.5") as server:
        client = ChatClient(conftest.llm_settings(server, backoff_base=0.01, max_attempts=10), retry_after_budget=1.2)
        error = within(10, client.complete, MESSAGES, 50, 20)
        assert isinstance(error, EndpointUnavailable) and "Retry-After" in str(error)
        assert len(server.state.chat_requests) == 3  # two waits of 0.5 s granted, the third refused
        again = within(5, client.complete, MESSAGES, 50, 20)  # the next call of the run is not sent at all
        assert isinstance(again, EndpointUnavailable)
        assert len(server.state.chat_requests) == 3


# ---- item 2: one bounded look at an endpoint that accepts TCP and says nothing ----------------------
def test_a_silent_endpoint_is_probed_once_and_fails_within_five_seconds():
    with NeverAnswerServer() as server:
        settings = Settings(backend="llm", model="m", base_url=server.base_url, workers=2, use_cache=False, group_below=0)
        started = time.monotonic()
        result = within(15, summarize_document, parse_text(paper(3)), settings)  # the backend probes the window
        elapsed = time.monotonic() - started
        assert "did not answer within" in result.overview_error
        assert len(server.connections) == 1, "the window probe and the endpoint check each waited their own timeout"
        assert elapsed < 5


def test_an_endpoint_that_answered_the_probe_is_not_taken_for_silent():
    from summarizer.llm.endpoint import discover_context_window, silent_for

    with SilentChatServer() as server:  # lists its models, then never answers Ollama's POST /api/show
        started = time.monotonic()
        assert discover_context_window(server.base_url, "test-model") is None
        assert time.monotonic() - started < 4.5  # one probe time in all, not one per request
        assert silent_for(server.base_url) is None  # so the endpoint check still asks it

"""The stream reader (summarizer/llm/sse.py) that replaced the openai SDK's per-chunk pydantic parsing:
the SSE format's corners as unit tests, then a real server on loopback sending raw stream bodies (an
error event after a 200, usage with cached tokens, reasoning, comments, CRLF lines) through ChatClient."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from summarizer.config.settings import Settings
from summarizer.llm.client import ChatClient
from summarizer.llm.sse import StreamedUsage, StreamError, delta_pieces, iter_chunks
from summarizer.model.errors import BackendError

MESSAGES = [{"role": "system", "content": "You summarize."}, {"role": "user", "content": "Section: A\nText."}]


def chunk(content: str | None = None, finish: str | None = None, **delta) -> str:
    if content is not None:
        delta["content"] = content
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


# ---- the format ----------------------------------------------------------------------------------------
def test_events_end_at_blank_lines_and_done_ends_the_stream():
    lines = [chunk("a"), "", chunk("b"), "", "data: [DONE]", "", chunk("after done"), ""]
    assert [c["choices"][0]["delta"]["content"] for c in iter_chunks(lines)] == ["a", "b"]


def test_the_body_after_done_is_read_to_its_end():
    lines = iter([chunk("a"), "", "data: [DONE]", "", ": trailing comment", ""])
    assert len(list(iter_chunks(lines))) == 1
    assert list(lines) == []  # read to the end, as the SDK's stream does: the server is done before the next call


def test_an_events_data_lines_are_joined_with_newlines():
    lines = ['data: {"choices": [{"delta":', 'data: {"content": "x"}}]}', ""]
    assert list(iter_chunks(lines)) == [{"choices": [{"delta": {"content": "x"}}]}]
    # joined without the newline these two lines would read as {"n": 12}
    assert list(iter_chunks(['data: {"n": 1', "data: 2}", ""])) == []


def test_comments_other_fields_and_data_without_its_space_are_read_as_the_format_says():
    lines = [": keep-alive", "event: message", "id: 7", 'data:{"n": 1}', "", ":", "retry: 100", "", 'data: {"n": 2}', ""]
    assert list(iter_chunks(lines)) == [{"n": 1}, {"n": 2}]


def test_a_last_event_without_its_blank_line_is_still_read():
    assert list(iter_chunks([chunk("a"), "", chunk("tail")])) == [
        {"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {"content": "tail"}, "finish_reason": None}]}]


def test_chunks_that_are_not_json_objects_are_skipped():
    lines = ["data: not json", "", "data: [1, 2]", "", 'data: "text"', "", chunk("ok"), ""]
    assert len(list(iter_chunks(lines))) == 1


def test_an_error_event_raises_with_the_servers_message():
    lines = [chunk("a"), "", 'data: {"error": {"message": "model overloaded", "code": 503}}', "", chunk("b"), ""]
    got = iter_chunks(lines)
    next(got)
    with pytest.raises(StreamError) as caught:
        next(got)
    assert caught.value.message == "model overloaded"
    assert caught.value.body == {"message": "model overloaded", "code": 503}


def test_an_error_event_without_a_message_gets_a_general_one():
    with pytest.raises(StreamError, match="error occurred during streaming"):
        list(iter_chunks(['data: {"error": "boom"}', ""]))


def test_an_event_named_error_raises_whatever_its_data_holds_and_only_that_event():
    """``event: error`` (as some gateways send it) with the message at the top level, as plain text, or empty; the
    event name ends with its event and does not make the next one an error."""
    named = ["event: error", 'data: {"message": "quota exceeded", "type": "rate_limit"}', ""]
    with pytest.raises(StreamError) as caught:
        list(iter_chunks([chunk("a"), "", *named, chunk("b"), ""]))
    assert caught.value.message == "quota exceeded"
    with pytest.raises(StreamError, match="^upstream timed out$"):
        list(iter_chunks(["event: error", "data: upstream timed out", ""]))
    with pytest.raises(StreamError, match="^upstream timed out$"):  # a JSON string: its text, not its quotes
        list(iter_chunks(["event: error", 'data: "upstream timed out"', ""]))
    with pytest.raises(StreamError, match="error occurred during streaming"):
        list(iter_chunks(["event: error", "data: {}", ""]))
    with pytest.raises(StreamError, match="^cut$"):  # a last event without its blank line
        list(iter_chunks([chunk("a"), "", "event: error", 'data: {"error": {"message": "cut"}}']))
    # named, not errors; an error event without data is not an event (SSE), and its name does not pass on
    other = ["event: ping", "", "event: error", "", chunk("a"), "", chunk("b"), ""]
    assert [c["choices"][0]["delta"]["content"] for c in iter_chunks(other)] == ["a", "b"]


def test_usage_counts_with_cached_tokens_and_nonsense_as_zero():
    usage = StreamedUsage.from_json({"prompt_tokens": 120, "completion_tokens": 30,
                                     "prompt_tokens_details": {"cached_tokens": 100}})
    assert usage == StreamedUsage(120, 30, 100)
    assert StreamedUsage.from_json({"prompt_tokens": "12", "completion_tokens": -1, "prompt_tokens_details": None}) \
        == StreamedUsage(0, 0, 0)
    assert StreamedUsage.from_json({"prompt_tokens": True}) == StreamedUsage(0, 0, 0)
    assert StreamedUsage.from_json(None) is None


def test_delta_pieces_reads_content_and_either_reasoning_field():
    assert delta_pieces({"delta": {"content": "a", "reasoning_content": "r1"}}) == ("a", "r1")
    assert delta_pieces({"delta": {"reasoning": "r2"}}) == ("", "r2")
    assert delta_pieces({"delta": {"content": None, "reasoning": 5}}) == ("", "")
    assert delta_pieces({"delta": None}) == ("", "")


# ---- through ChatClient, against a real server -----------------------------------------------------------
class RawStreamServer:
    """A loopback server answering each chat request with the next raw stream body of ``bodies`` (the last
    repeats), as text/event-stream with the given line ending."""

    def __init__(self, *bodies: list[str], newline: str = "\n") -> None:
        self.bodies, self.requests = list(bodies), 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # the endpoint check's /models and the /props probe
                self._send(200 if self.path.endswith("/models") else 404, b'{"data": []}', "application/json")

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests += 1
                lines = owner.bodies[min(owner.requests, len(owner.bodies)) - 1]
                self._send(200, "".join(line + newline for line in lines).encode(), "text/event-stream")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> RawStreamServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def client(url: str, **changes) -> ChatClient:
    return ChatClient(Settings(backend="llm", model="m", base_url=url, api_key="sk-test-0000", check_endpoint=False,
                               **{"timeout": 10, "backoff_base": 0.01, "max_attempts": 3, **changes}))


GOOD = [": keep-alive", "", chunk("", role="assistant"), "", chunk(reasoning_content="thinking "), "",
        chunk("Hello "), "", chunk("world.", finish="stop"), "",
        'data: {"choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 4, '
        '"prompt_tokens_details": {"cached_tokens": 32}}}', "", "data: [DONE]", ""]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_stream_gives_its_text_reasoning_finish_and_usage(newline):
    with RawStreamServer(GOOD, newline=newline) as server:
        seen: list[str] = []
        done = client(server.url).complete(MESSAGES, 50, 20, on_delta=seen.append)
    assert (done.text, done.reasoning, done.finish_reason) == ("Hello world.", "thinking ", "stop")
    assert seen == ["Hello ", "world."]
    assert (done.tokens_in, done.tokens_out, done.cached_tokens) == (50, 4, 32)


def test_an_error_event_after_a_200_is_retried_and_counted():
    broken = [chunk("Hel"), "", 'data: {"error": {"message": "upstream model crashed"}}', ""]
    with RawStreamServer(broken, GOOD) as server:
        chat = client(server.url)
        done = chat.complete(MESSAGES, 50, 20)
    assert done.text == "Hello world." and server.requests == 2
    assert chat.usage().requests == 2


def test_an_error_event_every_time_fails_with_the_servers_words():
    broken = [chunk("Hel"), "", 'data: {"error": {"message": "upstream model crashed"}}', ""]
    with RawStreamServer(broken) as server, pytest.raises(BackendError) as caught:
        client(server.url).complete(MESSAGES, 50, 20)
    assert server.requests == 3
    assert "upstream model crashed" in str(caught.value)

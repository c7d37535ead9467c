"""Answers that look like something else (issue #32): a server's refusal of the answer format is learned
once and the format downgraded, whatever the status code; its words are shown. Every test talks to a
real server on loopback that answers as llama-cpp-python's server does."""

from __future__ import annotations

import json

import conftest
from llm_server import LLMServer, make_handler

from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend
from summarizer.llm.client import ChatClient
from summarizer.run.engine import summarize_document

MESSAGES = [{"role": "system", "content": "You summarize."}, {"role": "user", "content": "Section: A\n<section>\nText.\n</section>"}]
SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
#: llama-cpp-python's server answers a response_format it does not know with HTTP 500 and pydantic's words
LLAMA_CPP_PYTHON = ("[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be "
                    "'text' or 'json_object'\", 'input': '%s', 'ctx': {'expected': \"'text' or 'json_object'\"}}]")


class LlamaCppPythonServer(LLMServer):
    """The loopback LLM server, refusing the ``refused`` response_format types with HTTP 500."""

    def __init__(self, refused: tuple[str, ...] = ("json_schema",), **behaviour) -> None:
        super().__init__(**behaviour)
        base = make_handler(self.state)

        class Handler(base):
            def _handle(self, body: dict, b, n: int) -> None:
                kind = (body.get("response_format") or {}).get("type")
                if self.path.endswith("/chat/completions") and kind in refused:
                    self._send(500, {"error": {"message": LLAMA_CPP_PYTHON % kind, "type": "internal_server_error"}})
                    return
                super()._handle(body, b, n)

        self.httpd.RequestHandlerClass = Handler


def formats(server: LLMServer) -> list[dict | None]:
    return [r.body.get("response_format") for r in server.state.chat_requests]


def test_a_format_refused_with_http_500_is_learned_once_and_downgraded():
    with LlamaCppPythonServer() as server:
        client = ChatClient(conftest.llm_settings(server, backoff_base=0.01, max_attempts=5))
        first = client.complete(MESSAGES, 50, 20, schema=SCHEMA)
        second = client.complete(MESSAGES, 50, 20, schema=SCHEMA)
        assert first.format_used == second.format_used == "json_object"
        # one refusal, then JSON mode carrying the schema: not five 500s per call
        assert formats(server) == [{"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}},
                                   {"type": "json_object", "schema": SCHEMA}, {"type": "json_object", "schema": SCHEMA}]
        assert len(client.notices) == 1
        assert "Input should be 'text' or 'json_object'" in client.notices[0] and "HTTP 500" in client.notices[0]


def test_json_mode_refused_too_falls_back_to_json_in_the_prompt():
    with LlamaCppPythonServer(refused=("json_schema", "json_object")) as server:
        client = ChatClient(conftest.llm_settings(server, backoff_base=0.01, max_attempts=5))
        completion = client.complete(MESSAGES, 50, 20, schema=SCHEMA)
        assert completion.format_used == "none"
        assert [f and f["type"] for f in formats(server)] == ["json_schema", "json_object", None]


def test_a_run_against_llama_cpp_python_summarizes_every_section_and_says_why():
    with LlamaCppPythonServer() as server:
        settings = conftest.llm_settings(server, backoff_base=0.01, use_cache=False, group_below=0, whole_paper_below=0,
                                         workers=1)  # one at a time: calls in flight together are each refused once
        body = "\n\n".join(f"## {i} Part {i}\nPart {i} of the study measures retrieval quality on corpus {i}. "
                           f"It reports what was found in part {i}." for i in range(1, 4))
        result = summarize_document(parse_text(f"# A study\n\n{body}"), settings,
                                    backend=LLMBackend(settings, client=ChatClient(settings)))
        assert not result.failed and not result.overview_error
        assert sum(1 for f in formats(server) if f and f["type"] == "json_schema") == 1
        assert any("Input should be 'text' or 'json_object'" in n for n in result.notices)


def test_a_plain_server_error_is_still_retried_not_taken_for_a_refusal():
    with LLMServer(error_500_first=1) as server:
        client = ChatClient(conftest.llm_settings(server, backoff_base=0.01, max_attempts=5))
        completion = client.complete(MESSAGES, 50, 20, schema=SCHEMA)
        assert completion.format_used == "json_schema" and completion.attempts == 2
        assert client.notices == []


def test_a_server_error_that_persists_names_the_servers_words():
    with LLMServer(error_500_first=100) as server:
        client = ChatClient(conftest.llm_settings(server, backoff_base=0.01, max_attempts=2))
        try:
            client.complete(MESSAGES, 50, 20, schema=SCHEMA)
        except Exception as exc:  # noqa: BLE001 - the message is what is checked
            message = str(exc)
        assert "HTTP 500" in message and "internal error" in message


# ---- a cut answer is a cut answer, not a smaller context window ----------------------------------
def _paper(sections: int) -> str:
    body = "\n\n".join(f"## {i} Part {i}\nPart {i} of the study measures retrieval quality on corpus {i}. "
                       f"It reports what was found in part {i}." for i in range(1, sections + 1))
    return f"# A study\n\n{body}"


class NoUsageServer(LLMServer):
    """The loopback LLM server streaming without usage (as servers that ignore ``stream_options`` do)."""

    def __init__(self, **behaviour) -> None:
        super().__init__(**behaviour)
        base = make_handler(self.state)

        class Handler(base):
            def _stream(self, body: dict, text: str, finish: str, usage: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for delta, end in (({"role": "assistant", "content": text}, None), ({}, finish)):
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                             "choices": [{"index": 0, "delta": delta, "finish_reason": end}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.httpd.RequestHandlerClass = Handler


def test_an_answer_cut_at_max_tokens_is_re_asked_and_leaves_the_window_alone():
    # no usage in the stream: the cut answer's tokens are our estimate of its text, far below max_tokens
    # (the server's tokenizer, a reasoning model's hidden tokens), which was read as a server shortening
    # max_tokens, that is a context window of a few hundred tokens
    with NoUsageServer(length_first=1) as server:
        settings = conftest.llm_settings(server, backoff_base=0.01, use_cache=False, group_below=0, whole_paper_below=0,
                                         workers=1, context_window=8192)
        backend = LLMBackend(settings, client=ChatClient(settings))
        result = summarize_document(parse_text(_paper(3)), settings, backend=backend)
        assert backend.context_window == 8192
        assert not result.failed and not result.overview_error
        first, again = server.state.chat_requests[:2]
        assert again.body["max_tokens"] >= first.body["max_tokens"]  # re-asked with at least the room it had
        assert len(again.body["messages"][-1]["content"]) > len(first.body["messages"][-1]["content"])  # and terser


def test_an_answer_cut_twice_says_so_and_names_no_context_window():
    with NoUsageServer(length_always=True) as server:
        settings = conftest.llm_settings(server, backoff_base=0.01, use_cache=False, group_below=0,
                                         whole_paper_below=0, workers=1, context_window=8192)
        backend = LLMBackend(settings, client=ChatClient(settings))
        result = summarize_document(parse_text(_paper(1)), settings, backend=backend)
        assert backend.context_window == 8192
        failed = [s for s in result.sections if s.status == "failed"]
        assert failed and all("cut off" in s.error and "context window ran out" not in s.error for s in failed)

"""llama.cpp servers as they really misbehave, played by loopback stand-ins (issue #32).

* llama-cpp-python's server (its defaults): a new request ends the stream in flight (``[DONE]`` after
  the role chunk, no finish reason), and a prompt past its window is answered with an empty 200 (no
  event at all; its log says "Requested tokens (2186) exceed context window of 2048"). Its ``/models``
  entries are ``owned_by: me`` and its ``/openapi.json`` is titled "🦙 llama.cpp Python API".
* A loopback llama.cpp server of ours that crashes (a fault in its AMX kernels on some VMs).

Each stand-in is a real HTTP server on 127.0.0.1 (``llm_server``'s handler, with these behaviours).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from llm_server import LLMServer, make_handler, rough_tokens

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.llm.client import ChatClient
from summarizer.model.errors import EndpointUnavailable
from summarizer.run.engine import summarize_document

TITLE = "🦙 llama.cpp Python API"


class LlamaCppPython(LLMServer):
    """A stand-in for ``python -m llama_cpp.server`` with its defaults: one model computing one answer at a
    time, ``interrupt_requests`` on, and an empty 200 for a prompt past ``n_ctx`` (in cl100k tokens here).
    ``signature=False`` leaves out what names it (``owned_by: me``, the OpenAPI title): a server of that
    kind that the client cannot recognise, so only the cut streams tell."""

    def __init__(self, n_ctx: int = 1_000_000, signature: bool = True, **behaviour) -> None:
        super().__init__(**behaviour)
        self.n_ctx, self.signature = n_ctx, signature
        self.model = threading.Lock()  # the one llama.cpp context
        self.waiting = 0  # requests waiting for it (llama-cpp-python's llama_outer_lock is then held)
        self.cut = 0  # streams ended for a newer request
        self.empty = 0  # empty answers to prompts past n_ctx
        self.httpd.RequestHandlerClass = self._handler()

    def _handler(self):
        stand_in = self
        base = make_handler(self.state)

        class Handler(base):
            def do_GET(self) -> None:
                path = self.path.rstrip("/")
                if path.endswith("/models"):
                    owner = {"owned_by": "me"} if stand_in.signature else {}
                    self._send(200, {"object": "list", "data": [{"id": "model.gguf", "object": "model", **owner}]})
                elif path == "/openapi.json" and stand_in.signature:
                    self._send(200, {"openapi": "3.1.0", "info": {"title": TITLE, "version": "0.3.36"}, "paths": {}})
                else:
                    self._send(404, {"detail": "Not Found"})

            def _handle(self, body: dict, b, n: int) -> None:
                if rough_tokens(body.get("messages", [])) >= stand_in.n_ctx:
                    with stand_in.model:
                        stand_in.empty += 1
                    self._events([])  # the ValueError is raised after the 200 went out: no event at all
                    return
                super()._handle(body, b, n)

            def _stream(self, body: dict, text: str, finish: str, usage: dict) -> None:
                with stand_in.state.lock:
                    stand_in.waiting += 1
                with stand_in.model:
                    with stand_in.state.lock:
                        stand_in.waiting -= 1
                    role = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                            "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
                    self._events([role], done=False)
                    pieces = [text[i:i + 24] for i in range(0, len(text), 24)]
                    for piece in pieces:
                        time.sleep(0.03)  # a token's time: requests sent together arrive meanwhile
                        with stand_in.state.lock:
                            interrupted = stand_in.waiting > 0
                        if interrupted:  # interrupt_requests: the newer request takes the model
                            with stand_in.state.lock:
                                stand_in.cut += 1
                            self._events([])
                            return
                        self._events([{**role, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}],
                                     done=False)
                    last = {**role, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], "usage": usage}
                    self._events([last])

            def _events(self, events: list[dict], done: bool = True) -> None:
                if not getattr(self, "_started", False):
                    self._started = True
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                for event in events:
                    self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                if done:
                    if events:
                        self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    self.close_connection = True

        return Handler


PAPER = ("# Tidal Energy Storage\n\n## Abstract\nWe store tidal energy in compressed air caverns and recover 71 percent "
         "of it over a day.\n\n## 1 Introduction\nTidal power is regular but peaks at night. Storage moves it to the "
         "evening demand peak.\n\n## 2 Method\nAir is compressed into a salt cavern at 70 bar and released through a "
         "turbine. Heat from compression is kept in a gravel bed.\n\n## 3 Results\nOver 40 days the round trip efficiency "
         "was 71 percent. Losses were mostly heat leaking from the gravel bed.\n\n## 4 Discussion\nLarger caverns lose "
         "less heat per unit stored. A second site is planned for 2027.")


def _settings(server, **changes) -> Settings:
    values = {"backend": "llm", "base_url": server.base_url, "model": "model.gguf", "api_key": "", "workers": 4,
              "use_cache": False, "backoff_base": 0.01, "backoff_cap": 0.05, "group_below": 0, **changes}
    return Settings(**values)


def test_a_server_that_ends_a_stream_for_each_new_request_is_served_one_at_a_time_and_the_run_says_so():
    """Sent four at a time, every stream but the last came back empty (cut for the next request) and each
    section failed its answer checks, the server's time wasted. The cut streams (no finish reason while
    other calls were in flight) tell: from then on one request at a time, the cut ones sent again, and the
    run's notices say why. (No /props, no signature: only the streams tell here.)"""
    with LlamaCppPython(signature=False) as server:
        result = summarize_document(parse_text(PAPER), _settings(server))
        assert server.cut >= 1  # it did cut streams: several were in flight at first
        assert [r.status for r in result.sections] == ["done"] * len(result.sections), \
            [(r.title, r.status, r.error) for r in result.sections]
        said = [n for n in result.notices if "one request at a time" in n]
        assert said and "instead of 4" in said[0], result.notices
        cuts = server.cut
        assert cuts <= 4  # once learned, nothing more was cut


def test_llama_cpp_python_is_recognised_before_the_first_request_and_nothing_is_cut():
    """llama-cpp-python's server has no /props; its /models (owned_by: me) and its OpenAPI title name it,
    so the run is one request at a time from the start: no stream is cut, no server time wasted."""
    with LlamaCppPython() as server:
        result = summarize_document(parse_text(PAPER), _settings(server))
        assert server.cut == 0 and server.state.peak == 1
        assert all(r.status == "done" for r in result.sections)
        assert any("llama-cpp-python" in n and "one request at a time" in n for n in result.notices), result.notices


def test_json_mode_on_llama_cpp_python_holds_answers_to_a_bounded_schema_and_names_no_fields():
    """llama-cpp-python refuses json_schema (HTTP 500) and builds a grammar from the schema JSON mode carries:
    the prompt then names no fields (SmolLM2 wrote their descriptions as its summary: 2 of 5 sections sound,
    3 of 5 once they were left out) and the schema's strings are bounded (a grammar holds keys, not length:
    unbounded, the model wrote one field until the output limit, cut twice)."""
    with LlamaCppPython() as server:
        base = server.httpd.RequestHandlerClass

        class RefusesJsonSchema(base):
            def _handle(self, body: dict, b, n: int) -> None:
                if (body.get("response_format") or {}).get("type") == "json_schema":
                    self._send(500, {"error": {"message": "Input should be 'text' or 'json_object'"}})
                    return
                super()._handle(body, b, n)

        server.httpd.RequestHandlerClass = RefusesJsonSchema
        result = summarize_document(parse_text(PAPER), _settings(server))
        asked = [r.body for r in server.state.chat_requests if (r.body.get("response_format") or {}).get("type")]
        json_mode = [body for body in asked if body["response_format"]["type"] == "json_object"]
        assert json_mode and len(json_mode) == len(asked) - 1  # one refusal, learned
        for body in json_mode:
            assert "Answer fields:" not in body["messages"][-1]["content"]
            strings = [p for p in body["response_format"]["schema"]["properties"].values() if p.get("type") == "string"]
            assert strings and all(p.get("maxLength") for p in strings), body["response_format"]
        assert all(r.status == "done" for r in result.sections) and not result.overview_error


def test_a_llama_cpp_single_slot_props_is_said_in_the_notices():
    """llama.cpp's own server says total_slots 1 in /props: one request at a time, and the run says so."""
    with LLMServer(slots=1) as server:
        result = summarize_document(parse_text(PAPER), _settings(server, model="test-model"))
        assert server.state.peak == 1
        assert any("total_slots is 1" in n for n in result.notices), result.notices


LONG = "# Ocean Heat\n\n## Abstract\nWe measure ocean heat uptake.\n\n## 2 Observations\n" + "\n\n".join(
    f"Float {i} recorded a warming of {i % 7 + 1} tenths of a degree at a depth of {100 + i * 10} metres over "
    f"the {i % 12 + 1}th month of the survey, while the salinity near buoy {i} stayed within {i % 5} units of the "
    f"seasonal mean measured by the ship crews in the previous decade." for i in range(60))


def _section(result, title: str):
    return next(r for r in result.sections if r.title.endswith(title))


def test_an_empty_answer_from_llama_cpp_python_is_a_context_overflow_and_the_section_is_re_split():
    """llama-cpp-python answers a prompt past its window (2048 here) with an empty 200. The model's name says
    a window of 128k, so the whole section went out in one request; the empty answer is an overflow, not
    "check the base URL": the window is lowered and the section summarized in parts, then merged."""
    with LlamaCppPython(n_ctx=2048) as server:
        result = summarize_document(parse_text(LONG), _settings(server, model="gpt-4o-mini"))
        observations = _section(result, "Observations")
        assert server.empty >= 1
        assert observations.status == "done", (observations.status, observations.error)
        assert observations.parts >= 2 and "base URL" not in observations.error
        assert all(r.status == "done" for r in result.sections)


def test_an_empty_answer_to_a_prompt_near_the_known_window_is_an_overflow_on_any_server():
    """Any server: the window is known (4096, set), the prompt about 3,000 tokens, the answer empty: an
    overflow, re-split, not a broken endpoint."""
    with LlamaCppPython(n_ctx=2048, signature=False) as server:
        result = summarize_document(parse_text(LONG), _settings(server, model="test-model", context_window=4096, workers=1))
        observations = _section(result, "Observations")
        assert server.empty >= 1
        assert observations.status == "done" and observations.parts >= 2, (observations.status, observations.error)


def test_an_empty_answer_to_a_short_prompt_still_names_the_base_url():
    """An empty answer to a small prompt is not an overflow: the endpoint is not what it seems."""
    from summarizer.model.errors import BackendError

    with LlamaCppPython(n_ctx=5, signature=False) as server:  # "hello" is past it: an empty answer
        client = ChatClient(_settings(server, model="test-model", workers=1), max_attempts=1)
        with pytest.raises(BackendError, match="base URL"):
            client.complete([{"role": "user", "content": "hello"}], 20, prompt_tokens=12, window=4096)


CRASHING = r"""
import json, os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        data = json.dumps({"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "me"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.flush()
        print("ggml_compute_forward: AMX tile kernel for q4_1", flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)

print("llama_model_loader: loaded meta data", flush=True)
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_a_crashed_local_server_is_reported_as_a_crash_with_its_signal_and_log(tmp_path, monkeypatch):
    """Our loopback llama.cpp server faults on its first evaluation (AMX kernels on a VM that does not allow
    them). The run says it crashed, with the signal and the end of its log, at once (no retries against a
    dead port, no "could not connect"), and the next start has llama.cpp's extra buffer types off."""
    from summarizer.llm import local_model

    monkeypatch.delenv(local_model.EXTRA_BUFTS_VARIABLE, raising=False)
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    server = local_model.LocalServer(model, 2048, 1, port=local_model._free_port())
    assert server.extra_bufts
    server.log_path = tmp_path / "llama-server.log"
    with server.log_path.open("wb") as out:
        server.process = subprocess.Popen([sys.executable, "-c", CRASHING, str(server.port)], stdout=out,
                                          stderr=subprocess.STDOUT)
    key = (str(model), 2048, 1)
    monkeypatch.setitem(local_model._servers, key, server)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # listening (its log says "loaded" a moment before it binds)
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        settings = Settings(backend="llm", model_path=str(model), base_url=server.base_url, model="m", api_key="",
                            workers=1, backoff_base=0.2, backoff_cap=0.5)
        client = ChatClient(settings)
        started = time.monotonic()
        with pytest.raises(EndpointUnavailable) as caught:
            client.complete([{"role": "user", "content": "hello"}], 20, prompt_tokens=12)
        message = str(caught.value)
        assert "crashed" in message and "SIGSEGV" in message, message
        assert "AMX tile kernel" in message and "Could not connect" not in message
        assert time.monotonic() - started < 5  # no retries against a dead port
        assert not server.extra_bufts  # started again, it keeps to the AVX kernels
    finally:
        if server.process.poll() is None:
            server.process.kill()


DIES_AT_LOAD = r"""
import os, signal
print("llama_model_load: AMX tile kernel for q4_1", flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
"""


def test_a_local_server_gone_before_the_first_call_is_reported_as_a_crash(tmp_path):
    """Our local server dies before the run's first request: the endpoint check finds nothing listening,
    and the run says the server crashed (signal and log), not "could not connect" to a URL the user never typed."""
    from summarizer.llm import local_model

    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    server = local_model.LocalServer(model, 2048, 1, port=local_model._free_port())
    server.log_path = tmp_path / "llama-server.log"
    with server.log_path.open("wb") as out:
        server.process = subprocess.Popen([sys.executable, "-c", DIES_AT_LOAD], stdout=out, stderr=subprocess.STDOUT)
    server.process.wait(20)
    key = (str(model), 2048, 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(local_model._servers, key, server)
        settings = Settings(backend="llm", model_path=str(model), base_url=server.base_url, model="m", api_key="",
                            workers=1)
        with pytest.raises(EndpointUnavailable) as caught:
            ChatClient(settings).complete([{"role": "user", "content": "hello"}], 20, prompt_tokens=12)
    message = str(caught.value)
    assert "crashed" in message and "SIGSEGV" in message and "Could not connect" not in message, message


def test_the_local_server_is_started_without_extra_buffer_types_when_asked(monkeypatch):
    """SUMMARIZER_LLAMA_EXTRA_BUFTS=0: the server is started with --no_extra_bufts, which loads the model
    with llama.cpp's use_extra_bufts off (checked in a fresh interpreter, llama-cpp-python's own defaults)."""
    from summarizer.llm.local_model import EXTRA_BUFTS_VARIABLE, LocalServer, llama_cpp_available

    monkeypatch.setenv(EXTRA_BUFTS_VARIABLE, "0")
    assert not LocalServer(Path("x.gguf")).extra_bufts
    monkeypatch.setenv(EXTRA_BUFTS_VARIABLE, "1")
    assert LocalServer(Path("x.gguf")).extra_bufts
    if not llama_cpp_available():
        pytest.skip("llama-cpp-python is not installed (requirements-local.txt)")
    code = ("import llama_cpp.llama_cpp as lib; from summarizer.llm.local_server import without_extra_bufts; "
            "before = lib.llama_model_default_params().use_extra_bufts; without_extra_bufts(); "
            "print(before, lib.llama_model_default_params().use_extra_bufts)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.split() == ["True", "False"], out.stderr[-500:]


def test_a_list_item_that_talks_about_our_word_limits_is_an_echo():
    """SmolLM2 through llama-cpp-python's server, asked for a whole paper, wrote key points such as
    "1: at most 108 words; 2: method, main results" (the request's own instruction) and the section was
    marked done: a list item that talks about word limits, unless the text does, is an echo."""
    from summarizer.llm.answer_checks import AnswerContext, echoed_item

    ctx = AnswerContext(["Summarize the section."], "Streets near large parks were 1.8 degrees cooler.", 60)
    assert echoed_item({"key_points": ["1: at most 108 words; 2: method, main results"]}, ctx) == "key_points"
    assert echoed_item({"key_points": ["Streets near large parks were cooler."]}, ctx) == ""

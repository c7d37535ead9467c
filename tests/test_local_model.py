"""The local model's edges that need no model run: bad model files, the request adapter."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from summarizer.llm.local_server import rewrite_response_format


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "summarizer", "summarize", "README.md", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_bad_model_files_get_one_clear_line(tmp_path):
    for args, said in [(("--backend", "local"), "needs a model file"),
                       (("--backend", "local", "--model-path", str(tmp_path / "none.gguf")), "no model file"),
                       (("--backend", "local", "--model-path", "README.md"), "not a GGUF model file")]:
        proc = _cli(*args)
        assert proc.returncode == 2 and said in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_json_schema_reaches_llama_cpp_python_in_its_own_form():
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
    body = {"messages": [], "stream": True, "stream_options": {"include_usage": True},
            "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": schema, "strict": True}}}
    out = rewrite_response_format(body)
    assert out["response_format"] == {"type": "json_object", "schema": schema}
    assert "stream_options" not in out and out["stream"] is True
    plain = {"messages": [], "response_format": {"type": "json_object"}}
    assert rewrite_response_format(plain)["response_format"] == {"type": "json_object"}


def test_a_local_server_that_died_mid_run_is_named_not_taken_for_a_network_problem(tmp_path, monkeypatch):
    """llama.cpp's server can exit mid-run (a refused grammar aborts it): the section's reason names the
    stopped server, the line of its log that says why, and where the log is — not "check your network"."""
    import socket

    import pytest

    from summarizer.config.settings import Settings
    from summarizer.llm import local_model
    from summarizer.llm.client import ChatClient
    from summarizer.model.errors import SummarizerError

    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    log = tmp_path / "llama-server.log"
    log.write_text("loading model\nparse: error parsing grammar: number of rules exceeds sane defaults\nroot ::= x\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    server = local_model.LocalServer(gguf, 2048, 1, port=port, process=dead, log_path=log)
    monkeypatch.setitem(local_model._servers, (str(gguf), 2048, 1), server)
    settings = Settings(backend="llm", model_path=str(gguf), base_url=server.base_url, model="tiny",
                        check_endpoint=False, max_attempts=1, backoff_base=0.01)
    with pytest.raises(SummarizerError) as caught:
        ChatClient(settings).complete([{"role": "user", "content": "hello"}], 8)
    said = str(caught.value)
    assert "local model server stopped" in said and "error parsing grammar" in said and str(log) in said
    assert "proxy" not in said

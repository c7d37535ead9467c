"""The local model's edges that need no model run: bad model files, the request adapter."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from summarizer.local_server import rewrite_response_format


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

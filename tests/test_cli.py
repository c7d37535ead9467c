"""The CLI as a user runs it: a subprocess, real files, exit codes, stdout/stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT


def run_cli(*args, stdin: bytes | None = None, env: dict | None = None, cwd=None):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], input=stdin, capture_output=True,
                          env=full_env, cwd=cwd or ROOT, timeout=120)


def test_summarize_pdf_to_file(tmp_path, paper_pdf):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(paper_pdf)
    out = tmp_path / "paper.summary.md"
    proc = run_cli("summarize", str(pdf), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    md = out.read_text()
    assert md.startswith("# Sparrow: Fast Retrieval for Long Documents\n")
    assert "## Overall summary" in md and "## 3 Experiments" in md and "### 2.1 Index construction" in md
    assert "extractive (built-in, offline)" in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()


def test_sections_json_schema(tmp_path, paper_pdf):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(paper_pdf)
    proc = run_cli("sections", str(pdf), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["title"] == "Sparrow: Fast Retrieval for Long Documents"
    first = data["sections"][0]
    assert {"title", "level", "kind", "page_start", "page_end", "text", "blocks"} <= set(first)
    assert first["kind"] == "abstract" and first["page_start"] == 1
    assert data["sections"][-1]["kind"] == "references"


def test_summarize_stdin_json(tmp_path):
    text = "Council passes budget\n\nThe council approved a $3.5 million budget on Monday.\n\nThe vote was 7-2."
    proc = run_cli("summarize", "-", "--json", stdin=text.encode())
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {"title", "backend", "summary", "markdown", "sections"}
    assert data["backend"].startswith("extractive")
    assert data["sections"][0]["status"] == "done"
    assert "$3.5 million" in data["summary"]


def test_bad_input_one_line_exit_2(tmp_path):
    bad = tmp_path / "random.pdf"
    bad.write_bytes(os.urandom(4096))
    for args in (["summarize", str(bad)], ["summarize", str(tmp_path / "missing.pdf")], ["sections", str(tmp_path)]):
        proc = run_cli(*args)
        err = proc.stderr.decode().strip()
        assert proc.returncode == 2, err
        assert len(err.splitlines()) == 1 and err.startswith("error: ")
        assert "Traceback" not in err
    empty = run_cli("summarize", "-", stdin=b"   ")
    assert empty.returncode == 2 and "empty" in empty.stderr.decode()


def test_failed_sections_exit_3(tmp_path, llm_server):
    llm_server.state.reset(fail_when="POISON")
    md = tmp_path / "doc.md"
    md.write_text("# T\n\n## Introduction\nFine text.\n\n## Method\nPOISON here.")
    proc = run_cli("summarize", str(md), "--backend", "llm", "--base-url", llm_server.base_url, "--model", "m",
                   "--json", "--max-attempts", "2", "--backoff-base", "0", "--whole-paper-below", "0",
                   env={"OPENAI_API_KEY": "sk-cli-test"})  # each section its own request: the poisoned one fails alone
    assert proc.returncode == 3, proc.stderr
    poisoned = [r for r in llm_server.state.chat_requests if "POISON" in r.body["messages"][-1]["content"]]
    assert len(poisoned) == 2  # --max-attempts reached the client: two tries, no production backoff
    data = json.loads(proc.stdout)
    assert [s["status"] for s in data["sections"]] == ["done", "failed"]
    assert data["usage"]["requests"] >= 2
    assert all({"tokens_in", "tokens_out", "cached", "attempts"} <= set(s) for s in data["sections"])


def test_bad_base_url_is_a_clear_message():
    proc = run_cli("summarize", "-", "--backend", "llm", "--base-url", "not a url", stdin=b"Some text to summarize.")
    assert proc.returncode == 2
    assert "is not a web address" in proc.stderr.decode()

"""Exit codes tell the truth: a run whose overall summary failed exits 3, with the reason on stderr
and in ``--json`` (real CLI subprocess, stand-in server on loopback)."""

from __future__ import annotations

import json

from test_cli import run_cli

PAPER = ("# A study of retrieval\n\n## Abstract\nWe study retrieval on two corpora.\n\n"
         "## 1 Method\nThe method builds an index of 12 shards.\n\n## 2 Results\nRecall rose on both corpora.")


def test_a_failed_overall_summary_exits_3_with_the_reason(tmp_path, llm_server):
    llm_server.state.reset(fail_when="<summaries>", fail_status=400)  # only the synthesis call fails
    md = tmp_path / "paper.md"
    md.write_text(PAPER)
    # each section asked on its own, then the overall summary in a request of its own (not with a short paper's)
    proc = run_cli("summarize", str(md), "--backend", "llm", "--base-url", llm_server.base_url, "--model", "m",
                   "--json", "--no-cache", "--whole-paper-below", "0", env={"OPENAI_API_KEY": "sk-cli-test"})
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    data = json.loads(proc.stdout)
    assert all(s["status"] in ("done", "unstructured") for s in data["sections"]), \
        [(s["title"], s["status"], s["error"]) for s in data["sections"]]
    assert "rejected the request (HTTP 400)" in data["overview_error"]
    assert "no overall summary" in err and "HTTP 400" in err
    assert "Traceback" not in err


def test_an_unreachable_endpoint_is_said_once(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text(PAPER)
    proc = run_cli("summarize", str(md), "--backend", "llm", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                   "--no-cache", env={"OPENAI_API_KEY": "sk-cli-test"})
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert err.count("Could not connect") == 1, err
    assert "Traceback" not in err

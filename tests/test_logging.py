"""Logs an operator can read: per-call lines, -v/--log-file, tracebacks for unexpected errors, never the key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from conftest import ROOT

SECRET = "sk-log-test-7f3a9c2e1b"
DOC_SENTENCE = "The lighthouse keeper counted forty-one herons at dawn."


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger("summarizer")
    before = (list(root.handlers), root.level, root.propagate)
    yield
    from summarizer.config.logs import _remove_ours

    _remove_ours()
    root.handlers[:], root.level, root.propagate = before


def _cli(args, tmp_path, **env):
    full = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_HOME": str(tmp_path / "home"), **env}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], capture_output=True, text=True, cwd=tmp_path,
                          env=full, timeout=300)


def test_cli_log_file_has_one_line_per_call_and_never_the_key_or_text(tmp_path, llm_server):
    (tmp_path / "paper.md").write_text(f"# Herons\n\n## Introduction\n{DOC_SENTENCE}\n\n## Method\nWe counted birds.\n")
    log = tmp_path / "run.log"
    llm_server.state.reset(error_500_first=1)
    out = _cli(["summarize", "paper.md", "--backend", "llm", "--base-url", llm_server.base_url, "--model", "test-model",
                "--backoff-base", "0", "--whole-paper-below", "0", "--log-file", str(log), "-q"], tmp_path,
               OPENAI_API_KEY=SECRET)  # a request per section and one for the overall summary: several calls
    assert out.returncode == 0, out.stderr
    text = log.read_text(encoding="utf-8")
    host = llm_server.base_url.split("//")[1].split("/")[0]
    ok_lines = [line for line in text.splitlines() if " ok: model=test-model host=" + host in line]
    assert len(ok_lines) >= 2  # one per section call at least
    assert all("status=200" in line and "tokens_in=" in line and "tokens_out=" in line for line in ok_lines)
    assert any("WARNING" in line and "status=500" in line for line in text.splitlines())  # the failed attempt
    call_ids = {line.split("call ")[1].split()[0] for line in ok_lines}
    assert len(call_ids) == len(ok_lines)  # a request id per call
    assert SECRET not in text and SECRET not in out.stderr + out.stdout
    assert DOC_SENTENCE not in text  # document text stays out of the log at INFO


def test_verbose_logs_to_stderr_and_quiet_by_default(tmp_path):
    (tmp_path / "note.txt").write_text("A note\n\nThe committee met on Tuesday and agreed on three changes to the plan.")
    quiet = _cli(["summarize", "note.txt", "-q"], tmp_path, SUMMARIZER_HOME=str(tmp_path / "nohome"))
    assert quiet.returncode == 0 and quiet.stderr == ""
    verbose = _cli(["-v", "summarize", "note.txt", "-q"], tmp_path)
    assert verbose.returncode == 0
    assert " INFO " in verbose.stderr and "summarizer." in verbose.stderr  # logger names say which module spoke


def test_unexpected_error_is_one_line_for_the_user_and_a_traceback_in_the_log(tmp_path, monkeypatch, capsys):
    import summarizer.run.engine
    from summarizer.cli.main import main

    def broken(*args, **kwargs):
        raise RuntimeError("boom in the engine")

    monkeypatch.setattr(summarizer.run.engine, "summarize_document", broken)
    (tmp_path / "note.txt").write_text("A note\n\nThe committee met on Tuesday and agreed on three changes.")
    log = tmp_path / "cli.log"
    code = main(["summarize", str(tmp_path / "note.txt"), "--log-file", str(log), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines() == [f"error: Unexpected error (RuntimeError); the traceback is in {log}."]
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "boom in the engine" in text and "ERROR" in text


def test_app_log_file_in_the_data_folder_gets_tracebacks(app_home):
    from summarizer.config.logs import app_log_path, configure_app

    path = configure_app()
    assert path == app_log_path() and path.is_relative_to(app_home)
    assert configure_app() == path  # idempotent: one handler per process
    assert sum(getattr(h, "baseFilename", None) == str(path) for h in logging.getLogger("summarizer").handlers) == 1
    try:
        raise ValueError("bad upload")
    except ValueError:
        logging.getLogger("summarizer.app").exception("reading the upload x.pdf failed")
    logging.getLogger("summarizer.llm.client").info("request with key %s", SECRET)
    text = path.read_text()
    assert "Traceback" in text and "ValueError: bad upload" in text
    assert SECRET not in text and "request with key ***" in text


def test_keys_of_any_shape_are_masked_once_registered(tmp_path):
    from summarizer.config.logs import add_secret, configure_cli

    log = tmp_path / "x.log"
    configure_cli(1, log)
    add_secret("qwen-7d1e99ab55")  # not sk-shaped
    logging.getLogger("summarizer.test").info("auth header Bearer abcdef123456 and key qwen-7d1e99ab55")
    text = log.read_text()
    assert "abcdef123456" not in text and "qwen-7d1e99ab55" not in text and text.count("***") == 2

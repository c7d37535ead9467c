"""Stdout of the CLI carries only its document: ``--json`` prints one JSON object and ``-o -`` the Markdown,
even on a PDF that MuPDF complains about (its messages go to the log), and whatever C code or a child
process writes meanwhile goes to stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from pdf_factory import make_paper, with_screen_annotations

#: What MuPDF says on every page of a PDF with a Screen annotation (pdf_factory.with_screen_annotations).
COMPLAINT = "cannot create appearance stream for Screen annotations"


def _cli(*args: str, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture
def screen_pdf(tmp_path):
    path = tmp_path / "chapter.pdf"
    path.write_bytes(with_screen_annotations(make_paper()))
    return path


def test_sections_json_on_a_pdf_mupdf_complains_about_is_json_and_the_complaint_is_logged(tmp_path, screen_pdf):
    log = tmp_path / "run.log"
    proc = _cli("sections", str(screen_pdf), "--json", "--log-file", str(log), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # nothing before or after the object
    assert data["title"] == "Sparrow: Fast Retrieval for Long Documents"
    assert COMPLAINT in log.read_text(encoding="utf-8")  # MuPDF's message is in the log
    assert COMPLAINT not in proc.stderr  # … and not on the terminal without -v


def test_summarize_json_and_markdown_to_stdout_carry_only_the_document(tmp_path, screen_pdf):
    as_json = _cli("summarize", str(screen_pdf), "--json", "--no-history", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    markdown = json.loads(as_json.stdout)["markdown"]
    assert markdown.startswith("# Sparrow: Fast Retrieval for Long Documents\n")

    to_stdout = _cli("summarize", str(screen_pdf), "-o", "-", "--no-history", cwd=tmp_path)
    assert to_stdout.returncode == 0, to_stdout.stderr
    minute = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")  # the two runs may straddle a minute
    assert minute.search(markdown) and minute.sub("", to_stdout.stdout) == minute.sub("", markdown)
    assert not (tmp_path / "-").exists()  # '-' is standard output, not a file of that name
    assert "Done with backend extractive" in to_stdout.stderr


def test_json_and_markdown_both_on_stdout_is_refused(tmp_path, screen_pdf):
    proc = _cli("summarize", str(screen_pdf), "--json", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "error: --json and -o - both print on standard output: choose one."


def test_what_c_code_writes_on_stdout_while_reading_goes_to_stderr(tmp_path, monkeypatch, capfd):
    """A write on file descriptor 1 during the work (as a C library or a child process would make) does not
    end up before the JSON."""
    import summarizer.cli.main as cli

    read = cli.read_input

    def noisy_read(*args, **kwargs):
        os.write(1, b"C library noise\n")
        print("a stray print")
        return read(*args, **kwargs)

    monkeypatch.setattr(cli, "read_input", noisy_read)
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(make_paper())
    assert cli.main(["sections", str(paper), "--json"]) == 0
    out, err = capfd.readouterr()
    assert json.loads(out)["title"] == "Sparrow: Fast Retrieval for Long Documents"
    assert "C library noise" in err and "a stray print" in err

"""Package-level promises: a light import, the CLI's prompt commands, bundled files found from anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT


def test_import_summarizer_stays_light():
    code = ("import sys, summarizer; heavy = {'fitz', 'pymupdf', 'spacy', 'openai', 'tiktoken', 'streamlit', 'numpy', "
            "'diskcache', 'trafilatura', 'torch'}; print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


def test_cli_prompt_commands(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "summarizer", "prompts", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path)

    listed = cli("list")
    assert listed.returncode == 0 and "method" in listed.stdout and "synthesis" in listed.stdout
    shown = cli("show", "news")
    assert json.loads(shown.stdout)["name"] == "news"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "ok.json5").write_text('// fine\n{name: "ok", user: "Summarize {section_text}"}')
    (tmp_path / "mine" / "bad.json5").write_text('{name: "bad", user: "{oops}"}')
    checked = cli("check", "mine")
    assert checked.returncode == 2
    assert "bad.json5: unknown variable {oops}" in checked.stdout and "1 of 2 prompt file(s) valid." in checked.stdout
    missing = cli("show", "nope")
    assert missing.returncode == 2 and missing.stderr.strip() == "error: There is no prompt named 'nope'."


def test_bundled_files_found_from_another_directory(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_HOME": str(tmp_path / "home")}
    code = ("from summarizer.prompts import load_prompts; from summarizer.tokens import get_tokenizer; "
            "print(len(load_prompts().prompts), get_tokenizer().exact)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    bundled = len(list((ROOT / "prompts").glob("*.json5")))
    assert bundled >= 14 and out.stdout.split() == [str(bundled), "True"], out.stderr

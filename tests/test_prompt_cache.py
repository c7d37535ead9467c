"""Prompt files are parsed once per change, across processes: a cached re-run must not pay the
pure-Python JSON5 parser again for files that did not change."""

from __future__ import annotations

import sys

from summarizer.llm import prompts


def test_unchanged_prompt_files_load_without_the_json5_parser(monkeypatch):
    prompts._parsed.clear()  # as in a new process
    first = prompts.load_prompts()
    prompts._parsed.clear()
    monkeypatch.setitem(sys.modules, "json5", None)  # `import json5` now fails: only the remembered parse can serve
    again = prompts.load_prompts()
    assert sorted(again.prompts) == sorted(first.prompts) and not again.errors
    assert again.get("synthesis").fields == first.get("synthesis").fields


def test_an_invalid_prompt_is_never_remembered(tmp_path):
    bad = tmp_path / "bad.json5"
    bad.write_text("{name: 'bad', user: 'x' ", encoding="utf-8")
    for _ in range(2):
        prompts._parsed.clear()
        assert any("bad.json5" in e for e in prompts.load_prompts(tmp_path).errors)

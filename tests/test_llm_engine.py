"""Engine-level guarantees: adaptive concurrency under 429s, rate windows, selective cache
invalidation when a prompt changes, the key never written anywhere, estimates, streaming server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT, llm_settings

from summarizer.cache import AnswerCache
from summarizer.costs import estimate_run
from summarizer.engine import summarize_document
from summarizer.llm_backend import LLMBackend
from summarizer.llm_client import ChatClient, RateWindow
from summarizer.prompts import load_prompts, save_user_prompt
from summarizer.render import render_markdown
from summarizer.text_parser import parse_text

PAPER = ("# Paper\n\n## Abstract\nWe study retrieval.\n\n## 1 Introduction\nIntro text about retrieval.\n\n"
         "## 2 Method\nThe method builds an index.\n\n## 3 Experiments\nWe test on two datasets.\n\n"
         "## 4 Conclusion\nIt works.")


def _run(server, **changes):
    settings = llm_settings(server, **changes)
    backend = LLMBackend(settings, client=ChatClient(settings, backoff_base=0.01))
    return summarize_document(parse_text(PAPER), settings, backend=backend), backend


def test_429s_lower_concurrency_and_the_run_still_completes(llm_server):
    llm_server.state.reset(rate_limit_every=3, retry_after="0", latency=0.05)
    result, backend = _run(llm_server, workers=8, use_cache=False)
    assert not result.failed
    assert backend.client.limit.limit < 8 or backend.client.limit.peak < 8
    assert any(r.attempts > 1 for r in result.sections)


def test_rate_window_holds_requests_per_minute():
    now = [0.0]
    window = RateWindow(rpm=2, tpm=None, clock=lambda: now[0])
    window.wait(10)
    window.wait(10)
    assert len(window._events) == 2
    now[0] = 61.0
    window.wait(10)  # the minute has passed: allowed at once
    assert len(window._events) == 1


def test_editing_one_prompt_reruns_only_its_sections(llm_server, tmp_path):
    _run(llm_server)
    first = len(llm_server.state.chat_requests)
    method = load_prompts().get("method")
    method.system += " Mention the index size."
    save_user_prompt(tmp_path, method)
    result, _ = _run(llm_server, prompts_dir=str(tmp_path))
    new = llm_server.state.chat_requests[first:]
    sent_sections = [r.body["messages"][-1]["content"] for r in new if "<section>" in r.body["messages"][-1]["content"]]
    assert len(sent_sections) == 1 and "Section \"2 Method\"" in sent_sections[0]
    assert "Mention the index size." in new[0].body["messages"][0]["content"]
    statuses = {r.title: r.status for r in result.sections}
    assert statuses["2 Method"] == "done" and statuses["1 Introduction"] == "cached"


def test_the_key_is_never_written_anywhere(llm_server, app_home, tmp_path):
    key = "sk-LEAKCHECK-7f3a9c1e5b"
    md = tmp_path / "paper.md"
    md.write_text(PAPER)
    out = tmp_path / "paper.summary.md"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": key, "SUMMARIZER_HOME": str(app_home)}
    ok = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(md), "--backend", "llm", "--base-url",
                         llm_server.base_url, "--model", "m", "-o", str(out), "--json"], capture_output=True, env=env)
    llm_server.state.reset(required_key="sk-other")
    bad = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(md), "--backend", "llm", "--base-url",
                          llm_server.base_url, "--model", "m", "--json", "--no-cache"], capture_output=True, env=env)
    assert ok.returncode == 0 and bad.returncode == 3
    assert "rejected the API key" in json.loads(bad.stdout)["sections"][1]["summary"] + bad.stdout.decode()
    haystacks = [ok.stdout, ok.stderr, bad.stdout, bad.stderr, out.read_bytes()]
    for path in app_home.rglob("*"):
        if path.is_file():
            haystacks.append(path.read_bytes())
    assert haystacks and all(key.encode() not in h for h in haystacks)
    result, _ = _run(llm_server, api_key=key)
    assert key not in repr(result) and key not in render_markdown(result)
    assert key not in repr(llm_settings(llm_server, api_key=key))


def test_estimate_before_the_run(llm_server):
    settings = llm_settings(llm_server)
    estimate = estimate_run(parse_text(PAPER), settings)
    assert estimate.calls == 6  # five sections and the synthesis
    assert estimate.tokens_in > 0 and estimate.tokens_out > 0
    assert estimate.cost_usd is None  # no price for "test-model": tokens only
    priced = estimate_run(parse_text(PAPER), llm_settings(llm_server, model="gpt-4o-mini"))
    assert priced.cost_usd is not None and priced.cost_usd > 0
    assert not llm_server.state.chat_requests


def test_cache_survives_a_corrupted_folder(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    (folder / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    cache = AnswerCache(folder)
    cache.set("k", {"fields": {"summary": "x"}})
    assert cache.get("k") == {"fields": {"summary": "x"}}
    assert list(tmp_path.glob("answers.broken-*"))  # the damaged cache was moved aside, not deleted


def test_server_speaks_streaming_too(llm_server):
    import openai

    client = openai.OpenAI(api_key="sk-x", base_url=llm_server.base_url, max_retries=0)
    stream = client.chat.completions.create(model="m", stream=True, messages=[
        {"role": "system", "content": "s"}, {"role": "user", "content": 'Section "X"\n<section>\nhello world\n</section>'}])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert json.loads(text)["summary"].startswith("- This part (X) says: hello world")


def test_untraceable_numbers_are_flagged_and_reasked_once(llm_server, tmp_path):
    from summarizer.engine import recheck

    llm_server.state.reset(invent_number=True)
    settings = llm_settings(llm_server)
    backend = LLMBackend(settings, client=ChatClient(settings, backoff_base=0.01))
    doc = parse_text(PAPER)
    first = summarize_document(doc, settings, backend=backend)
    flagged = [r for r in first.sections if r.unverified_numbers]
    assert flagged and all(r.unverified_numbers == ["97.3"] for r in flagged)
    md = render_markdown(first)
    assert "97.3%[^s" in md and "this number was not found in the source text" in md
    sent_before = len(llm_server.state.chat_requests)
    again = recheck(doc, settings, first, backend=LLMBackend(settings, client=ChatClient(settings, backoff_base=0.01)))
    reasks = [r.body["messages"][-1]["content"] for r in llm_server.state.chat_requests[sent_before:]
              if "<section>" in r.body["messages"][-1]["content"]]
    assert len(reasks) == len(flagged) and all("these numbers do not appear in the text: 97.3" in m for m in reasks)
    assert again.unverified_count == 0 and not again.needs_recheck()


def test_json_output_carries_unverified_numbers(llm_server, tmp_path):
    llm_server.state.reset(invent_number=True)
    md = tmp_path / "p.md"
    md.write_text(PAPER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-x"}
    proc = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(md), "--backend", "llm", "--base-url",
                           llm_server.base_url, "--model", "m", "--json", "--no-cache"], capture_output=True, env=env)
    data = json.loads(proc.stdout)
    assert data["unverified_numbers"] >= 4
    assert all(s["unverified_numbers"] == ["97.3"] for s in data["sections"] if s["status"] == "done")
    proc = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(md), "--backend", "llm", "--base-url",
                           llm_server.base_url, "--model", "m", "--json", "--no-cache", "--recheck"],
                          capture_output=True, env=env)
    assert json.loads(proc.stdout)["unverified_numbers"] == 0

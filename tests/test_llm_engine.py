"""Engine-level guarantees: adaptive concurrency under 429s, rate windows, selective cache
invalidation when a prompt changes, the key never written anywhere, estimates, streaming server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT
from conftest import llm_settings_per_section as llm_settings

from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend
from summarizer.llm.cache import AnswerCache
from summarizer.llm.client import ChatClient
from summarizer.llm.costs import estimate_run
from summarizer.llm.limits import RateWindow
from summarizer.llm.prompts import load_prompts, save_user_prompt
from summarizer.output.render import render_markdown
from summarizer.run.engine import summarize_document

PAPER = ("# Paper\n\n## Abstract\nWe study retrieval.\n\n## 1 Introduction\nIntro text about retrieval.\n\n"
         "## 2 Method\nThe method builds an index.\n\n## 3 Experiments\nWe test on two datasets.\n\n"
         "## 4 Conclusion\nIt works.")


def _run(server, **changes):
    settings = llm_settings(server, **changes)
    backend = LLMBackend(settings, client=ChatClient(settings, backoff_base=0.01))
    return summarize_document(parse_text(PAPER), settings, backend=backend), backend


def _many_sections(n: int) -> str:
    parts = [f"## {i} Part {i}\nText of part {i} about retrieval and indexing." for i in range(1, n + 1)]
    return "# Paper\n\n## Abstract\nWe study retrieval.\n\n" + "\n\n".join(parts)


def test_429s_lower_concurrency_and_the_run_still_completes(llm_server, monkeypatch):
    from summarizer.llm.limits import AdaptiveLimit

    limits_after_429: list[int] = []
    original = AdaptiveLimit.rate_limited

    def spy(self) -> None:
        original(self)
        limits_after_429.append(self.limit)

    monkeypatch.setattr(AdaptiveLimit, "rate_limited", spy)
    llm_server.state.reset(rate_limit_every=3, retry_after="0", latency=0.05)
    # every 3rd request answers 429, so one call can draw several in a row: with 4 attempts that failed
    # a section in about 1 run of 8; with 10 the chance is about 1 in 5,000 runs
    settings = llm_settings(llm_server, workers=4, use_cache=False, backoff_base=0.0, max_attempts=10)
    result = summarize_document(parse_text(_many_sections(12)), settings)
    assert not result.failed and len(result.sections) >= 12
    assert limits_after_429 and min(limits_after_429) < 4  # the limit really went below the 4 workers
    assert llm_server.state.peak <= 4  # never more in flight than the workers
    assert any(r.attempts > 1 for r in result.sections)


def test_rate_window_holds_requests_per_minute(monkeypatch):
    """rpm=2: the third request in one minute waits until the first leaves the window."""
    now = [0.0]
    monkeypatch.setattr("summarizer.llm.client.time.sleep", lambda s: now.__setitem__(0, now[0] + s))
    window = RateWindow(rpm=2, tpm=None, clock=lambda: now[0])
    starts = []
    for _ in range(5):
        window.wait(10)
        starts.append(now[0])
    assert starts[:2] == [0.0, 0.0]
    assert starts[2] >= 60.0 and starts[4] >= 120.0  # never a third request inside one minute
    for i in range(2, 5):
        assert starts[i] - starts[i - 2] >= 60.0


def test_rate_window_holds_tokens_per_minute(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("summarizer.llm.client.time.sleep", lambda s: now.__setitem__(0, now[0] + s))
    window = RateWindow(rpm=None, tpm=100, clock=lambda: now[0])
    window.wait(60)
    window.wait(30)
    assert now[0] == 0.0  # 90 tokens fit one minute
    window.wait(30)  # 120 would not: waits for the window to slide
    assert now[0] >= 60.0


def test_retry_limit_is_exact(llm_server):
    """max_attempts=3 means three requests for an always-failing call, not two or four."""
    from summarizer.model.errors import BackendError

    llm_server.state.reset(error_500_first=1000)
    settings = llm_settings(llm_server, max_attempts=3, backoff_base=0.0)
    client = ChatClient(settings)
    try:
        client.complete([{"role": "user", "content": "hi"}], 20)
    except BackendError as exc:
        assert "500" in str(exc)
    else:
        raise AssertionError("an always-failing call must raise")
    assert len(llm_server.state.chat_requests) == 3
    llm_server.state.reset(error_500_first=2)  # fails twice, the third try succeeds
    assert ChatClient(settings).complete([{"role": "user", "content": "hi"}], 20).attempts == 3


def test_backoff_settings_bound_every_wait(llm_server, monkeypatch):
    """backoff_base/backoff_cap from Settings decide the waits (no test sleeps through production backoff)."""
    waits: list[float] = []
    monkeypatch.setattr(ChatClient, "_sleep", lambda self, seconds: waits.append(seconds))
    llm_server.state.reset(error_500_first=4)
    settings = llm_settings(llm_server, max_attempts=5, backoff_base=50.0, backoff_cap=0.2)
    assert ChatClient(settings).complete([{"role": "user", "content": "hi"}], 20).attempts == 5
    assert len(waits) == 4 and all(0.05 <= w <= 0.2 for w in waits)  # capped, with jitter
    waits.clear()
    llm_server.state.reset(error_500_first=2)
    settings = llm_settings(llm_server, max_attempts=5, backoff_base=0.1, backoff_cap=30.0)
    ChatClient(settings).complete([{"role": "user", "content": "hi"}], 20)
    assert 0.05 <= waits[0] <= 0.1 and 0.1 <= waits[1] <= 0.2  # doubles per retry


def test_retry_after_is_honoured(llm_server, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(ChatClient, "_sleep", lambda self, seconds: waits.append(seconds))
    llm_server.state.reset(rate_limit_first=2, retry_after="7")
    settings = llm_settings(llm_server, backoff_base=0.0)
    assert ChatClient(settings).complete([{"role": "user", "content": "hi"}], 20).attempts == 3
    assert len(waits) == 2 and all(w >= 7.0 for w in waits)  # the server's wait, not our (zero) backoff


def test_no_request_exceeds_the_context_window(llm_server):
    """A small context window: the brief, the chunks and the cut-off retries all fit it."""
    from llm_server import rough_tokens

    window = 2200
    long_abstract = " ".join(f"Sentence {i} of the abstract describes retrieval result number {i}." for i in range(300))
    long_method = "\n\n".join(f"Paragraph {i}: the index stores posting lists and the ranker scores them." * 3
                               for i in range(120))
    paper = f"# Paper\n\n## Abstract\n{long_abstract}\n\n## 1 Method\n{long_method}\n\n## 2 Conclusion\nIt works."
    llm_server.state.reset(length_first=1, context_limit=window)
    settings = llm_settings(llm_server, model="gpt-4", context_window=window, use_cache=False, backoff_base=0.0, workers=1)
    result = summarize_document(parse_text(paper), settings)
    assert not result.failed, [r.error for r in result.failed]
    assert "parts" in result.sections[1].note  # the method was split to fit
    sent = llm_server.state.chat_requests
    assert any("Be terse" in r.body["messages"][-1]["content"] for r in sent)
    for r in sent:
        assert rough_tokens(r.body["messages"]) + r.body["max_tokens"] <= window


def test_a_prompt_too_big_for_the_window_is_refused_before_sending(llm_server, tmp_path):
    """The pre-flight check: a synthesis prompt larger than the context window is never sent."""
    from llm_server import rough_tokens

    window = 2200
    synthesis = load_prompts().get("synthesis")
    synthesis.system += " Keep every field short and plain." * 400  # ~2,800 tokens of instructions
    save_user_prompt(tmp_path, synthesis)
    llm_server.state.reset(context_limit=window)
    settings = llm_settings(llm_server, model="gpt-4", context_window=window, use_cache=False, prompts_dir=str(tmp_path))
    result = summarize_document(parse_text(PAPER), settings)
    sent = llm_server.state.chat_requests
    assert sent and all(rough_tokens(r.body["messages"]) + r.body["max_tokens"] <= window for r in sent)
    assert not any("Keep every field short" in r.body["messages"][0]["content"] for r in sent)
    assert all(s.status in ("done", "skipped") for s in result.sections)


def test_answer_cache_is_per_model_and_host(llm_server):
    doc = parse_text(PAPER)
    summarize_document(doc, llm_settings(llm_server, model="model-a"))
    first = len(llm_server.state.chat_requests)
    assert first > 0
    summarize_document(doc, llm_settings(llm_server, model="model-a"))
    assert len(llm_server.state.chat_requests) == first  # same model: all from the cache
    again = summarize_document(doc, llm_settings(llm_server, model="model-b"))
    assert len(llm_server.state.chat_requests) > first  # another model is asked, not served model-a's answers
    assert not any(r.cached for r in again.sections)
    cooler = summarize_document(doc, llm_settings(llm_server, model="model-a", temperature=0.0))
    assert not any(r.cached for r in cooler.sections)  # other generation parameters: asked again
    from llm_server import LLMServer

    with LLMServer() as other:  # another endpoint (host:port) with the same model: asked too
        summarize_document(doc, llm_settings(other, model="model-a"))
        assert other.state.chat_requests


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
    from summarizer.run.engine import recheck

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


def test_a_running_section_shows_its_answer_as_it_streams(llm_server):
    """The progress area gets the streaming answer of a running section (a slow local model shows it is
    writing); the finished section, its JSON and its History row carry none of it."""
    from summarizer.run.engine import run
    from summarizer.store.records import section_json

    doc = parse_text("# T\n\n## Method\n" + "We measure the sparrows of the city every spring. " * 30)
    events = list(run(doc, llm_settings(llm_server, use_cache=False)))
    live = [e.result for e in events if e.kind == "section" and e.result is not None and e.result.live]
    assert live and all(r.status == "running" for r in live)
    assert any("summary" in r.live or "{" in r.live for r in live)  # the model's own words, as sent
    final = events[-1].summary.sections[0]
    assert final.status == "done" and final.live == ""
    assert "live" not in final.to_json() and '"live"' not in section_json(final)

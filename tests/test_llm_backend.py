"""The llm backend against a real OpenAI-compatible server on 127.0.0.1 (no client mocking)."""

from __future__ import annotations

import json
import time

import pytest
from conftest import llm_settings_per_section as llm_settings
from llm_server import rough_tokens

from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend, split_to_fit
from summarizer.llm.client import ChatClient
from summarizer.llm.limits import AdaptiveLimit
from summarizer.llm.prompts import default_prompts
from summarizer.output.render import render_markdown
from summarizer.pdf.parser import parse_pdf
from summarizer.run.engine import summarize_document
from summarizer.text.tokens import get_tokenizer


def _backend(server, **changes):
    settings = llm_settings(server, **changes)
    return settings, LLMBackend(settings, client=ChatClient(settings, backoff_base=0.01))


def test_paper_end_to_end_through_http(llm_server, paper_pdf):
    settings, backend = _backend(llm_server)
    doc = parse_pdf(paper_pdf, "sparrow.pdf")
    result = summarize_document(doc, settings, backend=backend)
    assert not result.failed
    done = [r for r in result.sections if r.status == "done"]
    assert [r.title for r in done] == ["Abstract", "1 Introduction", "2 Sparrow", "2.1 Index construction",
                                      "3 Experiments", "4 Conclusion"]
    assert next(r for r in result.sections if r.title == "References").status == "skipped"
    # each section was sent its own text, with the shared brief, through its own prompt
    sent = [r.body for r in llm_server.state.chat_requests]
    users = [b["messages"][-1]["content"] for b in sent]
    assert any("Sparrow builds a two-level index" in u and "<section>" in u for u in users)
    assert all("We present Sparrow" in u for u in users if "<section>" in u)
    assert next(r for r in result.sections if r.title == "2 Sparrow").prompt == "method"
    assert next(r for r in result.sections if r.title == "3 Experiments").prompt == "experiments"
    assert all(b["model"] == "test-model" for b in sent)
    assert all(r.headers.get("authorization") == "Bearer sk-test-0000" for r in llm_server.state.chat_requests)
    assert result.overview.startswith("**TL;DR:**")
    assert "llm (test-model @ 127.0.0.1" in result.backend
    md = render_markdown(result)
    assert "This part (2 Sparrow) says: Sparrow builds a two-level index" in md
    assert "short thought" not in md  # reasoning is not in the download by default
    assert "short thought" in render_markdown(result, include_reasoning=True)
    assert result.usage.requests == len(sent)
    assert all(r.tokens_in > 0 and r.attempts == 1 for r in done)


def test_loose_json_is_parsed_and_garbage_kept_as_raw(llm_server):
    doc = parse_text("# T\n\n## Introduction\nSome intro text here.\n\n## Method\nThe method text.")
    llm_server.state.reset(malformed=True)
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert all(r.status == "done" and r.summary.startswith("- This part") for r in result.sections)
    llm_server.state.reset(garbage=True)
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert all("I think this section is about things" in r.summary for r in result.sections)
    # sound free text is kept, but never called done: it is "unstructured", with the reason
    assert all(r.status == "unstructured" and not r.structured and "free text" in r.note for r in result.sections)
    assert all(s["status"] == "unstructured" and s["structured"] is False and s["note"]
               for s in (r.to_json() for r in result.sections))
    assert "**Unstructured answer:**" in render_markdown(result)


def test_long_section_is_chunked_within_budget_and_merged(llm_server):
    paragraph = "Sparse retrieval indexes store postings for every term in the collection. " * 20
    doc = parse_text("# T\n\n## Method\n" + "\n\n".join([paragraph] * 12))
    settings, backend = _backend(llm_server, context_window=2500)
    llm_server.state.reset(context_limit=2500)
    result = summarize_document(doc, settings, backend=backend)
    method = result.sections[0]
    assert method.status == "done", method.error
    assert "parts" in method.note
    tok = get_tokenizer("cl100k_base")
    for req in llm_server.state.chat_requests:
        sent = sum(tok.count(m["content"]) + 4 for m in req.body["messages"]) + 3
        assert sent + req.body["max_tokens"] <= 2500
        assert rough_tokens(req.body["messages"]) + req.body["max_tokens"] <= 2500
    assert any("<parts>" in r.body["messages"][-1]["content"] for r in llm_server.state.chat_requests)


def test_split_to_fit_respects_limit():
    tok = get_tokenizer("cl100k_base")
    text = "\n\n".join(["word " * 300, "short para.", "x" * 5000])
    chunks = split_to_fit(text, 200, tok)
    assert all(tok.count(c) <= 200 for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_retries_honour_retry_after_and_recover(llm_server):
    llm_server.state.reset(rate_limit_first=2, retry_after="0.3")
    doc = parse_text("# T\n\n## Introduction\nIntro text.")
    settings, backend = _backend(llm_server, workers=1)
    start = time.monotonic()
    result = summarize_document(doc, settings, backend=backend)
    assert time.monotonic() - start >= 0.6
    assert result.sections[0].status == "done"
    assert result.sections[0].attempts == 3


def test_auth_and_model_errors_are_explained_not_retried(llm_server):
    llm_server.state.reset(required_key="sk-right")
    doc = parse_text("# T\n\n## Introduction\nIntro text.\n\n## Method\nMethod text.")
    settings, backend = _backend(llm_server, api_key="sk-wrong-secret-key")
    result = summarize_document(doc, settings, backend=backend)
    assert all(r.status == "failed" for r in result.sections)
    assert "rejected the API key (401)" in result.sections[0].error
    assert "127.0.0.1" in result.sections[0].error
    assert "sk-wrong-secret-key" not in result.sections[0].error
    # never retried: one request per section at most (a 401 stops the calls not yet sent)
    assert 1 <= len(llm_server.state.chat_requests) <= 2
    llm_server.state.reset(models=("real-model",))
    settings, backend = _backend(llm_server, model="no-such-model")
    result = summarize_document(doc, settings, backend=backend)
    assert "no-such-model" in result.sections[0].error and "404" in result.sections[0].error


def test_one_failing_section_does_not_stop_the_others(llm_server):
    llm_server.state.reset(fail_when="POISON")
    doc = parse_text("# T\n\n## Introduction\nIntro text.\n\n## Method\nPOISON text.\n\n## Results\nResults text.")
    settings, backend = _backend(llm_server, max_attempts=2)
    result = summarize_document(doc, settings, backend=backend)
    assert [r.status for r in result.sections] == ["done", "failed", "done"]
    assert "500" in result.sections[1].error
    md = render_markdown(result)
    assert "> **Not summarized:**" in md and "Results" in md


def test_cut_answer_is_retried_once_and_never_shown_complete(llm_server):
    doc = parse_text("# T\n\n## Introduction\nIntro text.")
    llm_server.state.reset(length_first=1)
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert result.sections[0].status == "done"
    second = llm_server.state.chat_requests[1].body
    assert second["max_tokens"] > llm_server.state.chat_requests[0].body["max_tokens"]
    assert "Be terse" in second["messages"][-1]["content"]
    llm_server.state.reset(length_always=True)
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert result.sections[0].status == "failed" and "cut off" in result.sections[0].error


def test_cache_makes_a_rerun_free(llm_server, paper_pdf):
    doc = parse_pdf(paper_pdf)
    settings, backend = _backend(llm_server)
    summarize_document(doc, settings, backend=backend)
    first = len(llm_server.state.chat_requests)
    settings, backend = _backend(llm_server)
    again = summarize_document(doc, settings, backend=backend)
    assert len(llm_server.state.chat_requests) == first
    assert all(r.status == "cached" and r.cached for r in again.sections if r.status != "skipped")


def test_chinese_output_is_checked_and_reasked(llm_server):
    doc = parse_text("# T\n\n## Introduction\nThe introduction explains the problem of retrieval in detail.")
    llm_server.state.reset(wrong_language_first=1)
    settings, backend = _backend(llm_server, language="zh", use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert "本节" in result.sections[0].summary
    assert "not written in Simplified Chinese" in llm_server.state.chat_requests[1].body["messages"][-1]["content"]


def test_an_answer_in_another_script_than_its_text_is_not_done_when_the_language_reask_fails(llm_server):
    """SmolLM2 answered a Chinese article in English, twice, with a place and a date the article never names; the
    answer checks compare an answer with its text's words, which an English answer about a Chinese text never
    shares, so such an answer cannot be checked and is not "done"."""
    doc = parse_text("# 河滨公园开放\n\n## 正文\n本市新建的河滨公园于周六正式开放，首日接待游客约一万两千人。公园全长三公里，"
                     "沿河设有步道、自行车道和两个儿童游乐场。市园林局表示，公园共种植各类树木四千余棵。")
    english = json.dumps({"reasoning": "r", "headline": "A park opens in Xi'an",
                          "summary": "- The article is about a new park in the city of Xi'an, opened on March 23rd."})
    llm_server.state.reset(answers=(english,))
    settings, backend = _backend(llm_server, use_cache=False)
    section = summarize_document(doc, settings, backend=backend).sections[0]
    assert section.status == "failed" and "did not write in Simplified Chinese" in section.error
    assert "cannot be checked" in section.error


def test_sections_run_concurrently(llm_server):
    llm_server.state.reset(latency=0.3)
    doc = parse_text("# T\n\n" + "\n\n".join(f"## Part {i}\nText of part {i}." for i in range(8)))
    settings, backend = _backend(llm_server, workers=8, use_cache=False, group_below=0)  # one request each
    start = time.monotonic()
    summarize_document(doc, settings, backend=backend)
    elapsed = time.monotonic() - start
    assert llm_server.state.peak >= 4
    assert elapsed < 8 * 0.3


def test_adaptive_limit_backs_off_and_recovers():
    limit = AdaptiveLimit(8)
    limit.rate_limited()
    limit.rate_limited()
    assert limit.limit == 2
    for _ in range(10):
        limit.succeeded()
    assert limit.limit > 2


GOOD = json.dumps({"reasoning": "the index", "summary": "- A two-level index makes retrieval over long documents fast.",
                   "contributions": ["a two-level index"]})


def _intro_doc():
    return parse_text("# T\n\n## Introduction\nRetrieval over long documents is slow. We build a two-level index "
                      "of sections and sentences, and read only the best sections at query time.")


@pytest.mark.parametrize("garbage, problem", [
    ("1\n2\n3", "far too short"),
    (json.dumps({"reasoning": "r", "summary": default_prompts()["introduction"].system.split(". ", 1)[1]}),
     "repeated our instructions"),
    ("Your previous answer was cut off. Be terse: reasoning under 15 words, summary under 40 words.",
     "repeated our instructions"),
    ("<section>\nRetrieval over long documents is slow.\n</section>", "delimiters"),
    ('{"summary": "' + "fast index " * 30 + '"}', "over and over"),
])
def test_garbage_is_reasked_once_naming_the_problem_then_failed(llm_server, garbage, problem):
    llm_server.state.reset(answers=(garbage,))
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(_intro_doc(), settings, backend=backend)
    section = result.sections[0]
    assert section.status == "failed" and problem in section.error and not section.summary
    sent = llm_server.state.chat_requests
    assert len(sent) == 2 and "could not be used: the answer" in sent[1].body["messages"][-1]["content"]
    assert problem in sent[1].body["messages"][-1]["content"]
    assert result.sections[0].to_json()["status"] == "failed"


def test_garbage_then_a_good_answer_is_done(llm_server):
    llm_server.state.reset(answers=("1\n2\n3", GOOD))
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(_intro_doc(), settings, backend=backend)
    assert result.sections[0].status == "done" and "two-level index" in result.sections[0].summary


JUNK_EXTRA = json.dumps({"reasoning": "the index", "summary": "- A two-level index makes retrieval over long documents fast.",
                         "contributions": ["{", "contributions", "}"]})


def test_a_sound_summary_keeps_and_its_unsound_extra_field_is_dropped_and_said(llm_server):
    """A small model (SmolLM2 through llama.cpp) that fills an extra list with brackets and field names twice still
    wrote a sound summary: it is shown, the list is left out, and the note says so, from the cache too."""
    llm_server.state.reset(answers=(JUNK_EXTRA, JUNK_EXTRA))
    settings, backend = _backend(llm_server, use_cache=True)
    result = summarize_document(_intro_doc(), settings, backend=backend)
    section = result.sections[0]
    assert section.status == "done" and "two-level index" in section.summary
    assert "Contributions" not in section.summary and "'contributions' was left out" in section.note
    def section_requests() -> int:  # the overview's requests aside (its answer here is no overview, never cached)
        return sum("<section>" in r.body["messages"][-1]["content"] for r in llm_server.state.chat_requests)
    assert section_requests() == 2  # asked again once, as for any unsound answer
    settings, backend = _backend(llm_server, use_cache=True)
    again = summarize_document(_intro_doc(), settings, backend=backend).sections[0]
    assert section_requests() == 2 and again.summary == section.summary
    assert "'contributions' was left out" in again.note


def test_a_field_left_out_is_not_said_when_a_later_answer_replaced_the_salvaged_one(llm_server):
    """Salvaged in the wrong language, then asked for the right one and answered soundly: the answer shown is the
    last, whose fields are all there, so no note says a field was left out."""
    zh = json.dumps({"reasoning": "r", "summary": ("- 两级索引使长文档检索更快：先读取各节的中心，再读取最佳章节的句子。\n"
                                             "- 查询只读取最相关章节的句子，因此延迟大大降低，召回率基本不变。"),
                     "contributions": ["{", "contributions", "}"]}, ensure_ascii=False)
    llm_server.state.reset(answers=(zh, zh, GOOD))
    settings, backend = _backend(llm_server, use_cache=False)
    section = summarize_document(_intro_doc(), settings, backend=backend).sections[0]
    assert section.status == "done" and "two-level index" in section.summary and "a two-level index" in section.summary
    assert "left out" not in (section.note or "")


@pytest.mark.parametrize("summary", [["{", "}"], "1\n2\n3"])
def test_an_unsound_summary_is_never_salvaged_by_dropping_fields(llm_server, summary):
    junk = json.dumps({"reasoning": "r", "summary": summary, "contributions": ["{", "contributions", "}"]})
    llm_server.state.reset(answers=(junk, junk))
    settings, backend = _backend(llm_server, use_cache=False)
    section = summarize_document(_intro_doc(), settings, backend=backend).sections[0]
    assert section.status == "failed" and not section.summary


def test_reasoning_never_reaches_the_summary_or_the_download(llm_server):
    think = "<think>The user wants a summary; SECRET-THOUGHT one.</think>"
    answer = think + json.dumps({"analysis": "SECRET-THOUGHT two", "summary": "- A two-level index is fast.",
                                   "contributions": []})
    llm_server.state.reset(answers=(answer,), reasoning_content="SECRET-THOUGHT three")
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(_intro_doc(), settings, backend=backend)
    section = result.sections[0]
    assert section.status == "done" and "SECRET" not in section.summary and "SECRET" not in str(section.fields)
    assert "SECRET" not in render_markdown(result) and "SECRET" not in result.overview
    for n in ("one", "two", "three"):
        assert f"SECRET-THOUGHT {n}" in section.reasoning
    assert "SECRET-THOUGHT" in render_markdown(result, include_reasoning=True)


def test_schema_is_sent_built_from_the_prompt_fields(llm_server):
    settings, backend = _backend(llm_server, use_cache=False)
    summarize_document(_intro_doc(), settings, backend=backend)
    fmt = llm_server.state.chat_requests[0].body["response_format"]
    assert fmt["type"] == "json_schema"
    schema = fmt["json_schema"]["schema"]
    assert list(schema["properties"]) == ["reasoning", "summary", "contributions"]
    assert schema["properties"]["contributions"]["type"] == "array"


def test_single_part_article_overview_says_it_is_the_section_summary(llm_server):
    doc = parse_text("Officials said on Monday that the new bridge will open in May after four years of work.")
    doc.genre = "article"
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert result.overview == result.sections[0].summary
    assert any("only part" in n for n in result.notices)
    assert "only part" in render_markdown(result)


def test_clamped_answer_is_a_cut_answer_not_a_window(llm_server):
    """A server that shortens max_tokens (llama.cpp: to n_ctx - prompt) cuts the answer: it is re-asked terser
    with more room, and cut again fails saying so. A cut is never read as the window (#32: its token count may
    be our estimate, or miss a reasoning model's hidden tokens); the window comes from /props or an overflow."""
    llm_server.state.reset(clamp_context=700)
    settings, backend = _backend(llm_server, use_cache=False, context_window=8192)
    result = summarize_document(_intro_doc(), settings, backend=backend)
    section = result.sections[0]
    assert section.status == "done" or "cut off" in section.error
    assert backend.context_window == 8192


def test_tokens_sent_per_paper_stay_within_1_3_times_the_paper(llm_server):
    """All requests of a run on a 10-page corpus paper send at most 1.3× the paper's own tokens
    (tiktoken): the shared system text first, the brief only where it helps, a bounded synthesis."""
    from conftest import corpus_papers

    from summarizer.inputs.loading import load_path

    doc = load_path(str(corpus_papers() / "casper-ffg.pdf"), "pymupdf", 600, None)
    settings, backend = _backend(llm_server, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    assert not result.failed
    tok = get_tokenizer("cl100k_base")
    sent = [r.body["messages"] for r in llm_server.state.chat_requests]
    total = sum(rough_tokens(m) for m in sent)
    assert total <= 1.3 * tok.count(doc.text), (total, tok.count(doc.text))
    # what repeats comes first, in a stable order: every section call starts with the same system text
    systems = {m[0]["content"] for m in sent if "<section>" in m[-1]["content"]}
    assert len(systems) == 1
    # the brief is not sent with the abstract itself, nor with long sections (they carry their own context)
    abstract_call = next(m for m in sent if 'Section "Abstract"' in m[-1]["content"])
    assert "Brief:" not in abstract_call[-1]["content"]
    section_calls = [m[-1]["content"] for m in sent if "<section>" in m[-1]["content"]]
    alone = [u for u in section_calls if "sections, each after a <part N> mark with its number" not in u]
    long_ones = [u for u in alone if tok.count(u.split("<section>", 1)[1]) > 400]
    assert long_ones and not any("Brief:" in u for u in long_ones)
    assert any("Brief:" in u for u in section_calls)  # short ones still get it
    assert result.usage.requests == len(sent)


def test_context_window_is_read_from_the_endpoint(llm_server):
    from summarizer.llm.endpoint import discover_context_window, from_models, from_ollama_show

    llm_server.state.reset(slots=1, n_ctx=3072)
    assert discover_context_window(llm_server.base_url, "test-model") == 3072  # llama.cpp's /props n_ctx
    settings = llm_settings(llm_server, use_cache=False)
    assert LLMBackend(settings).context_window == 3072  # not the 8192 the model table would assume
    assert from_models({"data": [{"id": "m", "owned_by": "vllm", "max_model_len": 32768}]}, "m") == (32768, "vllm")
    assert from_ollama_show({"model_info": {"qwen2.context_length": 32768}, "parameters": "num_ctx 4096"}) == 4096
    assert from_ollama_show({"model_info": {"llama.context_length": 131072}}) == 131072


def test_overflow_naming_the_real_limit_lowers_the_budget_and_resplits(llm_server):
    paragraph = "Sparse retrieval indexes store postings for every term in the collection. " * 20
    doc = parse_text("# T\n\n## Method\n" + "\n\n".join([paragraph] * 8))
    llm_server.state.reset(context_limit=2500)
    settings, backend = _backend(llm_server, context_window=16000, use_cache=False)
    result = summarize_document(doc, settings, backend=backend)
    method = result.sections[0]
    assert method.status == "done", method.error
    assert backend.context_window == 2500 and "parts" in method.note
    codes = [r for r in llm_server.state.chat_requests]
    assert len(codes) > 2  # the first (too big) request, then the re-split parts and their merge


def test_local_model_gets_a_bounded_schema_hosted_apis_do_not(llm_server, tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    settings, backend = _backend(llm_server, use_cache=False, model_path=str(gguf))
    assert settings.is_local and "local model (tiny.gguf" in settings.backend_label
    summarize_document(_intro_doc(), settings, backend=backend)
    schema = llm_server.state.chat_requests[0].body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["summary"]["maxLength"] > 100  # a looping small model must close its strings
    llm_server.state.reset()
    settings, backend = _backend(llm_server, use_cache=False)
    summarize_document(_intro_doc(), settings, backend=backend)
    schema = llm_server.state.chat_requests[0].body["response_format"]["json_schema"]["schema"]
    assert "maxLength" not in schema["properties"]["summary"]


def test_a_probed_context_window_is_remembered_across_runs_but_a_failed_probe_is_not(llm_server):
    """The next process (a cached re-run) neither asks the endpoint again nor imports an HTTP client
    for it; a probe that could not reach the server is tried again next time."""
    from summarizer.llm import endpoint

    llm_server.state.reset(slots=1, n_ctx=3072)
    assert endpoint.discover_context_window(llm_server.base_url, "test-model") == 3072
    asked = len(llm_server.state.gets)
    assert asked >= 1
    endpoint._found.clear()  # as in a new process
    assert endpoint.discover_context_window(llm_server.base_url, "test-model") == 3072
    assert len(llm_server.state.gets) == asked  # nothing asked
    dead = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    assert endpoint.discover_context_window(dead, "test-model") is None
    assert endpoint._remembered((dead, "test-model")) is None
    llm_server.state.reset(no_models=True)  # reachable but no model list (a wrong key, a wrong path)
    assert endpoint.discover_context_window(llm_server.base_url, "other-model") is None
    assert endpoint._remembered((llm_server.base_url, "other-model")) is None


def test_a_re_ask_instruction_counts_in_the_budget():
    """The re-ask, terse and language instructions are counted like the prompt (they were a flat 30–40
    tokens, whatever their length) and taken from the answer's room (issue #26)."""
    from summarizer.config.settings import Settings
    from summarizer.llm.prompts import default_prompts
    from summarizer.llm.requests import REASK

    backend = LLMBackend(Settings(backend="llm", model="m", base_url="http://127.0.0.1:9/v1", api_key="k",
                                  context_window=4096))
    prompt = default_prompts()["method"]
    call = backend.sized(prompt, {"title": "T", "brief": "", "section_title": "2 Method", "kind": "method",
                                  "section_text": "We index sections.", "max_words": 90, "language": "English",
                                  "fields": ""})
    extra = REASK.format(problem="the answer quoted words the text does not contain ('" + "x " * 60 + "')")
    again = backend.extended(call, extra)
    assert again.prompt_tokens - call.prompt_tokens > 60  # a long problem: the flat 40 undercounted it
    assert abs(again.prompt_tokens - backend.count_messages(again.messages)) <= 2  # BPE may merge at the join
    assert again.room == call.room - (again.prompt_tokens - call.prompt_tokens) and again.max_tokens <= again.room

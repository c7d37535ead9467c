"""A short paper asked whole: one request holds every section to summarize and answers with each
section's summary and the overall summary; what the answer misses is asked as usual afterwards
(stand-in server on loopback, production defaults unless a test says otherwise)."""

from __future__ import annotations

import json
from dataclasses import replace

from conftest import llm_settings

from summarizer.inputs.text_parser import parse_text
from summarizer.llm.costs import estimate_run
from summarizer.llm.groups import whole_answer_fits, whole_instruction, whole_paper_fits
from summarizer.llm.prompts import load_prompts, save_user_prompt
from summarizer.pdf.parser import parse_pdf
from summarizer.run.engine import summarize_document
from summarizer.text.tokens import get_tokenizer

PAPER = ("# Sparse Retrieval at Scale\n\n## Abstract\nWe present a sparse index that answers queries in 12 ms.\n\n"
         "## 1 Introduction\nDense retrieval is slow on large corpora. We close this gap with a sparse index.\n\n"
         "## 2 Method\nThe index stores 16 postings per term and prunes the rest at build time.\n\n"
         "## 3 Experiments\nOn two corpora the index answers in 12 ms with recall of 0.91.\n\n"
         "## 4 Conclusion\nSparse indexes remain competitive for retrieval.")
SYNTHESIS = "<summaries>"  # only the overall summary's own request carries the section summaries


def _sent(server) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in server.state.chat_requests]


def test_a_short_paper_is_one_request_with_every_section_and_the_overall_summary(llm_server):
    doc = parse_text(PAPER)
    result = summarize_document(doc, llm_settings(llm_server, use_cache=False))
    sent = _sent(llm_server)
    assert len(sent) == result.usage.requests == 1
    assert not result.failed and not result.overview_error
    done = [r for r in result.sections if r.ok]
    assert [r.title for r in done] == ["Abstract", "1 Introduction", "2 Method", "3 Experiments", "4 Conclusion"]
    for r in done:  # each section's summary is about its own text, in its own prompt's fields
        assert f"({r.title}) says:" in r.summary and r.status == "done", r.summary
        assert set(r.asked_with) == {t.title for t in done} - {r.title}
    assert [r.prompt for r in done] == ["abstract", "introduction", "method", "experiments", "conclusion"]
    assert "contributions" in done[1].fields and "key_terms" in done[2].fields and "key_numbers" in done[3].fields
    # the overall summary came from the same answer: no request of its own
    assert "Overall:" in result.overview and result.overview_fields.get("tldr")
    assert not any(SYNTHESIS in u for u in sent)
    # each part is named with what its own prompt extracts and how long; the schema gives each its fields
    assert "problem, gap, contributions, at most 150 words" in sent[0] and "inputs/outputs, steps" in sent[0]
    schema = llm_server.state.chat_requests[0].body["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) == {"sections", "overview"}
    assert "tldr" in schema["properties"]["overview"]["properties"]
    parts = schema["properties"]["sections"]["properties"]
    assert list(parts) == ["1", "2", "3", "4", "5"] and "key_terms" in parts["3"]["required"]
    # the estimate before the run counts that one request
    assert estimate_run(doc, llm_settings(llm_server)).calls == 1


def test_a_short_pdf_costs_its_own_tokens_and_one_requests_instructions(llm_server, paper_pdf):
    doc = parse_pdf(paper_pdf, "sparrow.pdf")  # six sections to summarize, 800 tokens in all
    summarize_document(doc, llm_settings(llm_server, use_cache=False))
    tok = get_tokenizer("cl100k_base")
    sent = sum(tok.count(m["content"]) for r in llm_server.state.chat_requests for m in r.body["messages"])
    assert len(llm_server.state.chat_requests) == 1
    # the instructions are paid once (about 270 tokens), not once a section plus an overall summary's request
    assert sent - tok.count(doc.text) <= 300, (sent, tok.count(doc.text))


def test_an_overall_summary_the_answer_leaves_out_is_asked_on_its_own(llm_server):
    llm_server.state.reset(group_no_overview=True)
    result = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=False))
    sent = _sent(llm_server)
    assert len(sent) == 2 and SYNTHESIS in sent[1]
    assert "Overall:" in result.overview and not result.overview_error


def test_a_section_the_answer_misses_is_asked_with_its_own_prompt(llm_server):
    llm_server.state.reset(group_drop_last=True)
    result = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=False))
    sent = _sent(llm_server)
    alone = [u for u in sent if u.startswith('Section "4 Conclusion"') or '\nSection "4 Conclusion"' in u]
    assert len(alone) == 1 and "(conclusion)" in alone[0]  # the conclusion prompt, not the whole paper's
    last = next(r for r in result.sections if r.title == "4 Conclusion")
    assert last.status == "done" and last.prompt == "conclusion" and not last.asked_with
    assert not any(SYNTHESIS in u for u in sent) and "Overall:" in result.overview  # still from the whole answer


def test_a_cached_rerun_sends_nothing_and_keeps_the_overall_summary(llm_server):
    first = summarize_document(parse_text(PAPER), llm_settings(llm_server))
    again = summarize_document(parse_text(PAPER), llm_settings(llm_server))
    assert len(llm_server.state.chat_requests) == 1
    assert again.overview == first.overview and again.overview_fields == first.overview_fields
    assert [r.summary for r in again.sections] == [r.summary for r in first.sections]


def test_an_overall_summary_kept_from_an_answer_whose_parts_were_useless_is_kept_on_a_rerun(llm_server):
    llm_server.state.reset(group_empty=True)  # every part empty: each section is asked alone, the overview kept
    first = summarize_document(parse_text(PAPER), llm_settings(llm_server))
    assert not any(SYNTHESIS in u for u in _sent(llm_server)) and "Overall:" in first.overview
    n = len(llm_server.state.chat_requests)
    again = summarize_document(parse_text(PAPER), llm_settings(llm_server))
    assert len(llm_server.state.chat_requests) == n and again.overview == first.overview  # all from the cache


def test_a_part_that_repeats_the_instruction_is_not_a_summary(llm_server):
    llm_server.state.reset(echo_instruction=True)
    result = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=False))
    method = next(r for r in result.sections if r.title == "2 Method")
    assert method.status == "done" and "section's number" not in method.summary, method.summary
    assert any(u.startswith('Section "2 Method"') or '\nSection "2 Method"' in u for u in _sent(llm_server))


def test_parts_answered_with_one_and_the_same_summary_are_each_asked_alone(llm_server):
    llm_server.state.reset(group_same_summary=True)  # a weak model writes one text for every part
    result = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=False))
    done = [r for r in result.sections if r.ok]
    assert len(done) == 5 and len({r.summary for r in done}) == 5  # each from its own request
    assert len(_sent(llm_server)) == 6 and not any(r.asked_with for r in done)


def test_a_part_lacking_its_own_prompts_fields_is_not_done(llm_server):
    llm_server.state.reset(part_missing_field=True)  # the method's entry has no key_terms
    result = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=False))
    method = next(r for r in result.sections if r.title == "2 Method")
    assert method.status == "unstructured" and "key_terms" in method.note, (method.status, method.note)


def test_whole_paper_answers_are_cached_under_every_prompt_text_and_need_a_followed_schema(llm_server, monkeypatch):
    import summarizer.llm.backend as backend_module
    from summarizer.llm.backend import LLMBackend
    from summarizer.llm.prompts import PromptSet, default_prompts

    settings = llm_settings(llm_server)
    backend, doc = LLMBackend(settings), parse_text(PAPER)
    every = [i for i, s in enumerate(doc.sections) if s.summarizable]
    assert backend.whole_paper(doc, every)
    backend.schema_trusted = False  # an endpoint that ignores the schema: parts' fields could not be named
    assert not backend.whole_paper(doc, every)
    summarize_document(parse_text(PAPER), settings)
    changed = default_prompts()
    changed["synthesis"].system += " Name the datasets."  # a new release's default, say
    monkeypatch.setattr(backend_module, "default_prompts", lambda: changed)
    summarize_document(parse_text(PAPER), settings, backend=LLMBackend(settings, prompts=PromptSet(changed)))
    assert len(llm_server.state.chat_requests) == 2  # asked again, not served the old prompt's answer


def test_an_edited_section_prompt_is_honoured_not_folded_into_the_whole_request(llm_server, tmp_path):
    method = load_prompts().get("method")
    method.system += " Mention the index size."
    save_user_prompt(tmp_path, method)
    result = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=False, prompts_dir=str(tmp_path)))
    sent = [r.body for r in llm_server.state.chat_requests]
    assert len(sent) > 1 and any(SYNTHESIS in b["messages"][-1]["content"] for b in sent)
    assert any("Mention the index size." in b["messages"][0]["content"] for b in sent)
    assert next(r for r in result.sections if r.title == "2 Method").prompt == "method"


def test_papers_over_the_limit_news_and_the_switch_off_are_not_asked_whole(llm_server):
    for settings, text in ((llm_settings(llm_server, use_cache=False, whole_paper_below=50), PAPER),
                           (llm_settings(llm_server, use_cache=False, context_window=2800, length="long"), PAPER),  # no room to answer
                           (llm_settings(llm_server, use_cache=False, whole_paper_below=0), PAPER),
                           (llm_settings(llm_server, use_cache=False, group_below=0), PAPER)):
        llm_server.state.reset()
        summarize_document(parse_text(text), settings)
        sent = _sent(llm_server)
        assert len(sent) > 2 and any(SYNTHESIS in u for u in sent), settings
    article = replace(parse_text(PAPER), genre="article")  # news in five parts: its own prompt, no paper overview
    llm_server.state.reset()
    summarize_document(article, llm_settings(llm_server, use_cache=False))
    assert not any("overview" in json.dumps(r.body.get("response_format") or {}) for r in llm_server.state.chat_requests)


def test_the_instruction_names_each_focus_once_and_the_limits_hold():
    text = whole_instruction([("problem, gap", 150), ("inputs, steps", 180), ("inputs, steps", 180), ("", 130)], 200,
                             ["tldr", "results"])
    assert "[1] problem, gap, at most 150 words; [2, 3] inputs, steps, at most 180 words; [4] at most 130 words" in text
    assert "at most 200 words in all) with the fields tldr, results" in text
    assert whole_answer_fits([150] * 6, 200, 4096) and not whole_answer_fits([180] * 16, 200, 4096)  # would be cut
    assert whole_paper_fits([100, 200], 4000) and not whole_paper_fits([100], 4000)  # one section: asked alone
    assert not whole_paper_fits([3000, 1000], 4000) and not whole_paper_fits([10] * 17, 4000)


def test_an_overall_summary_in_the_answer_gets_the_synthesis_checks(llm_server):
    from summarizer.llm.backend import LLMBackend

    settings = llm_settings(llm_server, use_cache=False)
    backend, doc = LLMBackend(settings), parse_text(PAPER)
    synthesis = backend.prompts.get("synthesis")
    good = {"reasoning": "central claim", "tldr": "A sparse index answers queries in 12 ms at 0.91 recall.",
            "contributions": ["a pruned sparse index"], "method": "Postings are pruned at build time.",
            "results": "12 ms per query, recall 0.91.", "limitations": "", "audience": "retrieval engineers"}
    assert backend._checked_overview(good, synthesis, doc) == {k: v for k, v in good.items() if k != "reasoning"}
    assert backend._checked_overview({k: v for k, v in good.items() if k != "tldr"}, synthesis, doc) is None
    echoed = {**good, "tldr": synthesis.fields["tldr"], "results": synthesis.fields["results"]}
    assert backend._checked_overview(echoed, synthesis, doc) is None  # our own field descriptions, not an answer
    assert backend._checked_overview("not an object", synthesis, doc) is None
    sent = whole_instruction([("problem, gap", 150)], 200, list(synthesis.fields))  # what the request said
    listed = {**good, "contributions": ["a pruned sparse index", "At most 200 words in all."]}
    assert backend._checked_overview(listed, synthesis, doc, sent) is None  # a list item that is our instruction


def test_redoing_some_sections_asks_them_with_their_own_prompts(llm_server):
    settings = llm_settings(llm_server, use_cache=False)
    doc = parse_text(PAPER)
    first = summarize_document(doc, settings)
    llm_server.state.reset()
    again = summarize_document(doc, settings, only={1, 2}, previous=first)  # the introduction and the method
    bodies = [r.body for r in llm_server.state.chat_requests]
    assert not any("overview" in json.dumps(b.get("response_format") or {}) for b in bodies)
    assert [r.prompt for r in again.sections[1:3]] == ["introduction", "method"]
    assert again.sections[3].summary == first.sections[3].summary  # the others are kept as they were


def _asked(server) -> list[str]:
    """What each request was for: the section titles it carried, or the overall summary."""
    asked = []
    for user in _sent(server):
        if SYNTHESIS in user:
            asked.append("synthesis")
        else:
            asked.append(",".join(t for t in ("Abstract", "1 Introduction", "2 Method", "3 Experiments", "4 Conclusion")
                                  if t in user))
    return asked


def test_editing_one_section_prompt_after_a_whole_paper_run_re_asks_only_that_section(llm_server, tmp_path):
    """The cache promise holds in whole-paper mode: each part of the whole answer is kept under its own
    section's key, so an edit of the method prompt sends the method's request and the overall summary
    (which reads the changed summary), not every section again (issue #24: 6 requests were sent)."""
    first = summarize_document(parse_text(PAPER), llm_settings(llm_server, prompts_dir=str(tmp_path)))
    assert _asked(llm_server) == ["Abstract,1 Introduction,2 Method,3 Experiments,4 Conclusion"]
    method = load_prompts().get("method")
    method.system += " Mention the index size."
    save_user_prompt(tmp_path, method)
    llm_server.state.reset()
    again = summarize_document(parse_text(PAPER), llm_settings(llm_server, prompts_dir=str(tmp_path)))
    assert _asked(llm_server) == ["2 Method", "synthesis"]
    assert "Mention the index size." in llm_server.state.chat_requests[0].body["messages"][0]["content"]
    for old, new in zip(first.sections, again.sections):
        if new.title != "2 Method":  # the others: their answers from the whole paper's request, unchanged
            assert new.summary == old.summary and new.status == "cached" and new.prompt == old.prompt, new.title
    assert next(r for r in again.sections if r.title == "2 Method").status == "done"
    llm_server.state.reset()
    summarize_document(parse_text(PAPER), llm_settings(llm_server, prompts_dir=str(tmp_path)))
    assert _asked(llm_server) == []  # and the run after that is all from the cache


GROUPED = ("# Sparse Retrieval at Scale\n\n## Abstract\nWe present a sparse index that answers queries in 12 ms.\n\n"
           "## 1 Introduction\nDense retrieval is slow on large corpora. We close this gap with a sparse index.\n\n"
           "## 2 Method\nThe index has two parts, built once.\n\n"
           "### 2.1 Postings\nThe index stores 16 postings per term and prunes the rest at build time.\n\n"
           "### 2.2 Pruning\nPruning keeps the postings with the highest impact scores.\n\n"
           "### 2.3 Layout\nPostings are laid out in blocks of 128 for fast decoding.\n\n"
           "## 3 Conclusion\nSparse indexes remain competitive for retrieval.")


def test_choosing_another_prompt_for_one_grouped_section_re_asks_only_that_section(llm_server):
    """Group mode: the method's four small sections are asked in one request; choosing another prompt for
    one of them leaves a smaller group whose sections were each kept under their own key: not asked again."""
    from conftest import llm_settings_per_section

    doc = parse_text(GROUPED)
    titles = [s.title for s in doc.sections]
    summarize_document(doc, llm_settings_per_section(llm_server))
    grouped = [u for u in _sent(llm_server) if "2.1 Postings" in u and SYNTHESIS not in u]
    assert len(grouped) == 1 and "2.3 Layout" in grouped[0] and "2 Method" in grouped[0]  # one request for the four
    llm_server.state.reset()
    layout = titles.index("2.3 Layout")
    again = summarize_document(parse_text(GROUPED), llm_settings_per_section(llm_server), section_prompts={layout: "generic"})
    sent = [u for u in _sent(llm_server) if SYNTHESIS not in u]  # (the overall summary: only if its input changed)
    assert len(sent) == 1 and "2.3 Layout" in sent[0] and "2.1 Postings" not in sent[0] and "Pruning" not in sent[0]
    assert again.sections[layout].prompt == "generic"
    assert all(r.status == "cached" for i, r in enumerate(again.sections) if r.ok and i != layout)
    # choosing the method's prompt for the introduction puts it in the method's group: only it is asked
    llm_server.state.reset()
    intro = titles.index("1 Introduction")
    summarize_document(parse_text(GROUPED), llm_settings_per_section(llm_server), section_prompts={intro: "method"})
    sent = [u for u in _sent(llm_server) if SYNTHESIS not in u]
    assert len(sent) == 1 and "Dense retrieval is slow" in sent[0] and "16 postings" not in sent[0], sent
    # two sections of the group changed (their text, here): the others come from the cache, those two are
    # asked together, in one request
    llm_server.state.reset()
    changed = GROUPED.replace("highest impact scores", "highest impact scores per block").replace("blocks of 128", "blocks of 64")
    summarize_document(parse_text(changed), llm_settings_per_section(llm_server))
    sent = [u for u in _sent(llm_server) if SYNTHESIS not in u]
    assert len(sent) == 1 and "per block" in sent[0] and "blocks of 64" in sent[0] and "16 postings" not in sent[0], sent


def test_editing_the_overall_summary_prompt_after_a_whole_paper_run_asks_only_for_it(llm_server, tmp_path):
    summarize_document(parse_text(PAPER), llm_settings(llm_server, prompts_dir=str(tmp_path)))
    synthesis = load_prompts().get("synthesis")
    synthesis.system += " Name the datasets."
    save_user_prompt(tmp_path, synthesis)
    llm_server.state.reset()
    again = summarize_document(parse_text(PAPER), llm_settings(llm_server, prompts_dir=str(tmp_path)))
    assert _asked(llm_server) == ["synthesis"]  # every section's answer is the whole paper's, from the cache
    assert "Name the datasets." in llm_server.state.chat_requests[0].body["messages"][0]["content"]
    assert all(r.status == "cached" for r in again.sections if r.ok) and "Overall:" in again.overview


def test_the_models_key_numbers_reach_the_key_results_checked_and_cited(llm_server):
    """A served run's experiments answer carries ``key_numbers`` (the stand-in fills the schema's list with the
    section's opening words): its number, found in the section, is a key result cited to the section; the JSON
    and the Markdown show it as the model's."""
    from summarizer.output.render import render_markdown
    from summarizer.output.summary_json import summary_json

    doc = parse_text(PAPER)
    result = summarize_document(doc, llm_settings(llm_server, use_cache=False))
    experiments = next(r for r in result.sections if r.title == "3 Experiments")
    assert experiments.fields["key_numbers"] == ["On two corpora the index answers in 12"]
    rows = summary_json(doc, result, "")["key_results"]
    model = [r for r in rows if r["source"] == "model"]
    assert [(r["measure"], r["value"], r["citation"]) for r in model] == [
        ("On two corpora the index answers", "12", "[§3]")]
    assert "| On two corpora the index answers | 12 | — | \\[§3\\] |" in render_markdown(result)

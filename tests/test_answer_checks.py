"""Answer parsing and the checks an answer must pass before it is called a summary (issue #12).

The garbage examples are the kinds a real small model (SmolLM2-135M) returned; the sound examples
are every reference summary of the shared news corpus and every paper abstract, checked at once.
"""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from summarizer.llm import answer_checks
from summarizer.llm.answer_checks import AnswerContext, answer_problem, copied_from_one, echoed_field, schema_problems, strip_delimiters
from summarizer.llm.answers import parse_answer
from summarizer.llm.prompts import default_prompts
from summarizer.llm.requests import LANGUAGE_FIX, REASK, RECHECK, TERSE


def _ctx(prompt_name: str, source: str, max_words: int = 150) -> AnswerContext:
    p = default_prompts()[prompt_name]
    return AnswerContext([p.system, p.user, *p.fields.values(), RECHECK, TERSE, REASK, LANGUAGE_FIX], source, max_words)


SECTION = ("We propose a sparse retrieval index that stores section centroids and sentence postings. "
           "Queries are first matched against centroids, then only the postings of the best sections are read. "
           "On PubMed the index answers queries 4.2 times faster than BM25 with the same recall at 100. "
           "Building it takes one pass over the collection and twice the memory of an inverted file. "
           "Ablations show that the centroid stage alone explains most of the speed-up on long documents.")


def test_loose_prose_wrapped_and_cut_json_are_parsed():
    prose = 'Here is the JSON:\n```json\n{reasoning: "short", \'summary\': "- the index is fast",}\n```\nHope it helps'
    a = parse_answer(prose)
    assert a.ok and a.fields == {"summary": "- the index is fast"} and a.reasoning == "short"
    cut = parse_answer('{"reasoning": "r", "summary": "The index answers queries faster than BM25 with')
    assert cut.ok and cut.fields["summary"].startswith("The index answers")
    free = parse_answer("The index answers queries faster.")
    assert not free.ok and free.fields == {"summary": "The index answers queries faster."}


def test_reasoning_is_kept_apart_in_every_shape():
    a = parse_answer('<think>The user wants JSON. Let me think.</think>\n{"thinking": "t2", "analysis": "t3", "summary": "S"}',
                     reasoning="streamed thoughts")
    assert a.fields == {"summary": "S"}
    for part in ("streamed thoughts", "The user wants JSON", "t2", "t3"):
        assert part in a.reasoning
    cut = parse_answer("<think>I am still thinking when the tokens run out")
    assert cut.fields == {"summary": ""} and "still thinking" in cut.reasoning


@pytest.mark.parametrize("answer, expected", [
    ("", "empty"),
    ("1\n2\n3", "too short"),
    ("Summary", "too short"),
    (default_prompts()["method"].system.split(". ", 1)[1], "instructions"),
    ("Your previous answer was cut off. Be terse: reasoning under 15 words, summary under 40 words.", "instructions"),
    ("Markdown bullets: problem, approach, main result", "instructions"),
    ("one sentence", "instructions"),
    ("<section>\nWe propose a sparse retrieval index that stores section centroids.\n</section>", "delimiters"),
    ("The index is fast. " * 20, "over and over"),
    ("- the index\n- the index\n- the index\n- the index\n- the index", "over and over"),
    (SECTION, "copied the section text"),
])
def test_garbage_answers_are_named(answer, expected):
    assert expected in answer_problem(answer, _ctx("abstract", SECTION))


def test_a_sound_summary_passes_even_when_it_quotes_the_text():
    good = ("- A sparse index of section centroids and sentence postings.\n- Queries read only the best sections' "
            "postings.\n- On PubMed it answers queries 4.2 times faster than BM25 with the same recall at 100.")
    assert answer_problem(good, _ctx("abstract", SECTION)) == ""


def _news() -> list[dict]:
    items = []
    for lang in ("en", "zh"):
        path = CORPUS / "news" / f"{lang}.jsonl"
        if not path.exists():
            pytest.skip(f"the shared corpus is not at {path}")
        items += [json.loads(line) for line in path.open(encoding="utf-8")]
    return items


def test_no_corpus_reference_summary_is_called_garbage():
    """Every reference summary of every corpus article, and every paper abstract, passes the checks."""
    flagged = []
    for item in _news():
        problem = answer_problem(item["reference"], _ctx("news", item["article"], 120))
        if problem:
            flagged.append((item["id"], problem))
    papers = sorted((CORPUS / "papers").glob("*.json"))
    abstracts = [json.loads(p.read_text())for p in papers if p.name != "index.json"]
    for paper in abstracts:
        if paper.get("abstract"):
            problem = answer_problem(paper["abstract"], _ctx("abstract", paper["title"], 90))
            if problem:
                flagged.append((paper["slug"], problem))
    assert len(abstracts) >= 15 and not flagged


def test_delimiters_we_introduced_are_stripped():
    assert strip_delimiters("</section>\n- point one\n[part 2]\n- point two</parts>") == "- point one\n\n- point two"


def test_schema_from_fields_and_its_checks():
    method = default_prompts()["method"]
    schema = method.json_schema()
    assert list(schema["properties"]) == ["reasoning", "summary", "key_terms"]
    assert schema["properties"]["key_terms"]["type"] == "array" and schema["properties"]["summary"]["type"] == "string"
    assert schema["required"] == ["reasoning", "summary", "key_terms"] and schema["additionalProperties"] is False
    bounded = method.json_schema(max_chars=800)  # the local model's: every string must end
    assert bounded["properties"]["summary"]["maxLength"] == 800
    assert bounded["properties"]["key_terms"]["maxItems"] == 8 and bounded["properties"]["key_terms"]["items"]["maxLength"]
    assert bounded["properties"]["reasoning"]["maxLength"] < 800
    assert schema_problems({"summary": "s", "key_terms": ["a"]}, schema) == []
    assert schema_problems({"summary": "s"}, schema) == ["missing 'key_terms'"]
    assert schema_problems({"summary": ["s"], "key_terms": "a"}, schema) == ["'summary' is not text",
                                                                          "'key_terms' is not a list of strings"]


def test_field_descriptions_echoed_and_overview_copies_are_found():
    synthesis = default_prompts()["synthesis"]
    assert echoed_field({"tldr": "one or two sentences", "method": "a real method"}, synthesis.fields) == "tldr"
    assert echoed_field({"contributions": ["list of short phrases"]}, synthesis.fields) == "contributions"
    assert echoed_field({"tldr": "The index is 4.2 times faster."}, synthesis.fields) == ""
    summaries = ["The index answers queries 4.2 times faster than BM25 at equal recall.", "Another section entirely."]
    assert copied_from_one("The index answers queries 4.2 times faster than BM25 at equal recall.", summaries) == 0
    assert copied_from_one("A new index makes long-document search fast and keeps recall.", summaries) is None


def test_loose_json_answers_are_read_exactly_as_json5_reads_them():
    """Strict JSON goes to the fast stdlib parser; JSON5 (a string continued on the next line, single
    quotes, trailing commas) to json5, which reads it exactly; the repair library, a best effort,
    would keep the line continuation's backslash in the summary."""
    strict = parse_answer('{"reasoning": "r", "summary": "- A two-level index makes retrieval fast."}')
    assert strict.ok and strict.fields == {"summary": "- A two-level index makes retrieval fast."}
    loose = parse_answer("{'reasoning': 'r', 'summary': '- A two-level index \\\nmakes retrieval fast.',}")
    assert loose.ok and loose.fields == {"summary": "- A two-level index makes retrieval fast."}
    assert loose.reasoning == "r"


def test_a_list_item_that_is_our_instruction_is_an_echo_and_a_real_item_is_not():
    sent = "Summary: at most 90 words; at most 3 sentences. [1] problem, gap, contributions, at most 150 words"
    ctx = AnswerContext([sent], "The index stores 16 postings per term and prunes the rest at build time.", 90)
    assert answer_checks.echoed_item({"contributions": ["a pruned sparse index", "at most 150 words."]}, ctx) == "contributions"
    assert answer_checks.echoed_item({"key_terms": ["At most 3 sentences"]}, ctx) == "key_terms"
    assert answer_checks.echoed_item({"contributions": ["a pruned sparse index", "16 postings per term"], "summary": "at most"}, ctx) == ""


def test_summaries_that_repeat_one_another_are_found():
    same = "- The index answers queries in 12 ms."
    assert answer_checks.repeated_summaries([same, "- Recall is 0.91.", same.upper(), ""]) == {0, 2}
    assert answer_checks.repeated_summaries(["- A.", "- B."]) == set() and answer_checks.repeated_summaries(["", ""]) == set()


# ---- garbage a grammar-bound local model wrote in well-formed JSON and had marked done (issue #32) ----

def _section_ctx(brief: str = "") -> AnswerContext:
    p = default_prompts()["method"]
    source = SECTION + ("\n" + brief if brief else "")
    return AnswerContext([p.system, p.user, *p.fields.values(), RECHECK, TERSE, REASK, LANGUAGE_FIX], source, 180,
                         descriptions=tuple(p.fields.values()), field_names=tuple(p.fields), brief=brief)


@pytest.mark.parametrize("answer, expected", [
    # a field description followed by keywords
    ("Markdown bullets: inputs/outputs, steps, key equations in words, assumptions\n- sparse retrieval index\n"
     "- section centroids\n- sentence postings\n- PubMed queries\n- BM25 recall at 100\n- inverted file memory",
     "field description"),
    # paraphrased instructions
    ("- The index is summarized within the allowed word limit, which is 15 words per answer.", "its own instructions"),
    ("- Each answer field lists the index, in JSON, as required.", "its own instructions"),
    # delimiter and JSON fragments
    ('- The index reads centroids first.\n]}\n</section>\n<summary id="2">', "request format"),
    ('- The index reads centroids first. {"summary": "', "request format"),
    ("- The index reads centroids first.\n<part 2> Experiments\n- It is 4.2 times faster.", "request format"),
    # talk about the summary and the text's language instead of the text (SmolLM2 on a Chinese news article)
    ("**The article is written in Simplified Chinese.**\n\nThis summary of this article contains only the key numbers "
     "and no other parts of the article are included.", "its own instructions"),
    ("- The index reads centroids first.\n- This summary covers the method only.", "its own instructions"),
    # an invented quotation
    ('- The authors call it "the fastest index ever built for any collection".', "quoted words"),
    # no content word of the section at all
    ("- Photosynthesis converts sunlight into chemical energy inside chloroplasts of green plants.", "no content word"),
])
def test_local_model_garbage_is_named(answer, expected):
    assert expected in answer_problem(answer, _section_ctx())


def test_the_paper_brief_copied_as_a_section_summary_is_named():
    brief = ("This paper presents a learned tokenizer for scientific documents that halves the vocabulary "
             "while keeping downstream accuracy on twelve benchmarks.")
    copied = "- " + brief
    assert "brief" in answer_problem(copied, _section_ctx(brief))
    own = "- Queries are matched against centroids first, then the postings of the best sections are read."
    assert answer_problem(own, _section_ctx(brief)) == ""


@pytest.mark.parametrize("fields", [
    {"summary": "- ok", "key_terms": ["reasoning", "summary", "key_terms"]},  # field names as items
    {"summary": "- ok", "key_terms": ["{", "}"]},  # brackets as items
    {"summary": "- ok", "key_terms": ["centroids", "postings", "BM25", "centroids", "postings", "BM25"]},  # one list twice
])
def test_list_items_that_are_no_answer_are_named(fields):
    assert answer_checks.garbage_item(fields, _section_ctx()) == "key_terms"


def test_sound_answers_pass_the_new_rules():
    ctx = _section_ctx()
    good = ('- Queries are matched against "section centroids and sentence postings" of a sparse index.\n'
            "- It answers 4.2 times faster than BM25 at the same recall at 100 on PubMed.\n"
            "- Building costs one pass and twice an inverted file's memory.")
    assert answer_problem(good, ctx) == ""
    assert answer_checks.garbage_item({"key_terms": ["section centroids", "sentence postings", "BM25"]}, ctx) == ""
    # math and inline markup are not request debris; a Chinese summary of an English section is not "no overlap"
    assert answer_problem("- The speed-up is x < 5 on short documents and 4.2 on PubMed; memory is 2<sup>1</sup> times.", ctx) == ""
    assert answer_problem("- 该索引先匹配章节质心，再读取最佳章节的句子倒排表，在 PubMed 上比 BM25 快 4.2 倍。", ctx) == ""


def test_math_and_the_sources_own_brackets_are_not_request_debris():
    """TeX closes braces in pairs ($\\frac{a}{b^{2}}$) and a paper may write nested lists: a summary keeping
    them is sound (a math-heavy paper's sections were re-asked and could fail); JSON closers in prose are not."""
    ctx = _section_ctx()
    assert answer_problem("- The score of a section is $\\frac{s}{n^{2}}$ over its centroids, 4.2 times faster than BM25.",
                          ctx) == ""
    assert answer_problem("- Centroids are kept as \\(c_{i_{j}}\\) per section and `postings[[i]]` per sentence.", ctx) == ""
    nested = AnswerContext([], SECTION + " The partition is [[1, 2], [3, 4]] for two sections.", 180)
    assert answer_problem("- Sections are split as [[1, 2], [3, 4]], and centroids are read first.", nested) == ""
    assert "request format" in answer_problem("- Sections are split as [[1, 2], [3, 4]], centroids read first.", ctx)
    assert "request format" in answer_problem("- The index reads section centroids first, then sentence postings.\n}\n",
                                              nested)


def test_the_backend_refuses_garbage_items_before_calling_a_section_done():
    from summarizer.config.settings import Settings
    from summarizer.llm.answers import ParsedAnswer
    from summarizer.llm.backend import LLMBackend

    backend = LLMBackend(Settings(backend="llm", model="m", base_url="http://127.0.0.1:9/v1", api_key="k"))
    prompt = default_prompts()["method"]
    ctx = backend.context_for(prompt, {"section_text": SECTION, "title": "T", "brief": ""})
    answer = ParsedAnswer(fields={"summary": "- Queries read only the best sections' postings, 4.2 times faster than BM25.",
                                  "key_terms": ["{", "}"]})
    assert "key_terms" in backend.judge(answer, prompt, ctx)


def test_a_summary_that_says_what_language_its_sources_are_in_is_not_talk_about_instructions():
    """Only the summary speaking of itself is ("This summary covers …"); a faithful sentence about the text's own
    subjects is not, whatever words it uses."""
    answer = "- The index reads section centroids first; the articles it indexes are written in Chinese."
    assert "instructions" not in answer_problem(answer, _section_ctx())
    assert "instructions" in answer_problem("- The index reads centroids.\n**This summary** covers the method.", _section_ctx())

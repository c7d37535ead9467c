"""Page grounding of summary bullets (en, zh), its Markdown marks and JSON, and the coverage meter."""

from __future__ import annotations

import json

from summarizer.model.document import Block, Document, Section, nonspace
from summarizer.model.results import DocumentSummary, SectionResult
from summarizer.verify.grounding import NOT_FOUND, SUPPORT_THRESHOLD, ground_summary, mark_pages, page_mark

EN = Section("3 Method", "", kind="method", page_start=2, page_end=4, blocks=[
    Block("paragraph", "We train the parser on forty thousand scanned invoices. The training takes two days on one GPU.", 2),
    Block("table", "a | b | c", 3),
    Block("paragraph", "Errors fall by half when the layout model sees the page image. "
                       "Without the image, tables are the main source of mistakes.", 3),
    Block("paragraph", "A cache of rendered pages keeps the second pass cheap. It is shared by all workers.", 4, 5),
])
ZH = Section("二、方法", "", kind="method", page_start=5, page_end=6, blocks=[
    Block("paragraph", "我们在四万张扫描发票上训练解析器。训练在一块显卡上需要两天。", 5),
    Block("paragraph", "当版面模型看到页面图像时，错误减少了一半。没有图像时，表格是主要的错误来源。", 6),
])


def test_a_copied_sentence_gets_its_exact_page_and_full_score():
    [bullet] = ground_summary("- Errors fall by half when the layout model sees the page image.", EN, "en")
    assert bullet.pages == [3]
    assert bullet.support.score == 1.0 and bullet.found
    [short] = ground_summary("- It is shared by all workers.", EN, "en")  # too few terms to match by similarity
    assert short.pages == [4, 5] and short.found


def test_a_claim_joining_two_sentences_gets_both_pages():
    [bullet] = ground_summary("- Training on forty thousand scanned invoices takes two days; a cache of rendered "
                              "pages keeps the second pass cheap.", EN, "en")
    assert bullet.pages == [2, 4, 5] and bullet.found


def test_a_paraphrase_is_attributed_to_the_sentence_that_supports_it():
    summary = "- Showing the page image to the layout model halves the errors.\n- Training needs two GPU days."
    first, second = ground_summary(summary, EN, "en")
    assert first.pages == [3] and "layout model sees the page image" in first.support.sentence
    assert SUPPORT_THRESHOLD <= first.support.score < 1.0
    assert second.pages == [2] and "two days" in second.support.sentence


def test_a_claim_the_section_does_not_make_is_not_found():
    [bullet] = ground_summary("- The authors release a Rust crate for streaming tokenizers.", EN, "en")
    assert not bullet.found and bullet.pages == []
    assert bullet.support.score < SUPPORT_THRESHOLD
    assert bullet.as_json()["note"] == NOT_FOUND


def test_a_paragraph_continued_on_the_next_page_gives_both_pages():
    [bullet] = ground_summary("- A cache of rendered pages keeps the second pass cheap.", EN, "en")
    assert bullet.pages == [4, 5]
    assert page_mark(bullet.pages) == "(pp. 4–5)"


def test_where_the_parser_recorded_the_page_break_each_sentence_gets_its_own_page():
    text = "A cache of rendered pages keeps the second pass cheap. It is shared by all workers."
    turn = nonspace(text.split(" It is")[0])  # the second sentence starts on page 5
    section = Section("3 Method", "", kind="method", page_start=4, page_end=5,
                      blocks=[Block("paragraph", text, 4, 5, ((turn, 5),))])
    first, second = ground_summary("- A cache of rendered pages keeps the second pass cheap.\n"
                                   "- It is shared by all workers.", section, "en")
    assert first.pages == [4] and second.pages == [5]
    assert Block.from_json(json.loads(json.dumps(section.blocks[0].to_json()))) == section.blocks[0]


def test_chinese_bullets_are_attributed_by_character_bigrams():
    summary = "- 版面模型看到页面图像后，错误减半。\n- 解析器用四万张发票训练。\n- 作者发布了一个新的数据库系统。"
    image, train, unrelated = ground_summary(summary, ZH, "zh")
    assert image.pages == [6] and image.found
    assert train.pages == [5] and train.found
    assert not unrelated.found


def test_paragraphs_without_blocks_carry_the_section_pages():
    section = Section("Results", "The model wins on every benchmark.\n\nIt is also faster.", page_start=7, page_end=8)
    [bullet] = ground_summary("- The model wins on every benchmark.", section, "en")
    assert bullet.pages == [7, 8]


def test_labels_and_short_term_lists_are_not_claims():
    summary = "**Contributions:**\n- Errors fall by half when the layout model sees the page image.\n**Key terms:** OCR"
    bullets = ground_summary(summary, EN, "en")
    assert [b.line for b in bullets] == [1, 2]
    assert bullets[1].support is None  # too short to attribute, so neither a page nor "not found"


def test_markdown_marks_pages_and_unsupported_claims():
    summary = "- Errors fall by half when the layout model sees the page image.\n- The authors release a Rust crate."
    marked = mark_pages(summary, ground_summary(summary, EN, "en"))
    # the marks sit before the final stop, as in-text citations: each bullet is still a whole sentence
    assert marked.splitlines()[0].endswith("page image (p. 3).")
    assert marked.splitlines()[1].endswith(f"Rust crate *({NOT_FOUND})*.")


def _summary(section: Section, result: SectionResult) -> DocumentSummary:
    doc = Document("A paper", "paper.pdf", [section], page_count=9)
    return DocumentSummary(doc, "extractive", "Overall.", [result])


def test_rendered_markdown_and_json_carry_the_pages():
    from summarizer.output.render import render_markdown

    result = SectionResult(0, EN.title, "method", 1, "done",
                           summary="- Errors fall by half when the layout model sees the page image.")
    result.bullets = ground_summary(result.summary, EN, "en")
    markdown = render_markdown(_summary(EN, result))
    assert "- Errors fall by half when the layout model sees the page image (p. 3)." in markdown
    data = json.loads(json.dumps(result.to_json()))
    assert data["bullets"] == [{"text": "Errors fall by half when the layout model sees the page image.", "pages": [3],
                                "line": 0,
                                "support": {"sentence": "Errors fall by half when the layout model sees the page image.",
                                            "score": 1.0}}]


def test_coverage_names_what_was_read_and_what_was_not():
    from summarizer.output.render import render_markdown
    from summarizer.verify.coverage import coverage

    sections = [Section("1 Intro", "Text one."), Section("4 Long part", "Text four."), Section("6 Broken", "Six."),
                Section("References", "[1] A.", kind="references", included=False),
                Section("Figure 1: x", "A caption.", kind="caption"), Section("Figure 2: y", "A caption.", kind="caption")]
    doc = Document("P", "p.pdf", sections, notices=["Only the first 600 of 812 pages were read (the page limit)."])
    results = [SectionResult(0, "1 Intro", "other", 1, "done", summary="- a"),
               SectionResult(1, "4 Long part", "other", 1, "done", summary="- b", parts=3),
               SectionResult(2, "6 Broken", "other", 1, "failed", error="boom"),
               SectionResult(3, "References", "references", 1, "skipped"),
               SectionResult(4, "Figure 1: x", "caption", 1, "skipped"),
               SectionResult(5, "Figure 2: y", "caption", 1, "skipped")]
    summary = DocumentSummary(doc, "extractive", "Overall.", results)
    text = coverage(summary).describe()
    assert text.startswith("2 of 3 sections summarized; §4 split into 3 parts; 1 failed (§6)")
    assert "references and 2 captions skipped" in text
    assert "only the first 600 of 812 pages read" in text
    assert f"**Coverage:** {text}" in render_markdown(summary)


def test_a_corpus_paper_summary_has_every_bullet_on_a_page(corpus_dir):
    """Extractive bullets are copied sentences: every one is found verbatim, with a page."""
    from summarizer.config.settings import Settings
    from summarizer.inputs.loading import load_path
    from summarizer.run.engine import summarize_document

    result = summarize_document(load_path(corpus_dir / "casper-ffg.pdf"), Settings())
    bullets = [b for r in result.sections if r.ok for b in r.bullets]
    assert len(bullets) > 20
    assert all(b.found and b.support.score == 1.0 and b.pages for b in bullets)


def test_llm_bullets_are_grounded_through_the_engine(llm_server, paper_pdf):
    from conftest import llm_settings

    from summarizer.inputs.loading import load_bytes
    from summarizer.run.engine import summarize_document

    doc = load_bytes(paper_pdf, "sparrow.pdf")
    result = summarize_document(doc, llm_settings(llm_server))
    done = [r for r in result.sections if r.ok]
    assert done and all(r.bullets for r in done)
    for r in done:  # the stand-in model quotes the section's first words: each bullet is supported
        section = doc.sections[r.index]
        assert all(b.found and set(b.pages) <= set(range(section.page_start, (section.page_end or 99) + 1))
                   for b in r.bullets)


def test_bullets_survive_a_run_stored_in_history(tmp_path):
    """History stores section results as JSON; a reopened run keeps its pages and renders them."""
    from summarizer.config.settings import Settings
    from summarizer.output.render import render_markdown
    from summarizer.store.history import SQLiteHistory

    result = SectionResult(0, EN.title, "method", 1, "done",
                           summary="- Errors fall by half when the layout model sees the page image.")
    result.bullets = ground_summary(result.summary, EN, "en")
    doc = Document("A paper", "paper.pdf", [EN], page_count=9)
    store = SQLiteHistory(tmp_path / "history.db")
    run = store.start_run("me", doc, "hash", Settings(), plan=[result])
    store.record_section(run, result)
    [stored] = store.get_run("me", run).sections
    assert stored.result.bullets[0].pages == [3] and stored.result.bullets[0].found
    reopened = DocumentSummary(doc, "extractive", "Overall.", [stored.result])
    assert "page image (p. 3)." in render_markdown(reopened)

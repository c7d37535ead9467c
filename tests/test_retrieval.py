"""Passage retrieval for Q&A: BM25 over paragraphs, with section and page, en and zh."""

from __future__ import annotations

import random

from summarizer.model.document import Block, Document, Section
from summarizer.text.retrieval import PassageIndex, question_terms, section_label


def _doc() -> Document:
    return Document("Invoices", "inv.pdf", [
        Section("1 Introduction", "", kind="introduction", page_start=1, blocks=[
            Block("paragraph", "Invoices arrive as scans, photos and born-digital PDFs from thousands of suppliers.", 1)]),
        Section("3.2 Table extraction", "", kind="method", page_start=4, blocks=[
            Block("paragraph", "Line items are read from tables by a grid detector that finds ruling lines.", 4),
            Block("paragraph", "Tables without ruling lines are split by the whitespace between columns.", 5)]),
        Section("5 Limitations", "", kind="limitations", page_start=8, blocks=[
            Block("paragraph", "Handwritten amounts are still misread in one invoice out of twenty.", 8)]),
        Section("References", "", kind="references", page_start=9, blocks=[
            Block("paragraph", "[1] A. Smith. Tables and ruling lines in scanned invoices. 2019.", 9)]),
    ])


def test_section_labels_follow_the_heading_number():
    assert section_label("3.2 Table extraction") == "§3.2"
    assert section_label("IV. Results") == "§IV"
    assert section_label("Introduction") == "§Introduction"
    assert section_label("A Appendix") == "§A"


def test_the_best_passage_names_its_section_and_page():
    hits = PassageIndex(_doc()).search("How are tables without ruling lines split into columns?", k=3)
    best = hits[0].passage
    assert best.label == "§3.2" and best.page == 5
    assert best.citation == "[§3.2, p. 5]"
    assert hits[0].coverage > 0.5


def test_references_are_never_passages():
    index = PassageIndex(_doc())
    assert all(p.section_title != "References" for p in index.passages)
    assert all(h.passage.section_title != "References"
               for h in index.search("Smith tables ruling lines scanned invoices 2019", k=10))


def test_a_follow_up_keeps_the_subject_of_the_previous_question():
    index = PassageIndex(_doc())
    alone = index.search("How often does it still fail?", k=1)
    follow = index.search("How often does it still fail?", k=1, context="Are handwritten amounts read correctly?")
    assert follow[0].passage.label == "§5"
    assert not alone or alone[0].passage.label != "§5" or alone[0].score < follow[0].score


def test_long_paragraphs_are_cut_into_sentence_windows():
    long = " ".join(f"Sentence number {i} talks about topic {i} in some detail here." for i in range(60))
    doc = Document("Long", "l.pdf", [Section("2 Body", "", page_start=3, blocks=[Block("paragraph", long, 3)])])
    passages = PassageIndex(doc).passages
    assert len(passages) > 3
    assert all(len(p.text.split()) <= 200 for p in passages)
    assert " ".join(p.text for p in passages) == long


def test_chinese_questions_find_their_passage():
    doc = Document("发票", "zh.pdf", [
        Section("一、引言", "", kind="introduction", page_start=1, blocks=[
            Block("paragraph", "发票以扫描件、照片和电子文档的形式从数千家供应商处到达。", 1)]),
        Section("二、表格抽取", "", kind="method", page_start=4, blocks=[
            Block("paragraph", "没有表格线的表格按列之间的空白进行切分。", 4)]),
        Section("三、局限", "", kind="limitations", page_start=7, blocks=[
            Block("paragraph", "手写金额在二十张发票中仍有一张被误读。", 7)]),
    ], language="zh")
    hits = PassageIndex(doc).search("没有表格线的表格是如何切分的？", k=1)
    assert hits[0].passage.page == 4
    assert "如何" not in "".join(question_terms("没有表格线的表格是如何切分的？", "zh"))


def test_paraphrased_first_sentences_find_their_section_on_a_real_paper(corpus_dir):
    from summarizer.inputs.loading import load_path
    from summarizer.text.sentences import split_sentences

    doc = load_path(corpus_dir / "explainable-ml-kdd2019.pdf")
    index = PassageIndex(doc)
    rng = random.Random(3)
    asked = hits = 0
    for i, section in enumerate(doc.sections):
        if not section.summarizable or not section.paragraphs:
            continue
        first = split_sentences(section.paragraphs[0].text, doc.language)
        if not first or len(first[0].split()) < 6:
            continue
        words = [w for w in first[0].split() if rng.random() > 0.33]
        rng.shuffle(words)
        asked += 1
        hits += any(h.passage.section_index == i for h in index.search(" ".join(words), k=3))
    assert asked >= 10
    assert hits / asked >= 0.9

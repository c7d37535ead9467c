"""Tables and figures (issue #30): captions become floats while the PDF is parsed (at no cost to the parse); on
corpus pages with known tables and figures, ``locate_floats`` finds their regions and a table's cells; a number read
from a table cell is traced by the faithfulness check and an invented one still flagged; tables show under their
section in the Markdown; a paragraph opening "Figure 5 shows …" stays prose."""

from __future__ import annotations

import json
import re

import pytest
from conftest import CORPUS

from summarizer.model.document import Document, Float, FloatKind, Section
from summarizer.model.results import DocumentSummary, SectionResult
from summarizer.output.render import render_markdown
from summarizer.pdf.extract import CAPTION
from summarizer.pdf.floats import SIDEWAYS as SIDEWAYS_NOTE
from summarizer.pdf.floats import locate_floats, numbered
from summarizer.pdf.parser import parse_pdf
from summarizer.verify.section_checks import source_of, verify

PAPERS = CORPUS / "papers"


def _paper(slug: str):
    path = next(PAPERS.glob(f"{slug}*.pdf"), None)
    if path is None:
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return path.read_bytes(), json.loads(path.with_suffix(".json").read_text())


@pytest.mark.parametrize("text, kind, number", [
    ("Figure 5: Sparse, low-fidelity", FloatKind.FIGURE, "5"), ("Fig. SI 3. The comparison", FloatKind.FIGURE, "SI 3"),
    ("Figure 2.1: A pair of mesh patterns", FloatKind.FIGURE, "2.1"), ("TABLE IV", FloatKind.TABLE, "IV"),
    ("表1 实验结果", FloatKind.TABLE, "1"), ("图 2 模型结构", FloatKind.FIGURE, "2")])
def test_caption_numbers(text, kind, number):
    assert numbered(text) == (kind, number) and CAPTION.match(text)


def test_a_label_alone_on_its_block_is_a_caption():
    from summarizer.pdf.extract import LABEL_ONLY

    assert LABEL_ONLY.match("图9") and LABEL_ONLY.match("Fig. 8.") and numbered("图9") == (FloatKind.FIGURE, "9")
    assert not LABEL_ONLY.match("图9 所示") and not LABEL_ONLY.match("Figure 8 shows")


def test_a_paragraph_opening_with_a_figure_reference_is_prose_not_a_caption():
    assert not CAPTION.match("Figure 5 shows that the error falls") and not CAPTION.match("Table 3 lists the runs")


def test_every_table_of_a_paper_is_found_with_its_page_cells_and_section():
    data, meta = _paper("sentiment-tools-developer")
    doc = parse_pdf(data, "sentiment.pdf")
    tables = [f for f in doc.floats if f.kind == FloatKind.TABLE]
    assert {(f.number, f.page) for f in tables} == {(str(t["number"]), t["page"]) for t in meta["tables"]}
    assert all(f.bbox is None and not f.rows for f in tables)  # the parse only reads captions
    locate_floats(data, doc.floats)
    assert all(f.bbox and f.rows for f in tables)
    kappa = next(f for f in tables if f.number == "2")
    assert "Kappa" in kappa.caption and len(kappa.rows) >= 3 and kappa.section is not None
    assert sum(any(ch.isdigit() for ch in c) for row in kappa.rows for c in row) >= 4, kappa.rows  # its numbers


def test_figures_are_found_on_their_pages_with_a_region():
    data, meta = _paper("explainable-ml-kdd2019")
    doc = locate_floats_of(data)
    want = {(str(f["number"]), f["page"]) for f in meta["figures"]}
    got = {(f.number, f.page) for f in doc.floats if f.kind == FloatKind.FIGURE}
    assert len(want & got) >= 0.8 * len(want) and len(got - want) <= 1
    assert all(f.bbox for f in doc.floats if f.kind == FloatKind.FIGURE and (f.number, f.page) in want)


def locate_floats_of(data: bytes) -> Document:
    doc = parse_pdf(data, "paper.pdf")
    locate_floats(data, doc.floats)
    return doc


def _with_table() -> Document:
    section = Section("4 Results", "Our parser beats the baseline on both corpora, as Table 2 shows.", kind="results")
    table = Float(FloatKind.TABLE, "2", "Table 2: Accuracy per corpus", 6, (0, 0, 1, 1),
                  [["Corpus", "Ours", "Baseline"], ["News", "91.4", "87.2"], ["Papers", "88.9", "80.1"]], section=0)
    return Document("Parsing", "p.pdf", [section], floats=[table])


def test_a_number_read_from_a_table_cell_is_traced_and_an_invented_one_is_still_flagged():
    doc = _with_table()
    result = SectionResult(0, "4 Results", "results", 1)
    result.summary = "- The parser reaches 91.4 on news against 87.2 for the baseline, and 95.3 on papers."
    verify(result, source_of(doc, 0))
    assert result.unverified_numbers == ["95.3"]
    bare = Document("Parsing", "p.pdf", doc.sections)  # the same summary without the table: both numbers unsourced
    verify(result, source_of(bare, 0))
    assert "91.4" in result.unverified_numbers


def test_a_claim_whose_numbers_stand_in_a_table_row_points_at_the_tables_page_and_an_invented_one_does_not():
    from summarizer.output.render import marked_summary
    from summarizer.verify.section_checks import check_section

    doc = _with_table()
    doc.sections[0].text += " On papers it reaches 88.9 where the baseline stops at 80.1."
    doc.sections[0].page_start = doc.sections[0].page_end = 5
    result = SectionResult(0, "4 Results", "results", 1, status="done", cached=True)
    result.summary = ("- The parser scores 91.4 on news against 87.2 for the baseline.\n"
                      "- On papers the parser reaches 88.9 where the baseline stops at 80.1.\n"
                      "- It scores 95.3 on the web corpus.\n"
                      "- The baseline beats ours by 87 points on every corpus.\n- It gets 91.4 overall.")
    memo = {}
    cache = type("Memo", (), {"get": lambda self, k: memo.get(k), "set": lambda self, k, v: memo.__setitem__(k, v)})()
    rows, doc.floats[0].rows = doc.floats[0].rows, []
    check_section(result, doc, cache)  # before anyone read the table's cells: no table to point at
    assert result.bullets[0].pages != [6] and memo
    doc.floats[0].rows = rows
    check_section(result, doc, cache)  # the cells read since: the checks' memo of the run before is not reused
    table_row, sentence, invented, rounded, unnamed = result.bullets
    assert table_row.found and table_row.pages == [6] and table_row.support.sentence == \
        "Table 2: Corpus | Ours | Baseline / News | 91.4 | 87.2"
    assert sentence.pages == [5] and "88.9" in sentence.support.sentence  # its own sentence holds its numbers: kept
    assert not invented.found and invented.pages == []
    # "87 points" is not the row's 87.2; "91.4 overall" names nothing of the table: neither points at it
    assert rounded.pages != [6] and unnamed.pages != [6]
    assert "87.2 for the baseline (p. 6)." in marked_summary(result)


def test_tables_show_under_their_section_in_the_markdown_as_data():
    doc = _with_table()
    doc.floats[0].rows[1][0] = "<img src=x onerror=alert(1)>"
    result = SectionResult(0, "4 Results", "results", 1, status="done", summary="- The parser wins.")
    markdown = render_markdown(DocumentSummary(doc, "extractive", "", [result]))
    assert "**Table 2** (p. 6): Accuracy per corpus" in markdown and "| Papers | 88.9 | 80.1 |" in markdown
    assert "<img" not in markdown.replace("\\<img", "")
    back = Document.from_json(json.loads(json.dumps(doc.to_json())))
    assert back.floats[0].rows == doc.floats[0].rows and back.floats[0].label == "Table 2"


def test_a_figure_image_is_cut_from_its_page_and_a_huge_one_downsampled(paper_pdf):
    import pymupdf

    from summarizer.pdf.page_view import REGION_MAX_SIDE, render_region

    small = pymupdf.Pixmap(render_region(paper_pdf, 1, (72, 72, 272, 172)))
    assert (small.width, small.height) == (400, 200)  # 2x: 200 x 100 points
    huge = pymupdf.Pixmap(render_region(paper_pdf, 1, (0, 0, 595, 842), zoom=8.0))
    assert max(huge.width, huge.height) <= REGION_MAX_SIDE and huge.height > 1000


def test_ask_answers_from_a_read_table_and_cites_it():
    from summarizer.ask.qa import Asker
    from summarizer.config.settings import Settings

    doc = _with_table()
    doc.sections[0].text += " The method section explains the parser."
    turn = Asker(doc, Settings(backend="extractive")).ask("What accuracy does the parser reach on papers per corpus?")
    assert "[Table 2, p. 6]" in turn.answer, turn.answer
    assert "88.9" in turn.answer


def test_summarize_tables_writes_figures_beside_the_markdown_and_links_them(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    data, meta = _paper("radiotherapy-dose-rl-aime2024")
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(data)
    out = tmp_path / "notes" / "paper.md"
    out.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    proc = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(pdf), "--backend", "extractive",
                           "--tables", "-o", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**env, "SUMMARIZER_HOME": str(tmp_path / "home")})
    assert proc.returncode == 0, proc.stderr
    markdown = out.read_text(encoding="utf-8")
    links = [line[line.index("(") + 1:-1] for line in markdown.splitlines() if line.startswith("![Figure")]
    assert len(links) >= 0.8 * len(meta["figures"]) and all(link.startswith("paper_assets/") for link in links)
    for link in links:  # relative to the Markdown: the folder moves with it
        assert (out.parent / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "**Table 1** (p. 6)" in markdown and "|---|" in markdown


def test_key_results_are_the_papers_headline_numbers_with_their_source():
    from summarizer.inputs.text_parser import parse_text
    from summarizer.verify.key_results import key_results

    doc = parse_text("# Sparse Retrieval\n\n## Abstract\nWe present a sparse index for search.\n\n## 2 Method\nWe set "
                     "β = 2.0 and follow Section 3 of the 2019 study.\n\n## 4 Results\nTwo coders agreed on most labels. "
                     "We set the error weight "
                     "β = 2.0 for all runs, as the error of Section 3 showed. "
                     "The index answers queries in 12 ms, against 80 ms for the dense baseline. It reaches an F1 of 0.81 "
                     "compared with 0.74 for BM25. In 2021 the corpus grew.", "paper.md")
    rows = key_results(doc)
    assert [(r.measure, r.value, r.against) for r in rows] == [("ms", "12 ms", "80 ms for the dense baseline"),
                                                               ("f1", "0.81", "0.74 for BM25")]
    assert all(r.citation == "[§4]" and r.sentence in doc.text for r in rows)


def _table_paper(kind: str) -> bytes:
    """One page citing Table 1 whose caption is text, and under it: the table ruled with its cells as text ("ruled"),
    a picture of the table ("image"), nothing ("none"), or the same page set sideways by its /Rotate ("sideways");
    or the table and its caption turned a quarter on the upright page ("turned")."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 80), "1 Results", fontsize=12, fontname="hebo")
    prose = ["The costs of each method are given in Table 1 for every corpus we tried here.",
             "The method with the lowest cost is the sparse one, as the table shows for each."]
    for i in range(6):
        page.insert_text((72, 100 + 12 * i), prose[0], fontsize=10, fontname="tiro")
        page.insert_text((72, 400 + 12 * i), prose[1], fontsize=10, fontname="tiro")
    caption = "Table 1: Costs of each method on the two corpora."
    if kind == "turned":  # a landscape table on a portrait page, its caption turned with it: the ruled table, drawn
        landscape = pymupdf.open()  # upright on its own page, placed a quarter turned (the table finder reads it)
        table = landscape.new_page(width=400, height=140)
        table.insert_text((10, 20), caption, fontsize=10, fontname="tiro")
        _ruled_table(table, 10, 30)
        page.show_pdf_page(pymupdf.Rect(150, 190, 290, 590), landscape, 0, rotate=90)
        page.insert_text((20, 600), "arXiv:2101.00001v1 [cs.CL] 1 Jan 2021", fontsize=10, fontname="tiro", rotate=90)
    else:
        page.insert_text((72, 200), caption, fontsize=10, fontname="tiro")
    if kind == "image":
        picture = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 80), 0)
        picture.clear_with(200)
        page.insert_image(pymupdf.Rect(72, 210, 472, 370), pixmap=picture)
    elif kind == "sideways":
        page.set_rotation(90)
    elif kind == "ruled":
        _ruled_table(page, 72, 210)
    data = doc.tobytes()
    doc.close()
    return data


def _ruled_table(page, x: float, y: float) -> None:
    """A 3x3 table ruled on every side at (x, y): methods, their F1 and latency."""
    for r in range(4):
        page.draw_line((x, y + 20 * r), (x + 360, y + 20 * r))
        page.draw_line((x + 120 * r, y), (x + 120 * r, y + 60))
    for r, row in enumerate([["Method", "F1", "Latency (ms)"], ["Sparse", "0.81", "12"], ["Dense", "0.74", "80"]]):
        for c, text in enumerate(row):
            page.insert_text((x + 4 + 120 * c, y + 14 + 20 * r), text, fontsize=10, fontname="tiro")


@pytest.mark.parametrize("kind, why", [("image", "is an image, not text"), ("sideways", "set sideways"),
                                       ("turned", "set sideways"), ("none", "cells were not found")])
def test_a_table_whose_cells_cannot_be_read_says_why_under_its_caption(kind, why):
    from summarizer.pdf.floats import AN_IMAGE, NOT_FOUND, SIDEWAYS

    data = _table_paper(kind)
    doc = parse_pdf(data, "t.pdf")
    (table,) = locate_floats(data, doc.floats)
    assert table.label == "Table 1" and table.rows == [] and why in table.note
    assert "arXiv" not in json.dumps(doc.to_json())  # turned text that names no table (a stamp) is no caption
    assert table.note in (AN_IMAGE, SIDEWAYS, NOT_FOUND)
    result = SectionResult(0, doc.sections[0].title, "results", 1, status="done", summary="- The sparse method wins.")
    markdown = render_markdown(DocumentSummary(doc, "extractive", "", [result]))
    assert f"**Table 1** (p. 1): Costs of each method on the two corpora.\n\n*{table.note}*" in markdown
    assert Document.from_json(json.loads(json.dumps(doc.to_json()))).floats[0].note == table.note
    from summarizer.output.formats import export

    page = export(DocumentSummary(doc, "extractive", "", [result]), "html").decode()
    assert table.note.replace("'", "&#x27;") in page  # the Word and HTML exports say it under the caption too


def test_a_landscape_table_on_a_portrait_page_is_named_and_said_sideways_not_read_as_a_garble():
    """astropy's Table 1 (p. 40) is turned a quarter with its caption, which the body's lines leave out (as they do
    margins and arXiv stamps): the table is still named, on its page, and said to be sideways."""
    path = CORPUS / "papers" / "astropy-v5-paper.pdf"
    if not path.exists():
        pytest.skip("needs ../shared/corpus")
    data = path.read_bytes()
    doc = parse_pdf(data, path.name)
    (table,) = [f for f in doc.floats if f.label == "Table 1"]
    assert table.page == 40 and table.caption.startswith("Table 1. Registry of affiliated packages")
    locate_floats(data, [table])
    assert table.rows == [] and table.note == SIDEWAYS_NOTE


def test_a_table_read_cell_by_cell_carries_no_note_and_none_is_said_before_anyone_looked():
    assert all(f.note == "" for f in parse_pdf(_table_paper("none"), "t.pdf").floats)
    data = _table_paper("ruled")
    (table,) = locate_floats(data, parse_pdf(data, "t.pdf").floats)
    assert ["Sparse", "0.81", "12"] == [c for c in table.rows[1] if c] and table.note == ""


def test_a_results_table_read_cell_by_cell_gives_key_results_that_cite_it():
    from summarizer.verify.key_results import key_results

    data = _table_paper("ruled")
    doc = parse_pdf(data, "t.pdf")
    assert not [r for r in key_results(doc) if r.source == "table"]  # not read yet: nothing is made up
    locate_floats(data, doc.floats)
    rows = [(r.measure, r.value, r.against, r.citation, r.source) for r in key_results(doc)]
    assert rows[:2] == [("F1 (Sparse)", "0.81", "Dense 0.74", "[Table 1, p. 1]", "table"),
                        ("Latency (ms) (Sparse)", "12", "Dense 80", "[Table 1, p. 1]", "table")]
    result = SectionResult(0, doc.sections[0].title, "results", 1, status="done", summary="- The sparse method wins.")
    markdown = render_markdown(DocumentSummary(doc, "extractive", "", [result]))
    assert "## Key results" in markdown and r"| F1 (Sparse) | 0.81 | Dense 0.74 | \[Table 1, p. 1\] |" in markdown


def _results_table(*rows: list[str]) -> Float:
    return Float(FloatKind.TABLE, "2", "Table 2: Results on the test set.", 6, rows=[list(r) for r in rows])


def test_a_results_tables_headline_is_its_best_row_against_the_runner_up_in_the_direction_its_header_says():
    from summarizer.verify.table_headlines import table_headlines

    table = _results_table(["", "Scores", "", ""], ["Tool", "F1 ↑", "Error ↓", "Parameters"],
                           ["SentiStrength", "74.58%*", "0.21 ± 0.02", "3"], ["NLTK", "52.63%", "0.19", "5"],
                           ["Alchemy", "61.10%", "0.30", "7"])
    assert [(h.measure, h.value, h.against) for h in table_headlines(table)] == [
        ("Scores F1 ↑ (SentiStrength)", "74.58%", "Alchemy 61.10%"), ("Scores Error ↓ (NLTK)", "0.19", "SentiStrength 0.21")]
    spanned = _results_table(["", "Accuracy", ""], ["Method", "top-1", "Latency (ms)"], ["A", "0.90", "40"],
                             ["B", "0.80", "20"])  # "Accuracy" spans one column or two: the cells alone cannot say
    assert [(h.measure, h.value) for h in table_headlines(spanned)] == [("Accuracy top-1 (A)", "0.90"),
                                                                        ("Accuracy Latency (ms) (B)", "20")]


def test_a_results_tables_own_row_is_read_against_the_best_other_and_a_garbled_table_gives_nothing():
    from summarizer.verify.table_headlines import system_names, table_headlines

    ours = _results_table(["Method", "BLEU", "Params"], ["Transformer", "27.3", "65M"], ["ConvS2S", "26.4", "x"],
                          ["LinearNet (ours)", "26.9", "12"], ["RNN", "24.6", "8"])
    assert ours.rows[2][2] == "x" and [(h.measure, h.value, h.against) for h in table_headlines(ours)] == []  # unclean
    ours.rows[2][2] = "40"
    ours.rows[1][2] = "65"
    assert [(h.measure, h.value, h.against) for h in table_headlines(ours)] == [
        ("BLEU (LinearNet (ours))", "26.9", "Transformer 27.3")]  # "Params" says no better direction: no headline
    named = _results_table(["Method", "Accuracy"], ["LinearPartition", "0.71"], ["Vienna", "0.74"], ["CONTRAfold", "0.69"])
    names = system_names("LinearPartition: Linear-Time Approximation of RNA Folding Partition Function")
    assert names == ("LinearPartition",) and system_names("Compiling Files in Parallel with GCC") == ()
    bert = _results_table(["Model", "F1"], ["RoBERTa", "84.0"], ["GPT", "88.3"], ["ELMo", "80.1"])
    assert [h.measure for h in table_headlines(bert, ("BERT",))] == ["F1 (GPT)"]  # "RoBERTa" is not BERT's own row
    thousands = _results_table(["System", "Throughput (tokens/s) ↑"], ["A", "1,234"], ["B", "987"], ["C", "850"])
    assert [(h.measure, h.value) for h in table_headlines(thousands)] == [("Throughput (tokens/s) ↑ (A)", "1,234")]
    assert [(h.measure, h.value, h.against) for h in table_headlines(named, names)] == [
        ("Accuracy (LinearPartition)", "0.71", "Vienna 0.74")]
    garbled = _results_table(["", "CoNLL r ρ", "SEEDA r ρ"], ["", "Alignment-based F-", "87 0.616 0.51 87 0"],
                             ["", "n-gram-based F-sco", "98 0.920 0.90 13 0"])
    assert table_headlines(garbled) == []


def test_the_models_key_numbers_are_kept_only_where_the_paper_has_them_and_cited_where_they_stand():
    from summarizer.inputs.text_parser import parse_text
    from summarizer.output.summary_json import summary_json
    from summarizer.verify.key_results import key_results

    doc = parse_text("# Sparse Retrieval\n\n## Abstract\nWe present a sparse index for search.\n\n## 4 Results\n"
                     "Two coders agreed on most labels. The index answers queries in 12 ms, against 80 ms for the dense "
                     "baseline. It reaches an F1 of 0.81 compared with 0.74 for BM25. Section 2 gives the setup. "
                     "Without pruning, recall changes by −2.3 points.", "paper.md")
    index = next(i for i, s in enumerate(doc.sections) if s.kind == "results")
    answer = {"summary": "- The index is fast.",
              "key_numbers": ["F1 of 0.81 vs 0.70 for BM25", "F1 of 0.8 vs 0.74 for BM25", "latency of 2 s",
                              "F1 of 0.81 vs 0.74 for BM25", "Recall of 0.93 on MS MARCO", "query latency: 12 ms",
                              "GPT-4 answers in 80 ms", "a change of -12 ms", "recall change of -2.3 points"]}
    result = SectionResult(index, doc.sections[index].title, "results", 2, status="done", summary=answer["summary"],
                           fields=answer)
    rows = key_results(doc, [result])
    assert [(r.measure, r.value, r.against, r.citation, r.source) for r in rows] == [
        ("F1", "0.81", "0.74 for BM25", "[§4]", "model"), ("query latency", "12 ms", "", "[§4]", "model"),
        ("GPT-4 answers", "80 ms", "", "[§4]", "model"), ("recall change", "-2.3 points", "", "[§4]", "model")]
    shown = json.dumps([r.as_json() for r in rows])
    # a line with an invented or rounded number ("0.8" for 0.81), or a reference's number ("Section 2"), is no key result
    assert not re.search(r"0\.93|0\.70|0\.8\b|2 s|-12", shown)  # nor a sign the paper does not write
    failed = SectionResult(index, doc.sections[index].title, "results", 2, status="failed", fields=answer)
    assert {r.source for r in key_results(doc, [failed])} == {"text"}  # a failed answer's fields are not read
    assert r"| F1 | 0.81 | 0.74 for BM25 | \[§4\] |" in render_markdown(DocumentSummary(doc, "llm", "", [result]))
    data = summary_json(doc, DocumentSummary(doc, "llm", "", [result]), "")
    assert data["key_results"][0]["source"] == "model" and data["key_results"][0]["value"] == "0.81"


def test_a_summary_names_its_tables_and_figures_as_links_to_them_and_only_to_those_the_paper_has():
    from summarizer.output.render import section_view
    from summarizer.pdf.page_view import float_anchor, float_target

    doc = _with_table()
    labels = {f.label for f in doc.floats}
    assert float_anchor("Table 2") == "#fr-table-2" and float_anchor("Figure 3B") == "#fr-figure-3B"
    result = SectionResult(0, "4 Results", "results", 1, status="done",
                           summary="- Table 2 and Fig. 4 give the accuracy; 表 2 too. Tables 2x is no table.\n"
                                   "- <b>Table 2</b> [x](javascript:alert(1))")
    view = section_view(result, None, lambda label: float_anchor(label) if label in labels else None)
    assert '[Table 2](#fr-table-2 "show table 2")' in view and '[表 2](#fr-table-2 "show table 2")' in view
    assert "[Fig. 4]" not in view and "Fig. 4" in view  # the paper has no Figure 4: no link
    assert not re.search(r"(?<!\\)\[[^\]]*\]\(javascript", view) and "<b>" not in view  # the summary's own stays text
    assert float_target(doc.floats, "#fr-table-2") is doc.floats[0] and float_target(doc.floats, "fr-table-2")
    for anchor in ("#fr-figure-2", "#fr-table-9", "#fr-table-2; drop", "#pm-0-1", None, 3):
        assert float_target(doc.floats, anchor) is None
    assert "fr-" not in section_view(result)  # without a PDF to cut them from, no links


def test_chinese_words_that_end_in_table_or_figure_are_not_references_to_one():
    """代表 2 ("represents 2"), 发表 2 ("published 2"), 地图 3 ("map 3") name no table or figure; 如表 2 and 附表 1
    do; 表 12 is not 表 1, and 表 2.1 is not 表 2."""
    from summarizer.output.render import link_float_mentions
    from summarizer.pdf.floats import assign_sections

    link = lambda label: f"#{label}"  # noqa: E731
    words = "这代表 2 种方法, 发表 2 篇, 地图 3 显示, 试图 2 次, 外表 2 处"
    assert link_float_mentions(words, link) == words
    # 此外 / 另外 ("besides") end in 外, yet 此外表 2 is "besides, table 2", not 外表 ("appearance")
    assert link_float_mentions("此外表 2 和另外表 3", link) == (
        '此外[表 2](#Table 2 "show table 2") 和另外[表 3](#Table 3 "show table 3")')
    assert link_float_mentions("如表 2 所示, 见图3, 附表 1", link) == (
        '如[表 2](#Table 2 "show table 2") 所示, 见[图3](#Figure 3 "show figure 3"), 附[表 1](#Table 1 "show table 1")')
    assert link_float_mentions("表 12 和表 2.1", lambda label: f"#{label}" if label == "Table 1" or label == "Table 2" else None) \
        == "表 12 和表 2.1"
    sections = [Section("引言", "本文代表 1 种新方法, 已发表 1 篇论文。", kind="introduction"),
                Section("实验", "结果如表 1 所示, 图 1 为地图。", kind="results")]
    floats = [Float(FloatKind.TABLE, "1", "表 1 结果", 3, None, []), Float(FloatKind.FIGURE, "1", "图 1 地图", 3, None, [])]
    doc = Document("论文", "p.pdf", sections, floats=floats)
    assert [f.section for f in assign_sections(doc, floats)] == [1, 1]  # cited by 实验, not by 代表 1 / 发表 1 of 引言


def test_a_model_key_number_is_cited_where_it_stands_as_written_not_where_a_longer_number_starts_with_it():
    """The model's "0.81" points at the sentence that writes 0.81 (p. 2), not at an earlier 0.815."""
    from pdf_factory import build_pdf

    from summarizer.pdf.parser import parse_pdf
    from summarizer.verify.key_results import _found_at

    first = [("Sparse Retrieval for News", 72, 40, 450, 18, "tibo"), ("4 Results", 72, 90, 450, 13, "tibo"),
             ("On news the index reaches an F1 of 0.815 after tuning, and the dense baseline stays far behind it in "
              "every run we made this year.", 72, 110, 450, 10, "tiro")]
    second = [("On papers the index reaches an F1 of 0.81 against 0.74 for the dense baseline in every run we made.",
               72, 60, 450, 10, "tiro")]
    doc = parse_pdf(build_pdf([first, second]))
    index = next(i for i, s in enumerate(doc.sections) if s.kind == "results")
    assert _found_at(doc, index, "0.81")[1] == 2

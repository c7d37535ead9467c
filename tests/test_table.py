"""The literature table (issue #29): columns, offline cells (en, zh) and "not reported", the model's cells
through the stand-in server (one request per paper plus one synthesis; a new column asks only for itself;
a cited passage never sent is refused), the synthesis' citations, duplicates, unreadable papers, exports and
the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from llm_server import LLMServer, rough_tokens
from pdf_factory import make_paper

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.model.errors import InputError
from summarizer.output.citation import paper_year
from summarizer.table.build import PaperInput, TableBuilder
from summarizer.table.columns import Column, ColumnError, check_columns, default_columns, parse_column_set
from summarizer.table.export import to_csv, to_markdown, to_xlsx
from summarizer.table.model import CellStatus, LiteratureTable, Method
from summarizer.table.offline import offline_cell
from summarizer.table.papers import PaperIndex
from summarizer.table.synthesis import check_citations, number_conflicts, offline_synthesis

PARKS = ("# Parks Cool Their Streets\n\n## Abstract\nIn this paper we ask how far the cooling of a city park reaches "
         "into the streets around it. Parks larger than two hectares lowered nearby street temperatures by 1.8 degrees.\n\n"
         "## 2 Method\nWe placed 40 sensors on streets at 50 to 400 metres from six parks and recorded the air "
         "temperature every ten minutes.\n\n## 3 Results\nStreets within 100 metres of a large park were 1.8 degrees "
         "cooler than streets 400 metres away. Small parks cooled only the streets that touched them.\n\n"
         "## 4 Limitations\nA limitation of this study is that all six parks were in one city with a mild climate.")
TREES = ("# Street Trees and Summer Heat\n\n## Abstract\nIn this paper we ask whether street trees cool pavements as "
         "much as parks cool streets. Tree-lined streets were 2.5 degrees cooler at noon.\n\n## 2 Method\nWe measured "
         "surface temperature with a thermal camera on 30 streets with and without trees.\n\n## 3 Results\nTree-lined "
         "streets were 2.5 degrees cooler at noon, and the benefit vanished after sunset.")
ZH = ("# 城市公园的降温效应\n\n## 摘要\n本文研究城市公园对周边街道温度的影响。研究发现面积超过两公顷的公园可使周边街道降温1.8摄氏度。\n\n"
      "## 方法\n我们在六个公园周边的街道上布置了40个温度传感器，每十分钟记录一次气温。\n\n"
      "## 结果\n距离大型公园100米以内的街道比400米外的街道低1.8摄氏度。")


def _papers(*texts: str) -> list[PaperInput]:
    return [PaperInput(f"paper{i}.md", parse_text(t, f"paper{i}.md")) for i, t in enumerate(texts)]


def _column(name: str) -> Column:
    return next(c for c in default_columns() if c.name == name)


# -- columns ---------------------------------------------------------------------------------------------------
def test_default_columns_and_a_column_set_file():
    assert [c.key for c in default_columns()] == ["research_question", "method", "data_or_setting", "key_results",
                                                  "limitations", "code_or_data_availability"]
    name, columns = parse_column_set('{name: "mine", columns: [{name: "Sample size", description: "the number of '
                                     'participants studied"}]}')
    assert name == "mine" and columns[0].key == "sample_size"


@pytest.mark.parametrize("column, says", [
    (Column("Sample size", ""), "has no description"),
    (Column("Sample size", "size"), "too short"),
    (Column("Sample size", "the number of participants " * 40), "too long"),
    (Column("", "the number of participants"), "no name"),
])
def test_a_column_that_cannot_be_used_is_refused_in_one_sentence(column, says):
    with pytest.raises(ColumnError) as err:
        check_columns([column])
    assert says in str(err.value) and "\n" not in str(err.value)


def test_two_columns_of_one_name_are_refused():
    with pytest.raises(ColumnError, match="Two columns"):
        check_columns([Column("Size", "the number of participants"), Column("size", "how many samples were taken")])


# -- offline cells ---------------------------------------------------------------------------------------------
def test_offline_cells_quote_the_papers_sentence_with_its_section_en_and_zh():
    index = PaperIndex(parse_text(PARKS, "parks.md"))
    question = offline_cell(index, _column("Research question"))
    assert question.status == CellStatus.FOUND and question.method == Method.QUOTE
    assert question.answer.startswith("In this paper we ask how far the cooling") and question.source.label == "§Abstract"
    results = offline_cell(index, _column("Key results"))
    assert "1.8 degrees" in results.answer  # a numeric column: a sentence with its number
    limits = offline_cell(index, _column("Limitations"))
    assert limits.answer.startswith("A limitation of this study") and limits.source.label == "§4"
    zh = PaperIndex(parse_text(ZH, "zh.md"))
    cell = offline_cell(zh, Column("降温幅度", "公园使周边街道降温的幅度（摄氏度）", numeric=True))
    assert cell.status == CellStatus.FOUND and "1.8摄氏度" in cell.answer


def test_a_column_the_paper_does_not_report_says_so_and_never_quotes_an_unrelated_sentence():
    index = PaperIndex(parse_text(PARKS, "parks.md"))
    code = offline_cell(index, _column("Code or data availability"))
    assert code.status == CellStatus.NOT_REPORTED and code.answer == "" and code.source is None
    funding = offline_cell(index, Column("Funding", "which agency or grant funded the research"))
    assert funding.status == CellStatus.NOT_REPORTED
    # one word in common ("sensors") is not the answer: the nearest sentence is never quoted for want of a better
    sponsor = offline_cell(index, Column("Sponsor", "which agency or grant paid for the sensors"))
    assert sponsor.status == CellStatus.NOT_REPORTED, sponsor.answer


def test_paper_year_from_the_arxiv_id_or_the_first_page():
    assert paper_year(parse_text("# T\n\n## Abstract\narXiv:2103.01234v2 We study parks in 2019 and 2020.", "x.md")) == "2021"
    assert paper_year(parse_text("# T\n\n## Abstract\nPublished in 2019. Data from 1998.", "x.md")) == "2019"
    assert paper_year(parse_text("# T\n\n## Abstract\nNo year here at all, only words.", "x.md")) == ""


# -- building, duplicates, bad papers, exports -----------------------------------------------------------------
def test_offline_table_merges_duplicates_keeps_unreadable_papers_and_exports_every_citation(tmp_path):
    papers = _papers(PARKS, TREES, PARKS) + [PaperInput("broken.pdf", error="The PDF is damaged.")]
    table = TableBuilder(Settings(backend="extractive"), default_columns()).build(papers)
    assert [r.key for r in table.rows] == ["P1", "P2", "P3"] and table.rows[2].error == "The PDF is damaged."
    assert table.notes == ["'paper2.md' is the same paper as P1; it is one row."]
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows[0][:6] == ["Paper", "Title", "Authors", "Year", "Source", "Key"]
    assert rows[1][5] == table.rows[0].citekey and rows[1][5].isascii() and rows[1][5] != rows[2][5]
    assert rows[3][6].startswith("not read: The PDF is damaged.")
    for cell in rows[1][6:] + rows[2][6:]:
        assert cell == "not reported" or "[§" in cell, cell
    markdown = to_markdown(table)
    assert "| P1 | Parks Cool Their Streets" in markdown and "## Synthesis" in markdown
    back = LiteratureTable.from_json(json.loads(json.dumps(table.as_json())))
    assert back.as_json() == table.as_json()
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(to_xlsx(table)))
    assert book["table"]["G2"].value == rows[1][6] and book["synthesis"]["A1"].value


def test_document_text_is_data_in_every_export():
    hostile = PARKS.replace("Parks Cool Their Streets", "=HYPERLINK(\"http://x\") <img src=x onerror=alert(1)>")
    table = TableBuilder(Settings(backend="extractive"), default_columns()).build(_papers(hostile, TREES))
    import re

    markdown = to_markdown(table)
    assert "\\<img" in markdown and not re.search(r"(?<!\\)<img", markdown)  # shown as text, never a tag
    assert list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))[1][1].startswith("'=")


def test_more_than_fifty_papers_are_refused_in_one_sentence():
    with pytest.raises(InputError, match="at most 50 papers"):
        TableBuilder(Settings(backend="extractive"), default_columns()).build(_papers(*[PARKS + f" {i}" for i in range(51)]))


def test_stop_keeps_the_rows_filled_and_marks_the_table_stopped():
    import threading

    stop = threading.Event()
    table = TableBuilder(Settings(backend="extractive"), default_columns()).build(
        _papers(PARKS, TREES), on_row=lambda row, done, total: stop.set(), stop=stop)
    assert table.stopped and table.rows[0].cells and not table.rows[1].cells and not table.synthesis.text


# -- synthesis -------------------------------------------------------------------------------------------------
def test_offline_synthesis_cites_papers_and_flags_conflicting_numbers():
    table = TableBuilder(Settings(backend="extractive"), default_columns()).build(_papers(PARKS, TREES))
    text = table.synthesis.text
    assert "**Research question**" in text and "[P1 §Abstract" in text and "[P2 §Abstract" in text
    conflicts = number_conflicts(table)
    results = [c for c in conflicts if c.column == "Key results"]
    assert results and {p for p, _, _ in results[0].values} == {"P1", "P2"}
    assert offline_synthesis(table).conflicts == conflicts


def test_synthesis_citations_naming_no_paper_or_page_of_the_table_are_dropped():
    table = TableBuilder(Settings(backend="extractive"), default_columns()).build(_papers(PARKS, TREES))
    # text papers have no pages: a page is a citation of nothing in them
    text, dropped = check_citations("Both cool streets [P1 §Abstract; P2 §Abstract]. Trees [P9 §1, p. 1]. "
                                    "Parks [P1 §7]. Sensors [P1 §2, p. 3].", table)
    assert "[P1 §Abstract; P2 §Abstract]" in text and "P9" not in text and "§7" not in text and "p. 3" not in text
    assert dropped == ["P9 §1, p. 1", "P1 §7", "P1 §2, p. 3"]


# -- the model, through the stand-in server --------------------------------------------------------------------
def _llm(server) -> Settings:
    return Settings(backend="llm", base_url=server.base_url, model="test-model", api_key="sk-test", context_window=16000)


def test_one_request_per_paper_and_one_synthesis_then_a_new_column_asks_only_for_itself(tmp_path):
    papers = _papers(PARKS, TREES, ZH)
    with LLMServer() as server:
        builder = TableBuilder(_llm(server), default_columns())
        estimate = builder.estimate(papers)
        assert estimate.requests == 4 and estimate.tokens_in > 0
        table = builder.build(papers)
        assert len(server.state.chat_requests) == 4 and table.usage.requests == 4
        assert {r.key for r in table.rows} == {"P1", "P2", "P3"}
        found = [c for r in table.rows for c in r.cells.values() if c.status == CellStatus.FOUND]
        assert found and all(c.method == Method.MODEL and c.source and c.source.text for c in found)
        assert table.synthesis.method == Method.MODEL and "[P1" in table.synthesis.text
        asked = server.state.chat_requests[0].body["response_format"]["json_schema"]["schema"]
        assert asked["required"] == [c.key for c in default_columns()]
        before = len(server.state.chat_requests)
        wider = TableBuilder(_llm(server), [*default_columns(), Column("Sample size", "the number of sensors or streets studied")])
        assert wider.estimate(papers).cached_cells == 18
        again = wider.build(papers, synthesize=False)
        sent = server.state.chat_requests[before:]
        assert len(sent) == 3  # one per paper, for the new column only
        assert all(r.body["response_format"]["json_schema"]["schema"]["required"] == ["sample_size"] for r in sent)
        assert again.usage.cached_cells == 18 and all(len(r.cells) == 7 for r in again.rows)


def test_an_answer_citing_a_passage_never_sent_is_grounded_or_refused_and_bad_synthesis_citations_dropped():
    with LLMServer(table_uncited=True) as server:
        table = TableBuilder(_llm(server).replace(use_cache=False), default_columns()).build(_papers(PARKS, TREES))
    cells = [c for r in table.rows for c in r.cells.values()]
    for cell in cells:  # the stand-in quotes a sent passage but names passage 99: grounded to the passage it quotes
        assert cell.status != CellStatus.FOUND or cell.source.text.split()[0] in cell.answer
    assert "P99" not in table.synthesis.text and "P99 §1, p. 1" in table.synthesis.dropped_citations
    assert "[P1 §Abstract]" in table.synthesis.text and "  " not in table.synthesis.text


def test_a_failing_endpoint_fails_cells_with_the_reason_and_the_table_still_comes_back():
    settings = Settings(backend="llm", base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-x", context_window=8000,
                        max_attempts=1, use_cache=False)
    table = TableBuilder(settings, default_columns()[:2]).build(_papers(PARKS, TREES))
    cells = [c for r in table.rows for c in r.cells.values()]
    assert cells and all(c.status == CellStatus.FAILED and c.note for c in cells)


# -- the CLI ---------------------------------------------------------------------------------------------------
def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    env["SUMMARIZER_HOME"] = str(tmp_path / "home")
    return subprocess.run([sys.executable, "-m", "summarizer", "table", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_cli_writes_the_table_with_a_user_column_and_keeps_it_in_history(tmp_path):
    a = tmp_path / "parks.pdf"
    a.write_bytes(make_paper([("Abstract", 1, PARKS.split("## Abstract\n")[1].split("\n\n")[0]),
                              ("3 Results", 1, "Streets within 100 metres of a large park were 1.8 degrees cooler.")],
                             title="Parks Cool Their Streets"))
    b = tmp_path / "trees.md"
    b.write_text(TREES, encoding="utf-8")
    out = tmp_path / "table.csv"
    proc = _cli(tmp_path, str(a), str(b), "--backend", "extractive", "--format", "csv", "-o", str(out),
                "--column", "Instrument: the sensor or camera used to measure temperature")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "Instrument" and "thermal camera" in rows[2][-1] and "[§2]" in rows[2][-1]
    assert "offline" in proc.stderr and "Traceback" not in proc.stderr
    from summarizer.store.history import SQLiteHistory

    assert SQLiteHistory(tmp_path / "home" / "data" / "history.db").list_tables("cli")


@pytest.mark.parametrize("args, says", [
    (["only-one.md"], "at least 2 papers"),
    (["a.md", "b.md", "--column", "Size"], "Write a column as"),
    (["a.md", "b.md", "--column", "Size: "], "has no description"),
    (["a.md", "b.md", "--format", "xlsx"], "needs a file"),
])
def test_cli_bad_input_is_one_line(tmp_path, args, says):
    for name in ("a.md", "b.md", "only-one.md"):
        (tmp_path / name).write_text(PARKS, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "summarizer", "table", *args, "--backend", "extractive"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "SUMMARIZER_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0 and says in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_paper_summarized_before_brings_its_section_summaries_into_its_request():
    parks, trees = _papers(PARKS, TREES)
    parks.summaries = {1: "Forty sensors on streets near six parks logged air temperature every ten minutes."}
    with LLMServer() as server:
        TableBuilder(_llm(server).replace(use_cache=False), default_columns()[:2]).build([parks, trees], synthesize=False)
    sent = {r.body["messages"][-1]["content"].split("\n", 1)[0]: r.body["messages"][-1]["content"]
            for r in server.state.chat_requests}
    assert "2 Method: Forty sensors on streets near six parks" in sent["Paper: Parks Cool Their Streets"]
    assert "<summaries>\n(none)\n</summaries>" in sent["Paper: Street Trees and Summer Heat"]


def test_a_small_context_window_still_fills_every_paper_and_a_window_too_small_says_what_to_change():
    longer = "\n\n".join(" ".join(f"Street {k}-{j} of the survey had {k + j} trees, {k * 7 + j} parked cars and a "
                                  f"limitation of {k} sensors in the shade, which the method of the study describes "
                                  "with the data it recorded." for j in range(4)) for k in range(30))
    papers = _papers(PARKS + "\n\n## 5 Discussion\n" + longer, TREES + "\n\n## 4 Discussion\n" + longer, ZH)
    with LLMServer() as server:
        small = _llm(server).replace(context_window=2048, use_cache=False)
        table = TableBuilder(small, default_columns()).build(papers, synthesize=False)
        assert len(server.state.chat_requests) == 3  # one per paper, never all papers in one prompt
        assert all(rough_tokens(r.body["messages"]) + r.body["max_tokens"] <= 2048 for r in server.state.chat_requests)
        assert sum(c.status == CellStatus.FOUND for r in table.rows for c in r.cells.values()) >= 9
        for window in (1200, 1400, 1600, 2048, 3000):  # every request fits its window, passages cut to the room left
            cells = TableBuilder(_llm(server).replace(context_window=window, use_cache=False), default_columns()).cells
            for row_index in (PaperIndex(p.document) for p in papers[:2]):
                call = cells.prepare(row_index, default_columns()).call
                assert call.prompt_tokens + call.max_tokens + 64 <= window, window
        tiny = TableBuilder(_llm(server).replace(context_window=900, use_cache=False), default_columns()).build(
            papers[:2], synthesize=False)
    notes = {c.note for r in tiny.rows for c in r.cells.values()}
    assert len(notes) == 1 and ("raise the context window" in notes.pop())

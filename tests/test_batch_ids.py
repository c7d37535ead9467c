"""Batches never lose a document: every input has its own id and output (names that clean to the same
id, or differ only in case, included), the ids are the same on every run (so a re-run settles), and a
document is "done" only as ``summarize`` counts success: a failed overall summary or section is
partial, exits 3 and is redone. The Batch page reads uploads with the same library function."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT, llm_settings_per_section
from pdf_factory import make_paper

from summarizer.config.settings import Settings
from summarizer.run.batch import BatchStatus, read_items, read_uploads, run_batch

SYNTHESIS = "opens a paper digest"  # a phrase of the overall summary's prompt only (prompts/synthesis.json5)


def _story(i: int) -> str:
    return (f"Story {i} headline\n\nThe council of town {i} approved a budget of {i},000 dollars on Monday. "
            f"The vote was {i % 7 + 1} to 2 after a debate.\n\nParents said the plan would help the schools.")


def _colliding_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["report.txt", "report.md", "a b.txt", "a_b.txt", "Note.txt", "note.md", "x.txt", "y.html"]
    for i, name in enumerate(names):
        body = _story(i) if not name.endswith(".html") else f"<html><body><h1>Story {i}</h1><p>{_story(i)}</p></body></html>"
        (folder / name).write_text(body)
    return folder, names


def test_colliding_names_in_one_folder_each_get_a_summary_and_a_rerun_settles(tmp_path):
    folder, names = _colliding_folder(tmp_path)
    ids = [item.id for item in read_items(folder)]
    assert len({i.casefold() for i in ids}) == len(names)  # unique, also where case does not count
    assert ids == [item.id for item in read_items(folder)]  # stable: resume depends on it
    assert {"report.txt", "report.md", "x", "y"} <= set(ids)
    out = tmp_path / "out"
    report = run_batch(folder, out, Settings(workers=3), history=False)
    assert report.done == len(names) and report.failed == 0
    files = sorted(p.name.casefold() for p in out.glob("*.summary.md"))
    assert len(files) == len(set(files)) == len(names)  # no two inputs share an output
    index = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert len(index) == len(names)
    for i in range(len(names)):  # each output holds its own input's summary
        record = next(r for r in index if r["title"].split()[:2] == ["Story", str(i)])
        assert f"town {i} " in (out / record["file"]).read_text()
    again = run_batch(folder, out, Settings(workers=3), history=False)
    assert again.skipped == len(names) and again.done == 0


def test_article_ids_that_clean_alike_stay_apart(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "text": _story(n)}) for n, i in enumerate(["a b", "a_b", "A/B", "c"])))
    ids = [item.id for item in read_items(src)]
    assert len({i.casefold() for i in ids}) == 4 and ids[3] == "c"
    assert ids == [item.id for item in read_items(src)]


def test_uploads_read_like_the_batch_command(tmp_path):
    """The Batch page's reader: a JSONL and a CSV upload are lists of articles, as for ``batch``; the
    same file name uploaded twice and pasted articles get ids of their own."""
    jsonl = "\n".join(json.dumps({"id": f"j{i}", "text": _story(i)}) for i in range(2)).encode()
    csv = b"id,text\nc1,\"" + _story(5).encode() + b"\"\n"
    items = read_uploads([("list.jsonl", jsonl), ("list.csv", csv), ("p.pdf", make_paper()), ("p.pdf", make_paper())],
                         ["Pasted story\n\nThe school opened on Tuesday."])
    assert [i.id for i in items][:3] == ["j0", "j1", "c1"] and items[5].id == "article-001"
    assert items[0].text.startswith("Story 0") and items[2].text.startswith("Story 5") and items[5].text
    assert len({i.id for i in items}) == 6 and items[3].data and items[4].data


def _paper_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "paper.pdf").write_bytes(make_paper())
    return folder


def test_failed_overall_summary_is_partial_exits_3_and_is_redone(tmp_path, llm_server):
    llm_server.state.reset(fail_when=SYNTHESIS)
    folder, out = _paper_folder(tmp_path), tmp_path / "out"
    settings = llm_settings_per_section(llm_server, max_attempts=1)
    report = run_batch(folder, out, settings, history=False)
    assert [r.status for r in report.results] == [BatchStatus.PARTIAL], report.results
    assert "no overall summary" in report.results[0].error
    index = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert [r["status"] for r in index] == ["partial"]
    assert "| partial |" in (out / "index.md").read_text()
    assert (out / "paper.summary.md").exists()  # what was summarized is kept

    llm_server.state.reset()
    again = run_batch(folder, out, settings, history=False)  # redone, not skipped
    assert [r.status for r in again.results] == [BatchStatus.DONE]
    assert run_batch(folder, out, settings, history=False).skipped == 1


def test_cli_batch_exits_3_like_summarize_when_an_overall_summary_failed(tmp_path, llm_server):
    llm_server.state.reset(fail_when=SYNTHESIS)
    folder = _paper_folder(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-batch", "SUMMARIZER_HOME": str(tmp_path / "h")}
    common = ["--backend", "llm", "--base-url", llm_server.base_url, "--model", "m", "--max-attempts", "1",
              "--whole-paper-below", "0", "--no-cache", "--no-history"]
    one = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(folder / "paper.pdf"), "-o",
                          str(tmp_path / "one.md"), *common], env=env, capture_output=True, timeout=120)
    batch = subprocess.run([sys.executable, "-m", "summarizer", "batch", str(folder), "-o", str(tmp_path / "out"),
                            *common], env=env, capture_output=True, timeout=120)
    assert one.returncode == 3, one.stderr
    assert batch.returncode == 3, batch.stderr
    assert "partial: paper: " in batch.stderr.decode() and "no overall summary" in batch.stderr.decode()


def test_batch_page_takes_jsonl_and_csv_like_the_command():
    from streamlit.testing.v1 import AppTest

    jsonl = "\n".join(json.dumps({"id": f"j{i}", "text": _story(i)}) for i in range(2)).encode()
    csv = b"id,text\nc1,\"" + _story(5).encode() + b"\"\n"
    at = AppTest.from_file(str(ROOT / "pages" / "2_Batch.py"), default_timeout=90).run()
    at.file_uploader(key="batch_files").set_value([("list.jsonl", jsonl, "application/jsonl"), ("list.csv", csv, "text/csv")])
    at.run()
    assert not at.exception and not at.error
    at.button(key="batch_go").click().run()
    assert not at.exception
    results = {r.id: r for r in at.session_state["batch_results"]}
    assert sorted(results) == ["c1", "j0", "j1"] and all(r.status == BatchStatus.DONE for r in results.values())
    assert results["j1"].markdown.startswith("# Story 1 headline")

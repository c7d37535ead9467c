"""The history store: migration, a damaged file, concurrent writers (threads and processes), what a
run records as it goes, owner scoping, the comparison export, and the CLI / batch hooks."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
import threading

import pytest
from conftest import CORPUS, ROOT

from summarizer.config.settings import Settings
from summarizer.model.document import Document, Section
from summarizer.model.results import SectionResult
from summarizer.store.history import MIGRATIONS, SCHEMA_VERSION, SQLiteHistory
from summarizer.store.recorder import RunRecorder, reopen


def _doc(n: int = 4, title: str = "A paper on sparrows") -> Document:
    sections = [Section(f"{i}. Part {i}", f"Sparrows number {i * 17} in the survey. They nest in hedges near farms. "
                        f"Part {i} of the study reports counts from {2000 + i}.", kind="body") for i in range(1, n + 1)]
    return Document(title, "sparrows.pdf", sections, abstract="About sparrows.", page_count=3)


def _result(i: int, status: str = "done", summary: str = "") -> SectionResult:
    return SectionResult(i, f"{i}. Part {i}", "body", 1, status, summary=summary or f"- Part {i} summary.")


def test_migration_from_an_empty_database(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"")  # an empty file is an empty SQLite database
    store = SQLiteHistory(path)
    assert store.notice == ""
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "sections", "documents", "sessions"} <= tables
    run_id = store.start_run("me", _doc(), "h1", Settings())
    assert [r.id for r in store.list_runs("me")] == [run_id]


def test_migration_keeps_runs_of_an_older_version(tmp_path):
    path = tmp_path / "history.db"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)  # a database made by version 1 (no ratings yet), with one run in it
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO runs (id, owner, doc_hash, body_hash, title, settings, prompts, status, started, updated) "
               "VALUES ('old-run', 'me', 'h', 'b', 'An old paper', '{}', '{}', 'done', 1, 1)")
    db.execute("INSERT INTO sections (run_id, idx, title, status, data, updated) VALUES ('old-run', 0, 'Intro', 'done', ?, 1)",
               (json.dumps({"index": 0, "title": "Intro", "kind": "body", "level": 1, "status": "done", "summary": "x"}),))
    db.close()
    store = SQLiteHistory(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.rate("me", "old-run", None, 4)
    store.rate("me", "old-run", 0, 2, "too short")
    record = store.get_run("me", "old-run")
    assert record.info.title == "An old paper" and record.info.rating == 4
    assert record.sections[0].rating == 2 and record.sections[0].comment == "too short"


@pytest.mark.parametrize("damage", ["garbage", "torn"])
def test_a_damaged_database_is_moved_aside_and_rebuilt(tmp_path, damage):
    path = tmp_path / "history.db"
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all\n" * 200)
    else:  # a real history whose pages were overwritten in the middle
        store = SQLiteHistory(path)
        for n in range(30):
            store.start_run("me", _doc(8, f"Paper {n}"), f"h{n}", Settings(), plan=[_result(i) for i in range(8)])
        store.close()
        sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        data = bytearray(path.read_bytes())
        assert len(data) > 8 * 4096
        data[4096 * 2: 4096 * 6] = b"\xff" * (4096 * 4)
        path.write_bytes(bytes(data))
    store = SQLiteHistory(path)
    assert "damaged" in store.notice and "moved aside" in store.notice
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("history.db.broken-") and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and store.notice.count(aside[0].name) == 1
    run_id = store.start_run("me", _doc(), "h", Settings())  # the new history works
    assert store.get_run("me", run_id).info.title == "A paper on sparrows"
    assert SQLiteHistory(path).notice == ""  # the next open finds a healthy file: no second notice


def test_threads_write_concurrently_without_losing_anything(tmp_path):
    store = SQLiteHistory(tmp_path / "history.db")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            run_id = store.start_run(f"owner-{n % 2}", _doc(), f"h{n}", Settings(), run_id=f"run-{n}")
            for i in range(30):
                store.record_section(run_id, _result(i, summary=f"thread {n} section {i}"))
            store.rate(None, run_id, None, 1 + n % 5)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    runs = store.list_runs(None)
    assert len(runs) == 8 and all(r.sections_done == 30 for r in runs)
    assert len(store.list_runs("owner-0")) == 4
    record = store.get_run(None, "run-5")
    assert record.sections[29].result.summary == "thread 5 section 29" and record.info.rating == 1 + 5 % 5


WRITER = """
import sys
sys.path.insert(0, {root!r})
from summarizer.model.document import Document, Section
from summarizer.store.history import SQLiteHistory
from summarizer.model.results import SectionResult
from summarizer.config.settings import Settings
store = SQLiteHistory({path!r})
doc = Document("Process paper", "p.pdf", [Section("Intro", "Some text here.")])
for n in range(40):
    run_id = store.start_run("proc", doc, "h", Settings(), run_id=f"{{sys.argv[1]}}-{{n}}")
    for i in range(5):
        store.record_section(run_id, SectionResult(i, f"S{{i}}", "body", 1, "done", summary=f"{{sys.argv[1]}} {{n}} {{i}}"))
print("ok")
"""


def test_two_processes_write_one_history(tmp_path):
    path = tmp_path / "history.db"
    code = WRITER.format(root=str(ROOT), path=str(path))
    procs = [subprocess.Popen([sys.executable, "-c", code, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("alpha", "beta")]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    store = SQLiteHistory(path)
    assert store.notice == ""
    runs = store.list_runs("proc")
    assert len(runs) == 80 and all(r.sections_done == 5 for r in runs)
    assert store.get_run("proc", "beta-39").sections[4].result.summary == "beta 39 4"


def test_a_run_is_recorded_as_sections_finish_and_survives_a_crash(tmp_path):
    from summarizer.run.engine import run

    store = SQLiteHistory(tmp_path / "history.db")
    doc, settings = _doc(6), Settings(workers=1)
    recorder = RunRecorder(store, "me", doc, "h-doc", settings)
    finished = 0
    events = run(doc, settings)
    for event in events:
        recorder(event)
        if event.kind == "section" and event.result.status == "done":
            finished += 1
            if finished == 3:
                break  # the process dies here: nothing else is written
    events.close()
    record = store.get_run("me", recorder.run_id)
    assert record.info.status == "running"
    assert record.info.sections_done == 3 and len(record.unfinished) == 3
    opened = reopen(store, "me", recorder.run_id)
    assert opened is not None
    summary = opened[1]
    assert summary.document.title == doc.title and [s.ok for s in summary.sections].count(True) == 3


def test_what_a_run_records_and_never_the_key(tmp_path):
    from summarizer.output.render import render_markdown
    from summarizer.run.engine import summarize_document

    store = SQLiteHistory(tmp_path / "history.db")
    doc = _doc(3)
    settings = Settings(length="short", language="en", api_key="sk-very-secret-key-123")
    settings.base_url = "https://user:hunter2pass@llm.example.com:8443/v1"
    recorder = RunRecorder(store, "me", doc, "h-doc", settings, markdown=render_markdown)
    summary = summarize_document(doc, settings, on_event=recorder)
    record = store.get_run("me", recorder.run_id)
    assert record.info.status == "done" and record.info.sections_done == 3 and record.info.pages == 3
    assert record.info.length == "short" and record.info.language == "en" and record.info.source == "sparrows.pdf"
    assert record.overview == summary.overview and record.markdown.startswith("# A paper on sparrows")
    assert [s.result.summary for s in record.sections] == [s.summary for s in summary.sections]
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"sk-very-secret" not in raw and b"hunter2pass" not in raw
    llm = Settings(backend="llm", model="m", base_url="https://user:hunter2pass@llm.example.com:8443/v1", api_key="sk-x")
    from summarizer.store.records import public_settings

    assert public_settings(llm)["host"] == "llm.example.com:8443"
    assert "hunter2pass" not in json.dumps(public_settings(llm))


def test_owners_see_only_their_runs(tmp_path):
    store = SQLiteHistory(tmp_path / "history.db")
    mine = store.start_run("alice", _doc(title="Alice's paper"), "h1", Settings())
    theirs = store.start_run("bob", _doc(title="Bob's paper"), "h2", Settings())
    assert [r.title for r in store.list_runs("alice")] == ["Alice's paper"]
    assert store.get_run("alice", theirs) is None and reopen(store, "alice", theirs) is None
    assert not store.delete_run("alice", theirs) and store.get_run("bob", theirs) is not None
    store.rate("alice", theirs, None, 5)
    assert store.get_run("bob", theirs).info.rating is None
    assert store.list_runs("alice", search="alice")[0].id == mine and store.list_runs("alice", search="bob") == []
    assert store.list_runs("alice", search="%") == []  # LIKE wildcards are literal
    assert store.delete_all("alice") == 1 and store.list_runs("alice") == [] and len(store.list_runs("bob")) == 1


def _two_runs(store):
    from summarizer.run.engine import summarize_document

    doc = _doc(4)
    ids = []
    for length in ("short", "long"):
        settings = Settings(length=length)
        recorder = RunRecorder(store, "me", doc, "same-doc", settings, markdown=lambda s: "md")
        summarize_document(doc, settings, on_event=recorder)
        ids.append(recorder.run_id)
    return ids


def test_compare_export_pairs_sections_with_ratings(tmp_path):
    from summarizer.store.compare import export_csv, export_markdown, pair_sections

    store = SQLiteHistory(tmp_path / "history.db")
    a_id, b_id = _two_runs(store)
    store.rate("me", a_id, 0, 2)
    store.comment("me", a_id, 0, "misses the counts")
    store.rate("me", b_id, None, 5, "better")
    a, b = store.get_run("me", a_id), store.get_run("me", b_id)
    assert len(pair_sections(a, b)) == 4
    rows = list(csv.DictReader(io.StringIO(export_csv(a, b))))
    assert [r["section"] for r in rows] == ["Overall summary", "1. Part 1", "2. Part 2", "3. Part 3", "4. Part 4",
                                            "(whole run)"]
    assert rows[0]["summary_a"] == (a.overview.strip() or "(no overall summary)")  # the overall summary has its row
    rows = rows[1:]
    assert rows[0]["rating_a"] == "2" and rows[0]["comment_a"] == "misses the counts" and rows[0]["rating_b"] == ""
    assert rows[-1]["rating_b"] == "5" and rows[-1]["comment_b"] == "better"
    assert rows[0]["summary_a"] and rows[0]["summary_b"]
    markdown = export_markdown(a, b)
    assert "length: short → long" in markdown and "| rating: 2 misses the counts |" in markdown


def test_word_diff_marks_changed_words_latin_and_chinese():
    from summarizer.store.compare import diff_html, word_diff

    pieces = word_diff("The model uses 3 layers.", "The model uses 4 layers.")
    assert ("del", "3") in pieces and ("ins", "4") in pieces
    assert ("same", "The model uses ") in pieces
    chinese = word_diff("模型使用三层。", "模型使用四层。")
    assert ("del", "三") in chinese and ("ins", "四") in chinese
    assert "&lt;img" in diff_html("<img src=x>", "<img src=y>")  # document text is escaped, never markup


def test_cli_history_list_show_export_compare(tmp_path, capsys):
    from summarizer.cli.main import main
    from summarizer.store.history import open_history

    store = open_history()
    a_id, b_id = _two_runs(store)
    assert main(["history", "list"]) == 0
    out = capsys.readouterr().out
    assert a_id in out and b_id in out and "A paper on sparrows" in out
    assert main(["history", "show", a_id[:22]]) == 0 and capsys.readouterr().out == "md"
    assert main(["history", "export", a_id, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:4] == ["run", "document", "backend", "section"] and len(rows) == 1 + 4 + 1
    target = tmp_path / "cmp.csv"
    assert main(["history", "compare", a_id, b_id, "--format", "csv", "-o", str(target)]) == 0
    assert len(list(csv.DictReader(io.StringIO(target.read_text())))) == 6  # overall summary, 4 sections, whole run
    assert main(["history", "show", "no-such-run"]) == 2
    assert "There is no stored run 'no-such-run'" in capsys.readouterr().err


def test_batch_writes_into_the_history_by_default(tmp_path):
    from summarizer.run.batch import run_batch
    from summarizer.store.history import open_history

    news = CORPUS / "news" / "en.jsonl"
    lines = news.read_text(encoding="utf-8").splitlines()[:2] if news.exists() else [
        json.dumps({"id": "a", "text": "Council passes budget.\n\nThe council approved $3.5 million on Monday."}),
        json.dumps({"id": "b", "text": "Rain expected.\n\nForecasters expect 40 mm of rain on Friday."})]
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_batch(source, tmp_path / "out", Settings())
    runs = open_history().list_runs("batch")
    assert len(runs) == 2 and all(r.origin == "batch" and r.status == "done" and r.sections_done >= 1 for r in runs)
    record = open_history().get_run("batch", runs[0].id)
    assert record.markdown in {f.read_text(encoding="utf-8") for f in (tmp_path / "out").glob("*.summary.md")}
    run_batch(source, tmp_path / "out2", Settings(), history=False)
    assert len(open_history().list_runs("batch")) == 2


def test_questions_are_kept_with_their_run_and_come_back_on_reopen(tmp_path):
    """Ask the paper → History: the conversation is stored with the run (owner only) and returns
    with the reopened result, citations and pages included; an older database gains the column."""
    from summarizer.ask.qa import Asker, Turn

    path = tmp_path / "history.db"
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:2]:  # a database made before questions were kept
        step(db)
    db.execute("PRAGMA user_version = 2")
    db.close()
    store = SQLiteHistory(path)
    doc = _doc()
    run_id = store.start_run("alice", doc, "h1", Settings())
    answering = Asker(doc, Settings()).answer("How many sparrows does part 2 report?", [])
    list(answering.stream())
    turn = answering.turn
    assert turn.found and turn.citations
    store.save_qa("bob", run_id, [{"question": "not mine"}])  # another owner cannot write it
    assert store.get_run("alice", run_id).qa == []
    store.save_qa("alice", run_id, [turn.as_json()])
    back = store.get_run("alice", run_id).to_summary(doc).qa
    again = Turn.from_json(back[0])
    assert again.question == turn.question and again.answer == turn.answer
    assert [p.citation for p in again.citations] == [p.citation for p in turn.citations] and again.pages == turn.pages


def test_the_batch_page_path_records_each_document_in_history(tmp_path):
    """iter_batch (the Batch page's runner) writes every document into the history of its owner."""
    from summarizer.run.batch import BatchItem, iter_batch
    from summarizer.store.recorder import batch_recorder

    text = ("The council approved the budget on Monday after a long debate. It raises school funding by a fifth. "
            "Critics said the plan ignores transport in the north of the city.")
    items = [BatchItem("a1", "text", text=text), BatchItem("a2", "text", text=text.replace("Monday", "Friday"))]
    results = list(iter_batch(items, Settings(), record=batch_recorder(owner="me", path=tmp_path / "h.db")))
    assert sorted(r.status for r in results) == ["done", "done"]
    runs = SQLiteHistory(tmp_path / "h.db").list_runs("me")
    assert len(runs) == 2 and {r.origin for r in runs} == {"batch"} and all(r.sections_done for r in runs)


def test_cli_summarize_records_the_run_and_no_history_skips_it(tmp_path, capsys):
    """`summarize` on the command line is a run like any other: listed for the owner `cli` with the
    Markdown it wrote; `--no-history` leaves the store untouched."""
    from summarizer.cli.main import main
    from summarizer.store.history import open_history

    article = tmp_path / "article.txt"
    article.write_text("Council passes budget\n\nThe council approved the budget on Monday after a long debate. "
                       "It raises school funding by a fifth. Critics said the plan ignores transport.\n", encoding="utf-8")
    out = tmp_path / "article.md"
    assert main(["summarize", str(article), "-o", str(out), "-q"]) == 0
    runs = open_history().list_runs("cli")
    assert len(runs) == 1 and runs[0].origin == "cli" and runs[0].status == "done" and runs[0].sections_done >= 1
    assert open_history().get_run("cli", runs[0].id).markdown == out.read_text(encoding="utf-8")
    assert main(["summarize", str(article), "-o", str(out), "-q", "--no-history"]) == 0
    assert len(open_history().list_runs("cli")) == 1


def test_a_reopened_run_brings_back_the_pdf_for_its_page_view(tmp_path):
    """The PDF behind a run is kept with it: reopening (History, a reload) restores the page view;
    deleting the last run that used it deletes it."""
    from ui.browser_session import show_run

    store = SQLiteHistory(tmp_path / "h.db")
    run_id = store.start_run("alice", _doc(), "h1", Settings())
    store.save_source("h1", b"%PDF-1.7 the paper")

    class St:
        session_state: dict = {}

    assert show_run(St, store, "alice", run_id)
    assert St.session_state["doc_pdf"] == b"%PDF-1.7 the paper" and St.session_state["run_id"] == run_id
    assert not show_run(St, store, "bob", run_id)  # not bob's run
    assert store.delete_run("alice", run_id) and store.load_source("h1") is None

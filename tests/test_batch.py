"""Batches: folder / JSONL / CSV inputs, atomic outputs, resume, one writer, SIGKILL safety."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from conftest import ROOT, llm_settings
from pdf_factory import make_paper

from summarizer.config.settings import Settings
from summarizer.inputs.text_parser import parse_text
from summarizer.model.errors import ConfigError, InputError
from summarizer.run.batch import BatchLock, read_items, route_model, run_batch, zip_results


def _articles(n: int, poison: set[int] = frozenset()) -> list[dict]:
    return [{"id": f"a{i:03d}", "text": f"Story {i} headline\n\nThe council of town {i} approved a budget of {i},000 "
             f"dollars on Monday. {'POISON ' if i in poison else ''}The vote was {i % 7 + 1} to 2 after a debate."
             "\n\nParents said the plan would help the schools of the town."} for i in range(n)]


def _jsonl(path, rows) -> str:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(path)


def test_folder_jsonl_and_csv_inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "paper.pdf").write_bytes(make_paper())
    (folder / "note.txt").write_text("A short note\n\nThe committee met on Tuesday and agreed on 3 changes.")
    (folder / "ignored.png").write_bytes(b"\x89PNG")
    assert [i.id for i in read_items(folder)] == ["note", "paper"]
    rows = _articles(2)
    assert [i.id for i in read_items(_jsonl(tmp_path / "a.jsonl", rows))] == ["a000", "a001"]
    (tmp_path / "a.csv").write_text("id,text\nx1,\"Some text, with a comma.\"\nx2,More text here.\n")
    assert [i.text for i in read_items(tmp_path / "a.csv")] == ["Some text, with a comma.", "More text here."]
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n')
    with pytest.raises(InputError, match="neither 'text' nor 'url'"):
        read_items(tmp_path / "bad.jsonl")
    (tmp_path / "dup.jsonl").write_text('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n')
    with pytest.raises(InputError, match="appears twice"):
        read_items(tmp_path / "dup.jsonl")


def test_batch_writes_files_index_and_resumes(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _articles(5))
    out = tmp_path / "out"
    report = run_batch(src, out, Settings(workers=3))
    assert report.done == 5 and report.failed == 0
    assert sorted(p.name for p in out.glob("*.summary.md")) == [f"a{i:03d}.summary.md" for i in range(5)]
    assert (out / "a003.summary.md").read_text().startswith("# Story 3 headline")
    lines = (out / "index.jsonl").read_text().splitlines()
    assert len(lines) == 5 and {json.loads(line)["status"] for line in lines} == {"done"}
    assert "| [a000](a000.summary.md) | done | Story 0 headline |" in (out / "index.md").read_text()
    again = run_batch(src, out, Settings(workers=3))
    assert again.skipped == 5 and again.done == 0
    rows = _articles(5)
    rows[2]["text"] += " An update."
    changed = run_batch(_jsonl(tmp_path / "a.jsonl", rows), out, Settings(workers=3))
    assert changed.done == 1 and changed.skipped == 4
    other = run_batch(src, out, Settings(workers=3, length="short"))  # other settings: redone
    assert other.done == 5
    assert len((out / "index.jsonl").read_text().splitlines()) == 5  # one line per document


def test_failed_documents_are_redone(tmp_path, llm_server):
    llm_server.state.reset(fail_when="POISON")
    src = _jsonl(tmp_path / "a.jsonl", _articles(4, poison={1}))
    out = tmp_path / "out"
    settings = llm_settings(llm_server, max_attempts=1)
    report = run_batch(src, out, settings)
    assert report.failed == 1 and report.done == 3
    llm_server.state.reset()
    again = run_batch(src, out, settings)
    assert again.done == 1 and again.skipped == 3
    index = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert len(index) == 4 and all(r["status"] == "done" for r in index)


def test_another_model_redoes_the_batch(tmp_path, llm_server):
    src = _jsonl(tmp_path / "a.jsonl", _articles(3))
    out = tmp_path / "out"
    assert run_batch(src, out, llm_settings(llm_server, model="model-a")).done == 3
    assert run_batch(src, out, llm_settings(llm_server, model="model-a")).skipped == 3
    other = run_batch(src, out, llm_settings(llm_server, model="model-b"))
    assert other.done == 3 and other.skipped == 0  # another model's summaries are not "already done"
    assert "model-b" in {r.body["model"] for r in llm_server.state.chat_requests}


@pytest.mark.parametrize("change", [{"backend": "llm"}, {"model": "other"}, {"language": "zh"}, {"length": "short"},
                                    {"temperature": 0.9}, {"small_model": "tiny"}, {"route_below_tokens": 500},
                                    {"parser": "nougat"}, {"base_url": "http://127.0.0.1:9/v1", "backend": "llm"}])
def test_every_setting_that_decides_a_summary_is_in_the_resume_key(change):
    from summarizer.run.batch import settings_key

    base = {"backend": "llm"} if "base_url" in change else {}
    assert settings_key(Settings(**base)) != settings_key(Settings(**change))
    assert settings_key(Settings(workers=9, timeout=5, max_attempts=1)) == settings_key(Settings())  # pace, not content


def test_an_edited_prompt_is_in_the_resume_key(tmp_path):
    from summarizer.llm.prompts import load_prompts, save_user_prompt
    from summarizer.run.batch import settings_key

    before = settings_key(Settings(prompts_dir=str(tmp_path)))
    news = load_prompts().get("news")
    news.system += " Name the city."
    save_user_prompt(tmp_path, news)
    assert settings_key(Settings(prompts_dir=str(tmp_path))) != before


def test_second_writer_is_refused_and_stale_lock_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    src = _jsonl(tmp_path / "a.jsonl", _articles(1))
    with BatchLock(out):
        with pytest.raises(ConfigError, match=rf"Another batch \(pid {os.getpid()} on .*\) is already writing"):
            run_batch(src, out, Settings())
    (out / ".summarizer-batch.lock").write_text('{"pid": 999999, "host": "gone", "started": "yesterday"}')
    assert run_batch(src, out, Settings()).done == 1  # nobody holds the lock: a dead process's file is ignored


def test_lock_held_by_another_process_refuses_then_frees_when_it_is_killed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    src = _jsonl(tmp_path / "a.jsonl", _articles(1))
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from summarizer.run.batch import BatchLock; lock = BatchLock(Path(sys.argv[2])).__enter__(); "
            "print('locked', flush=True); time.sleep(120)")
    child = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=rf"Another batch \(pid {child.pid} on "):
            run_batch(src, out, Settings())
    finally:
        child.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean-up code runs
        child.wait(timeout=30)
    assert run_batch(src, out, Settings()).done == 1  # the OS released the dead writer's lock


def test_routing_by_length(llm_server):
    settings = llm_settings(llm_server, small_model="small-fast", route_below_tokens=200)
    short = parse_text("A short article about a vote.")
    long = parse_text("A long article. " * 300)
    assert route_model(short, settings).model == "small-fast"
    assert route_model(long, settings).model == "test-model"


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path, llm_server):
    llm_server.state.reset(latency=0.2)
    n = 24
    src = _jsonl(tmp_path / "a.jsonl", _articles(n))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-batch", "SUMMARIZER_HOME": str(tmp_path / "h")}
    cmd = [sys.executable, "-m", "summarizer", "batch", src, "-o", str(out), "--backend", "llm", "--base-url",
           llm_server.base_url, "--model", "m", "--workers", "4", "--no-cache", "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = len((out / "index.jsonl").read_text().splitlines()) if (out / "index.jsonl").exists() else 0
        if done >= 6:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = len((out / "index.jsonl").read_text().splitlines())
    assert 0 < partial < n
    second = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert second.returncode == 0, second.stderr
    index = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    ids = [r["id"] for r in index]
    assert sorted(ids) == [f"a{i:03d}" for i in range(n)]  # nothing lost, nothing twice
    assert all(r["status"] == "done" for r in index)
    for r in index:
        text = (out / r["file"]).read_text()
        assert text.startswith("# Story ") and text.endswith("\n")
    assert not list(out.glob(".*.tmp"))


def test_zip_of_results(tmp_path):
    report = run_batch(_jsonl(tmp_path / "a.jsonl", _articles(3)), tmp_path / "out", Settings())
    data = zip_results(report.results)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == sorted([*(f"a00{i}.summary.{ext}" for i in range(3) for ext in ("md", "json")),
                                               "index.jsonl", "index.md"])
        assert z.read("a001.summary.md").decode().startswith("# Story 1 headline")
        run = json.loads(z.read("a001.summary.json"))  # the run as --json gives it, with what compare reads
        assert run["id"] == "a001" and run["status"] == "done" and run["summary"] and run["hash"]
        assert "document" not in run  # a zip of summaries does not carry the sources
        index = [json.loads(line) for line in z.read("index.jsonl").decode().splitlines()]
        assert sorted((r["id"], r["status"], r["file"]) for r in index) == \
            [(f"a00{i}", "done", f"a00{i}.summary.md") for i in range(3)]  # as batch's own index.jsonl


def test_cli_batch_progress_and_refusal(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _articles(3))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "summarizer", "batch", src, "-o", str(tmp_path / "o")],
                          capture_output=True, env=env)
    assert proc.returncode == 0
    assert "3/3" in proc.stderr.decode() and "3 done" in proc.stderr.decode()
    bad = subprocess.run([sys.executable, "-m", "summarizer", "batch", str(tmp_path / "nothing"), "-o", "x"],
                         capture_output=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "no folder or file" in bad.stderr.decode()


def test_batch_page_in_apptest(paper_pdf):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "2_Batch.py"), default_timeout=90).run()
    assert not at.exception
    at.text_area(key="batch_text").input("First story\n\nThe council met on Monday.\n---\nSecond story\n\n"
                                         "The school opened on Tuesday with 300 pupils.")
    at.file_uploader(key="batch_files").set_value([("p.pdf", paper_pdf, "application/pdf"),
                                                   ("bad.pdf", b"%PDF-1.4 broken", "application/pdf")])
    at.run()
    at.button(key="batch_go").click().run()
    assert not at.exception
    results = {r.id: r for r in at.session_state["batch_results"]}
    assert results["p"].status == "done" and results["article-002"].status == "done"
    assert results["bad"].status == "failed" and "damaged" in results["bad"].error
    assert at.get("download_button")

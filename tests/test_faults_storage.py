"""Disks and inputs that lose, hang or mislead (issue #25 part C): a history that cannot be opened is
left in place unless it is really damaged; ``-o`` is checked before the run and a write that fails
after it keeps the result; devices, endless and closed standard inputs get one sentence.

Full and read-only disks are real: a small tmpfs mounted for the test (skipped where mounting is not
allowed). Each CLI test runs the command as a user does, in a subprocess."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT
from llm_server import LLMServer

from summarizer.config.settings import Settings
from summarizer.model.document import Document, Section
from summarizer.model.results import SectionResult
from summarizer.store.history import HistoryUnavailable, SQLiteHistory


def run_cli(*args, stdin=None, input: bytes | None = None, env: dict | None = None, cwd=None, preexec=None,
            timeout: float = 120):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], input=input, stdin=stdin, capture_output=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout, preexec_fn=preexec)


def _memory_cap() -> None:
    """Run the child with 3 GB of address space: reading an endless input whole ends in a MemoryError,
    not in the machine's memory running out."""
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))


def _doc(n: int = 3) -> Document:
    sections = [Section(f"{i}. Part {i}", f"Sparrows number {i * 17} in the survey. They nest in hedges.", kind="body")
                for i in range(1, n + 1)]
    return Document("A paper on sparrows", "sparrows.pdf", sections, abstract="About sparrows.", page_count=1)


def _stored_run(path: Path) -> str:
    store = SQLiteHistory(path)
    run_id = store.start_run("me", _doc(), "h1", Settings(),
                             plan=[SectionResult(0, "1. Part 1", "body", 1, "done", summary="- x")])
    store.close()
    return run_id


def _extras(path: Path) -> None:
    """Let SQLite's side files go (a clean close removes them; a test must not leave them behind)."""
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class Mount:
    """A tmpfs of ``size`` mounted at ``where`` for one test; ``read_only()`` remounts it read-only."""

    def __init__(self, where: Path, size: str) -> None:
        where.mkdir(parents=True, exist_ok=True)
        self.where = where
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(where)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"a small disk for this test needs mount (tmpfs): {done.stderr.decode().strip()[:120]}")

    def read_only(self, flag: bool = True) -> None:
        subprocess.run(["mount", "-o", "remount," + ("ro" if flag else "rw"), str(self.where)], check=True)

    def fill(self) -> None:
        """Fill the disk to the last byte."""
        try:
            with open(self.where / "filler", "wb") as f:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        except OSError:
            pass

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.where)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    mounts: list[Mount] = []

    def make(size: str = "1m") -> Mount:
        mount = Mount(tmp_path / f"disk{len(mounts)}", size)
        mounts.append(mount)
        return mount

    yield make
    for mount in mounts:
        mount.unmount()


# ---- the history: only damage is moved aside -------------------------------------------------------
def test_a_folder_at_the_history_path_is_reported_and_left_in_place(tmp_path):
    path = tmp_path / "history.db"
    path.mkdir()
    (path / "mine.txt").write_text("kept")
    with pytest.raises(HistoryUnavailable, match="is a folder"):
        SQLiteHistory(path)
    assert (path / "mine.txt").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["history.db"]  # nothing moved aside, nothing created


def test_a_read_only_folder_leaves_an_intact_history_in_place(small_disk):
    disk = small_disk()
    path = disk.where / "history.db"
    run_id = _stored_run(path)
    _extras(path)
    disk.read_only()
    with pytest.raises(HistoryUnavailable, match="left as it is"):
        SQLiteHistory(path)
    assert sorted(p.name for p in disk.where.iterdir()) == ["history.db"]
    disk.read_only(False)
    store = SQLiteHistory(path)
    assert store.notice == "" and store.get_run("me", run_id) is not None  # the runs are all still there


def test_a_full_disk_leaves_an_intact_history_in_place(small_disk):
    disk = small_disk()
    path = disk.where / "history.db"
    run_id = _stored_run(path)
    _extras(path)
    disk.fill()
    with pytest.raises(HistoryUnavailable, match="left as it is"):
        SQLiteHistory(path)
    assert not [p for p in disk.where.iterdir() if ".broken-" in p.name]
    (disk.where / "filler").unlink()
    store = SQLiteHistory(path)
    assert store.notice == "" and store.get_run("me", run_id) is not None


def test_a_corrupt_history_is_still_moved_aside(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"SQLite format 3\0" + b"\xff" * 8192)
    store = SQLiteHistory(path)
    assert "moved aside" in store.notice
    assert [p for p in tmp_path.iterdir() if p.name.startswith("history.db.broken-")]
    assert sqlite3.connect(path).execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_history_list_on_an_unopenable_store_is_one_line_exit_2(tmp_path):
    folder = tmp_path / "history.db"
    folder.mkdir()
    proc = run_cli("history", "--db", str(folder), "list")
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.startswith("error: The history cannot be opened") and err.count("\n") == 1
    assert "Traceback" not in err


# ---- -o: checked before the run, the result kept when writing fails after it ---------------------
def _article(tmp_path: Path, sections: int = 3) -> Path:
    body = "\n\n".join(f"## {i} Part {i}\n\nPart {i} of the study measures how sparrows nest in hedges near farms "
                       f"in region {i}. The survey counted {i * 17} nests in {2000 + i}. Most nests were found in "
                       f"hawthorn, and the birds returned to the same hedge each spring." for i in range(1, sections + 1))
    article = tmp_path / "article.md"
    article.write_text(f"# Sparrows in hedges\n\n{body}\n", encoding="utf-8")
    return article


def test_output_into_a_missing_folder_fails_before_the_run(tmp_path):
    with LLMServer() as server:
        target = tmp_path / "no" / "such" / "folder" / "out.md"
        proc = run_cli("summarize", str(_article(tmp_path)), "-o", str(target), "--backend", "llm",
                       "--base-url", server.base_url, "--model", "test-model", env={"OPENAI_API_KEY": "sk-test-0000"})
        err = proc.stderr.decode()
        assert proc.returncode == 2, err
        assert err.startswith("error: -o ") and "does not exist" in err and err.count("\n") == 1
        assert server.state.requests == [] and server.state.gets == []  # nothing was asked, nothing paid


def test_output_into_a_read_only_folder_fails_before_the_run(tmp_path, small_disk):
    disk = small_disk()
    disk.read_only()
    proc = run_cli("summarize", str(_article(tmp_path)), "-o", str(disk.where / "out.md"))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "cannot write there" in err and "Summarizing" not in err


def test_a_write_that_fails_after_the_run_keeps_the_result_and_says_where(tmp_path, small_disk):
    disk = small_disk("4k")  # room for the check's one byte, not for the Markdown
    home = tmp_path / "home"
    target = disk.where / "out.md"
    proc = run_cli("summarize", str(_article(tmp_path, 40)), "-o", str(target), env={"SUMMARIZER_HOME": str(home)})
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert "Unexpected error" not in err and "Traceback" not in err
    kept = list((home / "data" / "unsaved").glob("*out.md"))
    assert len(kept) == 1 and f"the Markdown was kept in {kept[0]}" in err
    assert kept[0].read_text(encoding="utf-8").startswith("# Sparrows in hedges")
    assert "summarizer history show" in err  # and the run is in the history


# ---- inputs: capped while read; one sentence for what is not a file --------------------------------
def test_a_device_as_input_is_one_sentence(tmp_path):
    proc = run_cli("summarize", "/dev/zero", preexec=_memory_cap, timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "is not a regular file" in err and err.count("\n") == 1


def test_endless_stdin_is_refused_at_the_cap():
    child = subprocess.Popen([sys.executable, "-m", "summarizer", "summarize", "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_memory_cap,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    written = [0]

    def feed() -> None:
        block = b"Sparrows nest in hedges near farms. " * 2000
        try:
            while True:
                child.stdin.write(block)
                written[0] += len(block)
        except (BrokenPipeError, ValueError, OSError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    try:
        child.wait(timeout=90)
    finally:
        child.kill()
    err = child.stderr.read().decode()
    assert child.returncode == 2, err[-500:]
    assert "larger than 20 MB" in err and "stdin" in err
    assert written[0] < 200 * 1024 * 1024  # it stopped reading at the cap, not at the end of memory


def test_a_closed_stdin_is_a_clear_exit_2():
    proc = run_cli("summarize", "-", preexec=lambda: os.close(0))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Standard input is closed" in err and "AttributeError" not in err


def test_a_fifo_as_input_does_not_wait_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    proc = run_cli("summarize", str(fifo), timeout=60)
    assert proc.returncode == 2 and "is not a regular file" in proc.stderr.decode()


def test_the_library_loads_a_device_with_one_sentence():
    from summarizer.inputs.loading import load_path
    from summarizer.model.errors import InputError

    with pytest.raises(InputError, match="not a regular file"):
        load_path("/dev/zero")


@pytest.mark.parametrize("page", ["3_History.py", "4_Compare.py"])
def test_the_history_pages_say_why_the_store_cannot_be_opened(app_home, page):
    from streamlit.testing.v1 import AppTest

    (app_home / "data" / "history.db").mkdir(parents=True)  # a folder where the database should be
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=30).run()
    assert not at.exception, at.exception
    assert any("history cannot be opened" in e.value for e in at.error)
    assert (app_home / "data" / "history.db").is_dir()  # left where it was

"""History store figures: list time with 1,000 stored runs (store query and the whole History page
through Streamlit's AppTest), store size per run, and the time to reopen a run; printed as a table.

Runs are real: a corpus paper summarized once by the extractive backend, then stored 1,000 times
(each with its own sections, as the app records them) under one browser session id.

    python bench/history.py [--runs 1000] [--paper ../shared/corpus/papers/casper-ffg.pdf]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--paper", default=str(ROOT.parent / "shared" / "corpus" / "papers" / "casper-ffg.pdf"))
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="history-bench-")
    os.environ["SUMMARIZER_HOME"] = home

    from summarizer.config.settings import Settings
    from summarizer.inputs.loading import load_path
    from summarizer.output.render import render_markdown
    from summarizer.run.engine import summarize_document
    from summarizer.store.history import open_history
    from summarizer.store.recorder import RunRecorder, reopen

    doc = load_path(args.paper)
    settings = Settings()
    store = open_history()
    sid = "b" * 32
    # one real run, recorded as the app records it (each section as it finishes)
    start = time.perf_counter()
    recorder = RunRecorder(store, sid, doc, "bench-doc", settings, markdown=render_markdown)
    summary = summarize_document(doc, settings, on_event=recorder)
    first_run = time.perf_counter() - start
    markdown = render_markdown(summary)
    size_before = store.size_bytes()
    start = time.perf_counter()
    for n in range(args.runs - 1):
        run_id = store.start_run(sid, doc, f"doc-{n % 50}", settings, plan=summary.sections[:1])
        for section in summary.sections:
            store.record_section(run_id, section)
        store.finish_run(run_id, summary, markdown)
    write_all = time.perf_counter() - start
    store._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size_after = store.size_bytes()
    per_run = (size_after - size_before) / max(1, args.runs - 1)

    list_median, list_max = _timed(lambda: store.list_runs(sid), 7)
    search_median, _ = _timed(lambda: store.list_runs(sid, search="Casper"), 7)
    last = store.list_runs(sid, limit=1)[0].id
    reopen_median, reopen_max = _timed(lambda: reopen(store, sid, last), 7)

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "3_History.py"), default_timeout=60)
    at.query_params["sid"] = sid
    start = time.perf_counter()
    at.run()  # the first visit: imports, store open, harness start-up
    first_visit = time.perf_counter() - start
    assert not at.exception and len(at.dataframe[0].value) == args.runs

    def page() -> None:  # every later rerun of the page (what a click or a search costs)
        at.run()
        assert not at.exception and len(at.dataframe[0].value) == args.runs

    page_median, page_max = _timed(page, 7)
    rows = [
        ("runs stored", f"{args.runs:,}", ""),
        ("sections per run", f"{len(summary.sections)}", ""),
        ("first real run (extractive, recorded live)", f"{first_run:.2f} s", ""),
        ("store 999 runs (start + each section + finish)", f"{write_all:.2f} s", f"{1000 * write_all / max(1, args.runs - 1):.1f} ms/run"),
        ("store size per run", f"{per_run / 1024:.1f} KiB", f"file {size_after / 2**20:.1f} MiB"),
        ("list all runs (store query)", f"{1000 * list_median:.1f} ms", f"max {1000 * list_max:.1f} ms"),
        ("search by title (store query)", f"{1000 * search_median:.1f} ms", ""),
        ("History page, first visit (AppTest, start-up included)", f"{1000 * first_visit:.0f} ms", ""),
        ("History page, each rerun listing all runs (AppTest)", f"{1000 * page_median:.0f} ms",
         f"max {1000 * page_max:.0f} ms; target ≤ 500 ms"),
        ("reopen a run (record + document + result)", f"{1000 * reopen_median:.1f} ms", f"max {1000 * reopen_max:.1f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nHistory store bench — {args.runs:,} runs of '{doc.title[:50]}' (SQLite WAL, {home})\n")
    print(f"| {'measure'.ljust(width)} | {'value':>12} | note")
    print(f"|{'-' * (width + 2)}|{'-' * 14}|------")
    for name, value, note in rows:
        print(f"| {name.ljust(width)} | {value:>12} | {note}")


if __name__ == "__main__":
    main()

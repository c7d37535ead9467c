"""Cold-start cost of the CLI and the library, whole-process next to in-process, production defaults.

Cases: ``import summarizer``, ``python -m summarizer --help``, ``summarize`` of a 10-page corpus
paper (casper-ffg.pdf) and of a news article (the first of news/en.jsonl, written to a .txt file).
Each case runs ``--runs`` times as its own process (a fresh ``SUMMARIZER_HOME`` each time, so no
cache is hit); we print the median wall time and the median CPU time (user + system, from the
child's rusage). Next to them, the same work measured inside one process: ``first`` is the first
call in a fresh interpreter (it pays the lazy imports: PyMuPDF, the sentence splitter, ...),
``warm`` a second call in that process.

Run: python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
PAPER = CORPUS / "papers" / "casper-ffg.pdf"


def _article(folder: Path) -> Path:
    row = json.loads((CORPUS / "news" / "en.jsonl").read_text(encoding="utf-8").splitlines()[0])
    path = folder / "article.txt"
    path.write_text(row["article"], encoding="utf-8")
    return path


def _cases(article: Path) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python -c pass (interpreter floor)": [py, "-c", "pass"],
        "import summarizer": [py, "-c", "import summarizer"],
        "python -m summarizer --help": [py, "-m", "summarizer", "--help"],
        "summarize 10-page paper": [py, "-m", "summarizer", "summarize", str(PAPER)],
        "summarize news article": [py, "-m", "summarizer", "summarize", str(article)],
    }


def _whole(cmd: list[str], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, SUMMARIZER_HOME=home, PYTHONPATH=str(ROOT))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _inner(case: str, article: str) -> None:
    """Runs in a fresh interpreter: time the case's work twice, print JSON (seconds)."""
    times = []
    for _ in range(2):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        if case.startswith("python -c pass"):
            pass
        elif case == "import summarizer":
            import summarizer  # noqa: F401  (second round: already imported, ~0)
        else:
            from summarizer.cli.main import main

            argv = {"python -m summarizer --help": ["--help"], "summarize 10-page paper": ["summarize", str(PAPER)],
                    "summarize news article": ["summarize", article]}[case]
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                try:
                    main(argv)
                except SystemExit:
                    pass
        times.append((time.perf_counter() - start_wall, time.process_time() - start_cpu))
    print(json.dumps(times))


def _in_process(case: str, article: Path) -> list[tuple[float, float]]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SUMMARIZER_HOME=home, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, __file__, f"--inner={case}", f"--article={article}"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    ap.add_argument("--article", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        _inner(args.inner, args.article)
        return
    if not PAPER.exists():
        print(f"corpus not found at {CORPUS}")
        return
    with tempfile.TemporaryDirectory() as folder:
        article = _article(Path(folder))
        print(f"median of {args.runs} runs; CPU = user + system; in-process: first call / warm call, wall (CPU)")
        print("| case | process wall s | process CPU s | in-process first s | in-process warm s |")
        print("|---|---|---|---|---|")
        for case, cmd in _cases(article).items():
            wall, cpu = _whole(cmd, args.runs)
            samples = [_in_process(case, article) for _ in range(max(1, args.runs // 2))]
            first = (statistics.median(s[0][0] for s in samples), statistics.median(s[0][1] for s in samples))
            warm = (statistics.median(s[1][0] for s in samples), statistics.median(s[1][1] for s in samples))
            print(f"| {case} | {wall:.3f} | {cpu:.3f} | {first[0]:.3f} ({first[1]:.3f}) | "
                  f"{warm[0]:.3f} ({warm[1]:.3f}) |", flush=True)


if __name__ == "__main__":
    main()

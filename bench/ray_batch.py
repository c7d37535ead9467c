"""Corpus batches on Ray against the local engine (issue #28), whole processes as a user runs them.

1. Documents per minute, same inputs, same stand-in model server (0.3 s per call): corpus papers (PDF,
   parsed: CPU work) and news articles (text: model-bound), with ``batch`` (the local engine, production
   defaults) and ``batch --engine ray`` at 1 and 2 CPUs. Each row is one ``python -m summarizer batch``
   process, timed from start to exit, so Ray's start-up is in its figure; it is also printed apart.
2. Parse cost per page on the corpus papers (in process), the input of the estimate.
3. A worked estimate for 1,000,000 documents on N machines: parse CPU-hours, model requests at a given rate,
   and which of the two bounds the run.

Run: python bench/ray_batch.py [--papers N] [--articles N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from llm_server import LLMServer  # noqa: E402
from rouge_common import CORPUS, load_jsonl  # noqa: E402

LATENCY = 0.3


def _inputs(folder: Path, papers: int, articles: int) -> tuple[Path, Path]:
    pdfs = folder / "papers"
    pdfs.mkdir()
    for path in sorted((CORPUS / "papers").glob("*.pdf"))[:papers]:
        shutil.copy(path, pdfs / path.name)
    rows = [{"id": r["id"], "text": r["article"]} for r in load_jsonl(CORPUS / "news" / "en.jsonl")][:articles] \
        if (CORPUS / "news" / "en.jsonl").exists() else \
        [{"id": f"a{i}", "text": f"Story {i}.\n\nThe council approved {i} million on Monday."} for i in range(articles)]
    news = folder / "news.jsonl"
    news.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return pdfs, news


def _run(source: Path, out: Path, server: LLMServer, engine: list[str], env: dict) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "summarizer", "batch", str(source), "-o", str(out), "--backend", "llm",
                           "--base-url", server.base_url, "--model", "bench", "--no-cache", "--no-history", "-q", *engine],
                          env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode not in (0, 3):
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - started


def _ray_start_up() -> float:
    code = ("import time; t = time.perf_counter(); from summarizer.run.ray_batch import start_ray; import ray; "
            "start_ray(None, 2); print(time.perf_counter() - t); ray.shutdown()")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                                timeout=300).stdout.strip().splitlines()[-1])


def _parse_ms_per_page(pdfs: Path) -> tuple[float, float]:
    from summarizer.inputs.loading import load_path

    per_page, pages = [], []
    for path in sorted(pdfs.glob("*.pdf")):
        started = time.process_time()
        doc = load_path(str(path), "pymupdf", 600, None)
        per_page.append((time.process_time() - started) * 1000 / max(1, doc.page_count or 1))
        pages.append(doc.page_count or 1)
    return statistics.median(per_page), statistics.mean(pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=12)
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    pdfs, news = _inputs(folder, args.papers, args.articles)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-bench", "SUMMARIZER_HOME": str(folder / "home")}
    print(f"{os.cpu_count()} CPUs here; stand-in model server, {LATENCY} s per call; whole processes timed\n")
    print("| input | engine | documents | seconds | documents/min |")
    print("|---|---|---:|---:|---:|")
    engines = [("local (default workers)", []), ("ray, 1 CPU", ["--engine", "ray", "--ray-cpus", "1"]),
               ("ray, 2 CPUs", ["--engine", "ray", "--ray-cpus", "2"])]
    with LLMServer(latency=LATENCY) as server:
        for name, source, count in (("papers (PDF)", pdfs, len(list(pdfs.glob("*.pdf")))), ("news (text)", news, args.articles)):
            for n, (label, engine) in enumerate(engines):
                out = folder / f"out-{source.stem}-{n}"  # a fresh folder per run: nothing is skipped as done
                seconds = _run(source, out, server, engine, env)
                print(f"| {name} | {label} | {count} | {seconds:.1f} | {count * 60 / seconds:.1f} |", flush=True)
    start_up = _ray_start_up()
    ms_page, pages = _parse_ms_per_page(pdfs)
    print(f"\nRay start-up (a local Ray with 2 CPUs, in process): {start_up:.1f} s")
    print(f"Parse CPU: median {ms_page:.1f} ms per page; these papers average {pages:.1f} pages\n")
    docs, machines, cores, rps = 1_000_000, 10, 16, 50
    parse_hours = docs * pages * ms_page / 1000 / 3600
    requests = docs * 12  # a paper's requests at production defaults (sections, groups, overall): ~12 median
    print(f"Estimate for {docs:,} papers of {pages:.0f} pages on {machines} machines of {cores} cores, "
          f"the model cluster taking {rps} requests/s:")
    print(f"- parsing: {parse_hours:,.0f} CPU-hours, {parse_hours / (machines * cores):,.1f} h of wall time")
    print(f"- model: ~{requests:,} requests at {rps}/s: {requests / rps / 3600:,.1f} h")
    bound = "the model cluster" if requests / rps > parse_hours * 3600 / (machines * cores) else "parsing"
    print(f"- the bound is {bound}: more Ray machines help only while parsing is the bound; past that, "
          "raise the model cluster's rate (and the rpm ceiling with it)")


if __name__ == "__main__":
    main()

"""Batch throughput against a local OpenAI-compatible server with 0.3 s latency per call.

Articles per minute at 8 and 32 workers, then the same runs killed with SIGKILL half-way and
resumed: documents lost (missing from the final index) and duplicated (more than one index line or
file) must both be 0. Articles come from ../shared/corpus/news (generated ones if it is absent).

Run: python bench/batch_throughput.py
"""

from __future__ import annotations

import json
import os
import signal
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


def articles() -> list[dict]:
    rows = []
    for lang in ("en", "zh"):
        path = CORPUS / "news" / f"{lang}.jsonl"
        if path.exists():
            rows += [{"id": r["id"], "text": r["article"]} for r in load_jsonl(path)]
    if not rows:
        rows = [{"id": f"a{i}", "text": f"Story {i}\n\nThe council approved {i} million on Monday."} for i in range(100)]
    return rows


def command(src: Path, out: Path, server: LLMServer, workers: int) -> list[str]:
    return [sys.executable, "-m", "summarizer", "batch", str(src), "-o", str(out), "--backend", "llm", "--base-url",
            server.base_url, "--model", "bench", "--workers", str(workers), "--no-cache", "-q"]


def audit(out: Path, ids: list[str]) -> tuple[int, int]:
    lines = [json.loads(x) for x in (out / "index.jsonl").read_text().splitlines() if x.strip()]
    seen = [r["id"] for r in lines if r["status"] == "done"]
    lost = len(set(ids) - set(seen))
    duplicated = len(seen) - len(set(seen)) + sum(1 for p in out.glob("*.summary.md")) - len(set(seen))
    return lost, max(0, duplicated)


def main() -> None:
    rows = articles()
    ids = [r["id"] for r in rows]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-bench"}
    print(f"{len(rows)} articles, {LATENCY} s per call, one call per one-part article (its answer is the overview)\n")
    print("| workers | run | seconds | articles/min | lost | duplicated |")
    print("|---|---|---|---|---|---|")
    with LLMServer(latency=LATENCY) as server, tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "articles.jsonl"
        src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
        env["SUMMARIZER_HOME"] = str(Path(tmp) / "home")
        for workers in (8, 32):
            out = Path(tmp) / f"full-{workers}"
            start = time.perf_counter()
            subprocess.run(command(src, out, server, workers), env=env, check=True, capture_output=True)
            seconds = time.perf_counter() - start
            lost, dup = audit(out, ids)
            print(f"| {workers} | complete | {seconds:.1f} | {len(rows) / seconds * 60:.0f} | {lost} | {dup} |", flush=True)

            out = Path(tmp) / f"killed-{workers}"
            start = time.perf_counter()
            proc = subprocess.Popen(command(src, out, server, workers), env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            while True:
                index = out / "index.jsonl"
                if index.exists() and len(index.read_text().splitlines()) >= len(rows) // 2:
                    break
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            subprocess.run(command(src, out, server, workers), env=env, check=True, capture_output=True)
            seconds = time.perf_counter() - start
            lost, dup = audit(out, ids)
            print(f"| {workers} | SIGKILL at half + resume | {seconds:.1f} | {len(rows) / seconds * 60:.0f} | {lost} | "
                  f"{dup} |", flush=True)


if __name__ == "__main__":
    main()

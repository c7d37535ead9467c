"""The LLM engine against a local OpenAI-compatible server with 0.5 s latency per call.

A 12-section paper, 4 and 12 workers, with 0% and 20% of requests answering 429 (Retry-After: 0).
Prints wall time, the critical path (ceil(sections / workers) × latency + the synthesis call),
their ratio, the serial time for comparison, and the re-run from cache (time and requests).

Run: python bench/llm_concurrency.py
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.inputs.text_parser import parse_text  # noqa: E402
from summarizer.llm.backend import LLMBackend  # noqa: E402
from summarizer.llm.cache import AnswerCache  # noqa: E402
from summarizer.llm.client import ChatClient  # noqa: E402
from summarizer.run.engine import summarize_document  # noqa: E402

LATENCY = 0.5
SECTIONS = 12


def paper() -> str:
    parts = ["# A Twelve Section Paper", "## Abstract\nWe study a thing and report that it works well."]
    for i in range(1, SECTIONS):
        # ~540 tokens: each section is a request of its own (smaller neighbours would share one)
        parts.append(f"## {i} Section {i}\n" + f"Section {i} explains part {i} of the method in plain words. " * 45)
    return "\n\n".join(parts)


def run_once(server: LLMServer, workers: int, cache_dir: Path, use_cache: bool) -> tuple[float, int]:
    doc = parse_text(paper(), "bench.md")
    settings = Settings(backend="llm", model="bench-model", base_url=server.base_url, api_key="sk-bench",
                        workers=workers, use_cache=use_cache, timeout=30, max_attempts=8)
    client = ChatClient(settings, backoff_base=0.05)
    backend = LLMBackend(settings, client=client, cache=AnswerCache(cache_dir) if use_cache else None)
    before = len(server.state.chat_requests)
    start = time.perf_counter()
    result = summarize_document(doc, settings, backend=backend)
    elapsed = time.perf_counter() - start
    assert not result.failed, [r.error for r in result.failed]
    return elapsed, len(server.state.chat_requests) - before


def main() -> None:
    print("| workers | 429 share | wall s | critical path s | wall / critical | serial s | requests |")
    print("|---|---|---|---|---|---|---|")
    with LLMServer(latency=LATENCY) as server:
        for workers in (4, 12):
            for share in (0.0, 0.2):
                server.state.reset(latency=LATENCY, rate_limit_every=5 if share else 0, retry_after="0")
                with tempfile.TemporaryDirectory() as tmp:
                    wall, requests = run_once(server, workers, Path(tmp), use_cache=False)
                critical = math.ceil(SECTIONS / workers) * LATENCY + LATENCY
                serial = (SECTIONS + 1) * LATENCY
                print(f"| {workers} | {share:.0%} | {wall:.2f} | {critical:.2f} | {wall / critical:.2f} | {serial:.2f} | "
                      f"{requests} |", flush=True)
        server.state.reset(latency=LATENCY)
        with tempfile.TemporaryDirectory() as tmp:
            run_once(server, 12, Path(tmp), use_cache=True)
            again, requests = run_once(server, 12, Path(tmp), use_cache=True)
        print(f"\ncached re-run: {again:.3f} s with {requests} requests")


if __name__ == "__main__":
    main()

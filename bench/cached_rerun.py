"""A re-run whose every answer is cached: what does it cost over parsing the document?

Whole-process times (a fresh ``python`` each time, as the CLI runs): parse only, then parse and
summarize with the LLM backend when every answer is already in the cache (one run beforehand fills
it; runs are repeated until one sends nothing, as long sections are split by a budget the backend
adjusts as it learns the endpoint's token counts). The difference is what a cached re-run costs;
the target is ≤ 0.3 s. Also printed: whether the openai SDK and tiktoken were imported in the
cached run, and requests sent (must be 0).

Two more views of the same cost, as users meet it:
* **in the app** (a warm process: the app has imported everything once): the cached run again in the
  same process, after the first;
* **the CLI, command against command**: ``summarizer sections PDF`` (the CLI's way to parse a document)
  against ``summarizer summarize PDF --backend llm …`` with every answer cached (Markdown to a file,
  the run recorded in History, as a user's re-run does). Both commands build the settings model.

Run: python bench/cached_rerun.py [PDF] [REPEATS]      (default: a corpus paper, 3 repeats)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from summarizer.inputs.loading import load_path
doc = load_path(sys.argv[1], "pymupdf", 600)
t1 = time.perf_counter()
out = {"parse": t1 - t0}
if sys.argv[2] != "-":
    from summarizer.run.engine import summarize_document
    from summarizer.config.settings import Settings
    s = Settings(backend="llm", model="bench-model", base_url=sys.argv[2], api_key="sk-bench", workers=4)
    r = summarize_document(doc, s)
    out.update(run=time.perf_counter() - t1, requests=r.usage.requests, failed=len(r.failed),
               cached=sum(1 for x in r.sections if x.cached), sections=sum(1 for x in r.sections if x.status != "skipped"),
               openai="openai" in sys.modules, tiktoken="tiktoken" in sys.modules)
out["total"] = time.perf_counter() - t0
if sys.argv[2] != "-":  # the app's case: the same cached run again in a process that has imported everything
    t2 = time.perf_counter()
    summarize_document(doc, s)
    out["warm"] = time.perf_counter() - t2
print(json.dumps(out))
"""


def child(pdf: str, url: str, env: dict) -> dict:
    started = __import__("time").perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, pdf, url], capture_output=True, text=True, env=env, cwd=ROOT)
    wall = __import__("time").perf_counter() - started
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["wall"] = wall - data.get("warm", 0.0)  # the warm run again is the app's view, reported on its own
    if data.get("failed"):
        raise SystemExit(f"{data['failed']} section(s) failed: the bench measures nothing ({data})")
    return data


def command(args: list[str], env: dict) -> float:
    """Wall seconds of one CLI command in a fresh process."""
    started = __import__("time").perf_counter()
    subprocess.run([sys.executable, "-m", "summarizer", *args], check=True, capture_output=True, env=env, cwd=ROOT)
    return __import__("time").perf_counter() - started


def main() -> None:
    pdf = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared" / "corpus" / "papers" / "casper-ffg.pdf")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    home = tempfile.mkdtemp(prefix="bench-cached-")
    env = {**os.environ, "SUMMARIZER_HOME": home, "PYTHONPATH": str(ROOT)}
    env.pop("TIKTOKEN_CACHE_DIR", None)
    with LLMServer() as server:
        first = child(pdf, server.base_url, env)  # fills the answer cache and the token-count memo
        warmups = 1
        while warmups < 4 and child(pdf, server.base_url, env)["requests"]:  # until a run is fully cached
            warmups += 1
        parse_only, cached = [], []
        for _ in range(repeats):
            parse_only.append(child(pdf, "-", env))
            cached.append(child(pdf, server.base_url, env))
        cli_env = {**env, "OPENAI_API_KEY": "sk-bench"}
        out = str(Path(home) / "summary.md")
        rerun = ["summarize", pdf, "--backend", "llm", "--base-url", server.base_url, "--model", "bench-model",
                 "--workers", "4", "-q", "-o", out]
        command(rerun, cli_env)  # the CLI's own first run fills nothing new: the cache is the same
        cli_sections, cli_cached = [], []
        for _ in range(repeats):
            cli_sections.append(command(["sections", pdf], cli_env))
            cli_cached.append(command(rerun, cli_env))
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(f"Cached re-run of {Path(pdf).name} ({first['sections']} sections; first run sent {first['requests']} "
          f"requests; {warmups} run(s) before one sent nothing), median of {repeats}, load average {os.getloadavg()[0]:.1f}")
    print()
    print("| process | wall s | parse s | summarize s |")
    print("|---|---:|---:|---:|")
    print(f"| parse only | {med(parse_only, 'wall'):.2f} | {med(parse_only, 'parse'):.2f} | – |")
    print(f"| parse + cached LLM run | {med(cached, 'wall'):.2f} | {med(cached, 'parse'):.2f} | {med(cached, 'run'):.2f} |")
    print(f"| **difference (target ≤ 0.3 s)** | **{med(cached, 'wall') - med(parse_only, 'wall'):+.2f}** | | |")
    print()
    print(f"In the app (a warm process, the cached run again): **{med(cached, 'warm'):.2f} s**")
    print()
    print("| CLI command, fresh process | wall s |")
    print("|---|---:|")
    print(f"| `summarizer sections` | {statistics.median(cli_sections):.2f} |")
    print(f"| `summarizer summarize` (LLM, every answer cached) | {statistics.median(cli_cached):.2f} |")
    print(f"| **difference** | **{statistics.median(cli_cached) - statistics.median(cli_sections):+.2f}** |")
    print()
    last = cached[-1]
    print(f"cached run: {last['requests']} requests sent, {last['cached']}/{last['sections']} sections from the cache, "
          f"openai imported: {last['openai']}, tiktoken imported: {last['tiktoken']}")


if __name__ == "__main__":
    main()

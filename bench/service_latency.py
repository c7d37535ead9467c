"""The news desk's path through the HTTP service, under load: 16 concurrent clients, each posting Chinese and
English news articles to a real ``summarizer serve`` (uvicorn, production defaults) and waiting for the answer
(``Prefer: wait``), against the stand-in model server answering with a real model's timing (first byte after
0.8 s, then ~50 tokens/s, answers as long as asked). Prints p50/p95/p99 end to end, the model's own time and
the server's overhead (end to end minus the model's time for that article), then the same load on the
built-in offline backend. Targets: p95 ≤ 5 s, overhead p95 ≤ 0.25 s.

Articles: ../shared/corpus/news (generated ones if it is absent). Run: python bench/service_latency.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rouge_common import CORPUS, load_jsonl  # noqa: E402

from tests.api_server import ApiServer, service_env  # noqa: E402
from tests.llm_server import LLMServer  # noqa: E402

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 16  # 1: no contention
#: --processes N: the server's processes (production default 1)
PROCESSES = sys.argv[sys.argv.index("--processes") + 1] if "--processes" in sys.argv else "1"
#: --pin: the server on the last core, the clients and the stand-in model on the others (as on separate machines)
PIN = "--pin" in sys.argv
PER_CLIENT = 6
FIRST_BYTE, TOKENS_PER_SECOND = 0.8, 50.0


def articles() -> list[str]:
    rows = []
    for lang in ("zh", "en"):
        path = CORPUS / "news" / f"{lang}.jsonl"
        if path.exists():
            rows.append([r["article"] for r in load_jsonl(path)])
    if not rows:
        rows = [[f"The council approved {i} million for schools on Monday. Critics said it was too little. " * 4
                 for i in range(50)]]
    mixed = [a for pair in zip(*rows, strict=False) for a in pair]  # zh, en, zh, en …
    return mixed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def load(server: ApiServer, texts: list[str], backend: str) -> list[tuple[str, float, float]]:
    """Every client posts its articles one after another; (text, seconds end to end, seconds from the job's
    creation to its end as the server recorded them) per article."""
    out: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    cached: list[bool] = []

    def client(k: int) -> None:
        with server.client(timeout=120) as http:
            for j in range(PER_CLIENT):
                text = texts[(k * PER_CLIENT + j) % len(texts)] + f"\n\n(#{k}-{j})"  # each request its own document
                started = time.perf_counter()
                answer = http.post("/v1/summaries", json={"text": text, "backend": backend}, headers={"Prefer": "wait=60"})
                took = time.perf_counter() - started
                assert answer.status_code == 200 and answer.json()["status"] in ("done", "partial"), answer.text[:300]
                job = answer.json()
                with lock:
                    out.append((text, took, job["finished"] - job["created"]))
                    cached.append(answer.json()["result"]["usage"]["requests"] == 0)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if backend == "llm" and any(cached):
        print(f"note: {sum(cached)} of {len(cached)} answers came without a model request (cache)")
    return out


def model_seconds(model: LLMServer, text: str) -> float:
    """The stand-in's time on the requests about ``text`` (its unique tail names it)."""
    tail = text.rsplit("\n\n", 1)[-1]
    return sum(r.took for r in model.state.chat_requests if tail in json.dumps(r.body.get("messages", []), ensure_ascii=False))


def cpu_seconds(pid: int) -> float:
    """CPU time so far (user + system, all threads) of a process and its children (the server's processes),
    from /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def row(name: str, values: list[float]) -> str:
    return f"| {name} | {percentile(values, 50):.2f} | {percentile(values, 95):.2f} | {percentile(values, 99):.2f} |"


def main() -> None:
    texts = articles()
    with tempfile.TemporaryDirectory() as home, LLMServer(latency=FIRST_BYTE, tokens_per_second=TOKENS_PER_SECOND,
                                                           full_length=True) as model:
        cores = os.cpu_count() or 1
        if PIN and cores > 1:
            os.sched_setaffinity(0, set(range(cores - 1)))
        prefix = ("taskset", "-c", str(cores - 1)) if PIN and cores > 1 else ()
        server = ApiServer(service_env(Path(home), model.base_url), "--processes", PROCESSES, prefix=prefix).start()
        try:
            with server.client() as http:  # warm-up, not counted: the process's first imports and tokenizer load
                for backend in ("extractive", "llm"):
                    http.post("/v1/summaries", json={"text": texts[0] + "\n\n(warm-up)", "backend": backend},
                              headers={"Prefer": "wait=60"})
            model.state.reset(latency=FIRST_BYTE, tokens_per_second=TOKENS_PER_SECOND, full_length=True)
            started, cpu = time.perf_counter(), cpu_seconds(server.proc.pid)
            llm = load(server, texts, "llm")
            llm_wall, llm_cpu = time.perf_counter() - started, cpu_seconds(server.proc.pid) - cpu
            end_to_end = [t for _, t, _ in llm]
            modelled = [model_seconds(model, text) for text, _, _ in llm]
            overhead = [max(0.0, t - m) for (_, t, _), m in zip(llm, modelled, strict=True)]
            inside = [max(0.0, job - m) for (_, _, job), m in zip(llm, modelled, strict=True)]
            started, cpu = time.perf_counter(), cpu_seconds(server.proc.pid)
            offline = [t for _, t, _ in load(server, texts, "extractive")]
            offline_wall, offline_cpu = time.perf_counter() - started, cpu_seconds(server.proc.pid) - cpu
        finally:
            server.stop()
    n = CLIENTS * PER_CLIENT
    print(f"News through `summarizer serve --processes {PROCESSES}`: {CLIENTS} concurrent clients x {PER_CLIENT} "
          "articles (zh and en alternating), "
          f"stand-in model: first byte {FIRST_BYTE} s, {TOKENS_PER_SECOND:.0f} tokens/s")
    print()
    print("| seconds per article | p50 | p95 | p99 |")
    print("|---|---|---|---|")
    print(row("LLM backend, end to end", end_to_end))
    print(row("  the model's own time", modelled))
    print(row("  overhead: end to end minus the model's time", overhead))
    print(row("  of it inside the job (created to finished, minus the model)", inside))
    print(row("offline (extractive), end to end", offline))
    print()
    print(f"requests to the model: {len(model.state.chat_requests)} for {n} articles; "
          f"throughput {n / llm_wall * 60:.0f} articles/min (LLM), {n / offline_wall * 60:.0f} articles/min (offline)")
    print(f"the server's CPU per article: {llm_cpu / n * 1000:.0f} ms (LLM), {offline_cpu / n * 1000:.0f} ms (offline); "
          f"this machine has {os.cpu_count()} cores; " + ("the server had the last one to itself" if PIN else
                                                          "the server shared them with the clients and the stand-in model"))
    print(f"targets: p95 <= 5 s ({'met' if percentile(end_to_end, 95) <= 5 else 'NOT met'}), overhead p95 <= 0.25 s "
          f"({'met' if percentile(overhead, 95) <= 0.25 else 'NOT met'}); mean model time {statistics.mean(modelled):.2f} s")


if __name__ == "__main__":
    main()

"""Papers through the HTTP service on the Redis queue, with 1 and then 2 ``summarizer worker`` processes (a real
``redis-server``, a real ``summarizer serve --queue redis``, production defaults), against the stand-in model
server at 0.3 s per call. Prints papers per minute for each, the speed-up, and what it means for N machines.

Papers: the first 12 PDFs of ../shared/corpus/papers (generated ones if it is absent).
Run: python bench/service_workers.py   (needs redis-server: apt-get install redis-server)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rouge_common import CORPUS  # noqa: E402

from tests.api_server import ApiServer, RedisServer, service_env, wait_job  # noqa: E402
from tests.llm_server import LLMServer  # noqa: E402
from tests.pdf_factory import make_paper  # noqa: E402

PAPERS = 12
LATENCY = 0.3


def papers() -> list[tuple[str, bytes]]:
    found = sorted((CORPUS / "papers").glob("*.pdf"))[:PAPERS]
    if found:
        return [(p.name, p.read_bytes()) for p in found]
    return [(f"paper{i}.pdf", make_paper(title=f"Paper {i}: Fast Retrieval")) for i in range(PAPERS)]


def cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(workers: int, docs: list[tuple[str, bytes]]) -> tuple[float, int, float, float]:
    """Seconds to finish every paper with ``workers`` worker processes, the model requests made, the workers'
    CPU seconds and the stand-in model's (this process's) CPU seconds in that time."""
    with tempfile.TemporaryDirectory() as home, LLMServer(latency=LATENCY) as model:
        redis = RedisServer(Path(home) / "redis").start()
        env = service_env(Path(home), model.base_url, SUMMARIZER_SERVICE_QUEUE="redis",
                          SUMMARIZER_SERVICE_REDIS_URL=redis.url, SUMMARIZER_USE_CACHE="0")
        env.pop("SUMMARIZER_WHOLE_PAPER_BELOW")  # production default: short papers asked whole
        procs = [subprocess.Popen([sys.executable, "-m", "summarizer", "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        api = ApiServer(env).start()
        try:
            time.sleep(3)  # the workers' imports
            with api.client(timeout=120) as http:
                # parsed first (the API's work, POST /v1/sections), so the clock below measures the workers
                parsed = [http.post("/v1/sections", files={"file": (name, data, "application/pdf")}).json()["document_id"]
                          for name, data in docs]
                started = time.perf_counter()
                cpu0 = [cpu_seconds(p.pid) for p in procs]
                own0 = time.process_time()
                ids = [http.post("/v1/summaries", json={"document_id": doc}, headers={"Prefer": "respond-async"}).json()["id"]
                       for doc in parsed]
                for job_id in ids:
                    final = wait_job(http, job_id, timeout=600)
                    assert final["status"] in ("done", "partial"), final["error"]
                seconds = time.perf_counter() - started
                worker_cpu = sum(cpu_seconds(p.pid) - c for p, c in zip(procs, cpu0, strict=True))
                model_cpu = time.process_time() - own0
            return seconds, len(model.state.chat_requests), worker_cpu, model_cpu
        finally:
            for p in procs:
                p.terminate()
            api.stop()
            redis.stop()


def main() -> None:
    if not RedisServer.available():
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    docs = papers()
    one, requests, cpu_one, model_one = run(1, docs)
    two, _, cpu_two, model_two = run(2, docs)
    print(f"{len(docs)} papers ({requests} model requests) through summarizer serve --queue redis, stand-in model at "
          f"{LATENCY} s per call")
    print()
    print("| workers | seconds | papers/min | workers' CPU s | stand-in model's CPU s |")
    print("|---|---|---|---|---|")
    print(f"| 1 | {one:.1f} | {len(docs) / one * 60:.1f} | {cpu_one:.1f} | {model_one:.1f} |")
    print(f"| 2 | {two:.1f} | {len(docs) / two * 60:.1f} | {cpu_two:.1f} | {model_two:.1f} |")
    print()
    print(f"speed-up with 2 workers: {one / two:.2f}x on this {__import__('os').cpu_count()}-core machine (the workers, "
          "the API, Redis and the stand-in share it). On N machines of one worker each, throughput grows about N-fold "
          "while the model endpoint keeps up: a worker's work is CPU (checks, Markdown) plus waiting on the model, and "
          "workers share nothing but Redis (a few small writes per section).")


if __name__ == "__main__":
    main()

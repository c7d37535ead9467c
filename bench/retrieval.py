"""Benchmark passage retrieval for "Ask the paper" on the corpus papers.

For every summarizable section with prose, a question is made from its first sentence,
paraphrased by dropping about a third of its words (Chinese: of its 2-character pieces) and
shuffling the rest (fixed seed). A question is a hit when one of the top-3 passages belongs to
the right section (target ≥ 90 %). The extractive answerer's "found" decision is checked on the
same questions (they should be found) and on each question asked of another paper in the same
language (it should say "not found"). Latency: index build, the first question, and the median
and 95th percentile of later questions on the 40-page paper (target ≤ 50 ms), in-process.

Run: python bench/retrieval.py
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summarizer.ask.qa import Asker  # noqa: E402
from summarizer.config.settings import Settings  # noqa: E402
from summarizer.inputs.loading import load_path  # noqa: E402
from summarizer.text.retrieval import PassageIndex  # noqa: E402
from summarizer.text.sentences import split_sentences  # noqa: E402

PAPERS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "papers"
MIN_WORDS = 6


def paraphrase(sentence: str, lang: str, rng: random.Random) -> str:
    if lang == "zh":
        text = re.sub(r"\s", "", sentence)
        pieces = [text[i:i + 2] for i in range(0, len(text), 2)]
    else:
        pieces = sentence.split()
    kept = [p for p in pieces if rng.random() > 0.33] or pieces[:1]
    rng.shuffle(kept)
    return ("" if lang == "zh" else " ").join(kept)


def questions(doc, rng: random.Random) -> list[tuple[int, str]]:
    out = []
    for i, section in enumerate(doc.sections):
        if not section.summarizable:
            continue
        paragraphs = section.paragraphs
        if not paragraphs:
            continue
        first = split_sentences(paragraphs[0].text, doc.language)
        if not first:
            continue
        size = len(re.sub(r"\s", "", first[0])) // 2 if doc.language == "zh" else len(first[0].split())
        if size < MIN_WORDS:
            continue
        out.append((i, paraphrase(first[0], doc.language, rng)))
    return out


def main() -> None:
    rng = random.Random(7)
    settings = Settings()
    docs = [load_path(p) for p in sorted(PAPERS.glob("*.pdf"))]
    asked = {id(d): questions(d, rng) for d in docs}
    rows = []
    total = hits = found = 0
    refused = refused_total = 0
    for doc in docs:
        index = PassageIndex(doc)
        asker = Asker(doc, settings, index=index)
        qs = asked[id(doc)]
        n_hit = sum(any(h.passage.section_index == i for h in index.search(q, k=3)) for i, q in qs)
        n_found = sum(asker.ask(q).found for _, q in qs)
        others = [q for d in docs if d is not doc and d.language == doc.language for _, q in asked[id(d)][:4]]
        n_refused = sum(not asker.ask(q).found for q in others)
        rows.append((doc.source, doc.language, len(index), len(qs), n_hit, n_found, n_refused, len(others)))
        total += len(qs)
        hits += n_hit
        found += n_found
        refused += n_refused
        refused_total += len(others)
    print("| paper | lang | passages | questions | top-3 right section | found | other papers' questions refused |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for src, lang, n_pass, n_q, n_hit, n_found, n_ref, n_oth in rows:
        print(f"| {src} | {lang} | {n_pass} | {n_q} | {n_hit / max(1, n_q):.0%} | {n_found / max(1, n_q):.0%} "
              f"| {n_ref}/{n_oth} |")
    print(f"| **all** | | | {total} | **{hits / total:.1%}** | {found / total:.1%} | "
          f"{refused / max(1, refused_total):.1%} |")

    longest = max(docs, key=lambda d: d.page_count or 0)
    t0 = time.perf_counter()
    index = PassageIndex(longest)
    build = time.perf_counter() - t0
    asker = Asker(longest, settings, index=index)
    qs = [q for _, q in asked[id(longest)]] or ["method results"]
    t0 = time.perf_counter()
    asker.ask(qs[0])
    first = time.perf_counter() - t0
    times = []
    for _ in range(3):
        for q in qs:
            t0 = time.perf_counter()
            index.search(q, k=5)
            times.append(time.perf_counter() - t0)
    answers = []
    for q in qs:
        t0 = time.perf_counter()
        asker.ask(q)
        answers.append(time.perf_counter() - t0)
    times.sort()
    answers.sort()
    print()
    print(f"Latency on {longest.source} ({longest.page_count} pages, {len(index)} passages), in-process:")
    print("| step | ms |")
    print("|---|---:|")
    print(f"| index build | {build * 1000:.1f} |")
    print(f"| first question (extractive answer) | {first * 1000:.1f} |")
    print(f"| search, median of {len(times)} | {statistics.median(times) * 1000:.2f} |")
    print(f"| search, p95 | {times[int(0.95 * (len(times) - 1))] * 1000:.2f} |")
    print(f"| extractive answer (search + quote), median of {len(answers)} | {statistics.median(answers) * 1000:.2f} |")
    print(f"| extractive answer, p95 | {answers[int(0.95 * (len(answers) - 1))] * 1000:.2f} |")


if __name__ == "__main__":
    main()

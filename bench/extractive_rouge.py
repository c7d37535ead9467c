"""ROUGE of the built-in extractive summarizer next to the lead baseline, in the same run.

Sets: ../shared/corpus/news/en.jsonl, news/zh.jsonl and longdoc/pubmed.jsonl. For each article we
run the library as the app does (parse the text into a Document, then the extractive backend's
overall summary) and take the article's opening as the lead baseline. Every output is cut to its
reference's length (words for English, characters for Chinese) before scoring, so neither side
gains from being shorter. Chinese is scored on characters.

Run: python bench/extractive_rouge.py
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rouge_common import CORPUS, load_jsonl, score  # noqa: E402

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.extractive.backend import ExtractiveBackend  # noqa: E402
from summarizer.inputs.text_parser import parse_text  # noqa: E402
from summarizer.output.render import render_overview  # noqa: E402

SETS = [("news/en", "en"), ("news/zh", "zh"), ("longdoc/pubmed", "en")]


def plain(markdown: str) -> str:
    return re.sub(r"\*\*|^#+\s*|^- ", "", markdown, flags=re.M).strip()


def ours(article: str, backend: ExtractiveBackend) -> str:
    doc = parse_text(article, "article")
    overview, fields = backend.synthesize(doc, [])
    overview = overview or render_overview(fields)  # as the engine does: output/ writes the fields
    return plain(overview)


def main() -> None:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return
    backend = ExtractiveBackend(Settings())
    print("| set | n | ours R-1 | lead R-1 | Δ R-1 | ours R-2 | lead R-2 | ours R-L | lead R-L | s/article |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, lang in SETS:
        path = CORPUS / f"{name}.jsonl"
        if not path.exists():
            continue
        rows = load_jsonl(path)
        mine, lead = [], []
        start = time.perf_counter()
        for row in rows:
            article = row["article"]
            reference = row.get("reference_detok") or row.get("reference") or row["abstract"]
            mine.append(score(ours(article, backend), reference, lang))
            lead.append(score(article, reference, lang))
        per = (time.perf_counter() - start) / len(rows)

        def mean(scores: list[dict], key: str) -> float:
            return statistics.mean(s[key] for s in scores)

        print(f"| {name} | {len(rows)} | {mean(mine, 'rouge1'):.2f} | {mean(lead, 'rouge1'):.2f} | "
              f"{mean(mine, 'rouge1') - mean(lead, 'rouge1'):+.2f} | {mean(mine, 'rouge2'):.2f} | {mean(lead, 'rouge2'):.2f} | "
              f"{mean(mine, 'rougeL'):.2f} | {mean(lead, 'rougeL'):.2f} | {per:.3f} |", flush=True)


if __name__ == "__main__":
    main()

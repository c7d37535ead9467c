"""ROUGE of the news mode on ../shared/corpus/news/*.jsonl next to Lead-3 and Lead-2, in one run.

Rows: our extractive news overview (headline + paragraph), the LLM backend through a local
OpenAI-compatible test server (plumbing only: its answers echo the article's first words, so its
score says that the path works end to end, not how good a model is), and the Lead-3 / Lead-2
baselines (the article's first three / two sentences). Every output is cut to its reference's
length (words for English, characters for Chinese) before scoring.

Run: python bench/news_rouge.py
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402
from rouge_common import CORPUS, load_jsonl, score  # noqa: E402

from summarizer.engine import summarize_document  # noqa: E402
from summarizer.extractive_backend import ExtractiveBackend  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.settings import Settings  # noqa: E402
from summarizer.text_parser import parse_text  # noqa: E402


def plain(markdown: str) -> str:
    return re.sub(r"\*\*|^#+\s*|^- |\[\^[^\]]+\]", "", markdown, flags=re.M).strip()


def lead(article: str, k: int, lang: str) -> str:
    return ("" if lang == "zh" else " ").join(split_sentences(article, lang)[:k])


def main() -> None:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}")
        return
    extractive = ExtractiveBackend(Settings())
    with LLMServer() as server, tempfile.TemporaryDirectory() as home:
        import os

        os.environ["SUMMARIZER_HOME"] = home
        llm = Settings(backend="llm", model="plumbing", base_url=server.base_url, api_key="sk-bench", use_cache=False,
                       workers=4)
        print("| set | n | system | R-1 | R-2 | R-L |")
        print("|---|---|---|---|---|---|")
        for lang in ("en", "zh"):
            rows = load_jsonl(CORPUS / "news" / f"{lang}.jsonl")
            scores: dict[str, list[dict]] = {"extractive news mode": [], "llm (local test server)": [],
                                             "Lead-3": [], "Lead-2": []}
            for row in rows:
                ref = row.get("reference_detok") or row["reference"]
                doc = parse_text(row["article"], row["id"])
                overview, _ = extractive.synthesize(doc, [])
                scores["extractive news mode"].append(score(plain(overview), ref, lang))
                result = summarize_document(doc, llm)
                text = plain(result.sections[0].summary if result.sections and result.sections[0].ok else "")
                scores["llm (local test server)"].append(score(text, ref, lang))
                scores["Lead-3"].append(score(lead(row["article"], 3, lang), ref, lang))
                scores["Lead-2"].append(score(lead(row["article"], 2, lang), ref, lang))
            for system, values in scores.items():
                mean = {k: statistics.mean(v[k] for v in values) for k in ("rouge1", "rouge2", "rougeL")}
                print(f"| news/{lang} | {len(rows)} | {system} | {mean['rouge1']:.2f} | {mean['rouge2']:.2f} | "
                      f"{mean['rougeL']:.2f} |", flush=True)


if __name__ == "__main__":
    main()

"""Faithfulness check, both sides, on the whole shared corpus (papers + English and Chinese news).

1. False alarms: the extractive summaries (every section and the overview) of every document are
   checked against their source exactly as the engine does. They quote the source, so every flag
   is a false alarm (target 0).
2. Misses: each summary gets one invented item of each kind — a number (digits), a number in
   words, a quotation, a name — chosen so that it is not in the source; each must be flagged
   (target: all).

Run: python bench/faithfulness.py  (about a minute: it parses the 19 papers)
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.run.engine import summarize_document  # noqa: E402
from summarizer.verify.faithfulness import check_summary, numbers_in  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
EN_WORDS = ["seventeen", "forty-three", "ninety-one", "sixty-eight", "twenty-nine"]
EN_VALUES = [17, 43, 91, 68, 29]
ZH_WORDS = ["三千七百", "八十六", "四万五千", "九百零三", "六十七"]
ZH_VALUES = [3700, 86, 45000, 903, 67]


def documents():
    from summarizer.inputs.text_parser import parse_text
    from summarizer.pdf.parser import parse_pdf

    for pdf in sorted((CORPUS / "papers").glob("*.pdf")):
        yield "paper", pdf.stem, parse_pdf(pdf.read_bytes())
    for lang in ("en", "zh"):
        for line in (CORPUS / "news" / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            doc = parse_text(item["article"], item["id"], title=item.get("title"))
            doc.genre = "article"
            yield f"news-{lang}", item["id"], doc


def pairs(summary):
    """(summary text, its source) for every section and the overview, as the engine checks them."""
    doc = summary.document
    for r in summary.sections:
        if r.status in ("done", "cached") and r.summary.strip():
            s = doc.sections[r.index]
            yield r.summary, f"{doc.title}\n{s.title}\n{s.text}", doc.language
    if summary.overview:
        yield summary.overview, doc.text, doc.language


def _absent_value(values: list[int], source_values: set[float], rng: random.Random) -> int:
    choices = [i for i, v in enumerate(values) if float(v) not in source_values]
    return rng.choice(choices) if choices else -1


def inject(text: str, source: str, lang: str, rng: random.Random) -> dict[str, str]:
    """One summary per kind of invented claim, each claim absent from the source."""
    src_values = {v for m in numbers_in(source) for v, _ in m.candidates}
    number = next(n for n in (rng.randint(1000, 99999) for _ in range(50)) if float(n) not in src_values)
    words, values = (ZH_WORDS, ZH_VALUES) if lang == "zh" else (EN_WORDS, EN_VALUES)
    w = _absent_value(values, src_values, rng)
    out = {}
    if lang == "zh":
        out["number"] = text + f"\n- 共有{number:,}名参与者。"
        if w >= 0:
            out["number word"] = text + f"\n- 研究覆盖了{words[w]}个样本。"
        out["quotation"] = text + "\n- 负责人表示：“这一结果完全出乎所有人的意料之外”。"
        out["name"] = text + "\n- 该项目由 Zebulon Quartermaine 领导。"
    else:
        out["number"] = text + f"\n- The study enrolled {number:,} participants."
        if w >= 0:
            out["number word"] = text + f"\n- It was tested on {words[w]} benchmarks."
        out["quotation"] = text + '\n- The lead author said "this result surprised every single one of us".'
        out["name"] = text + "\n- The project was led by Zebulon Quartermaine."
    return out


def flagged(check, kind: str) -> bool:
    return bool({"number": check.numbers, "number word": check.numbers, "quotation": check.quotes,
                 "name": check.names}[kind])


def main() -> None:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}")
        return
    rng = random.Random(13)
    settings = Settings()
    false_alarms: Counter = Counter()
    checked: Counter = Counter()
    examples: list[str] = []
    caught: Counter = Counter()
    injected: Counter = Counter()
    missed: list[str] = []
    started = time.perf_counter()
    for group, name, doc in documents():
        result = summarize_document(doc, settings)
        for text, source, lang in pairs(result):
            check = check_summary(text, source)
            checked[group] += 1
            for kind, items in (("number", check.numbers), ("quotation", check.quotes), ("name", check.names)):
                false_alarms[(group, kind)] += len(items)
                if items and len(examples) < 12:
                    examples.append(f"{name}: {kind} {items[:3]}")
            for kind, bad in inject(text, source, lang, rng).items():
                injected[(group, kind)] += 1
                if flagged(check_summary(bad, source), kind):
                    caught[(group, kind)] += 1
                elif len(missed) < 12:
                    missed.append(f"{name}: {kind}: {bad.splitlines()[-1][:80]}")
    groups = ["paper", "news-en", "news-zh"]
    kinds = ["number", "quotation", "name"]
    print(f"Faithfulness check on the shared corpus ({time.perf_counter() - started:.0f} s)\n")
    print("False alarms on extractive summaries (target 0)")
    print(f"| {'corpus':<8} | {'summaries':>9} | " + " | ".join(f"{k:>9}" for k in kinds) + " |")
    print("|" + "---|" * (2 + len(kinds)))
    for g in groups:
        print(f"| {g:<8} | {checked[g]:>9} | " + " | ".join(f"{false_alarms[(g, k)]:>9}" for k in kinds) + " |")
    total_fa = sum(false_alarms.values())
    print(f"| {'all':<8} | {sum(checked.values()):>9} | total false alarms: {total_fa} |")
    print("\nInjected claims flagged (target: all)")
    ikinds = ["number", "number word", "quotation", "name"]
    print(f"| {'corpus':<8} | " + " | ".join(f"{k:>11}" for k in ikinds) + " |")
    print("|" + "---|" * (1 + len(ikinds)))
    for g in groups:
        print(f"| {g:<8} | " + " | ".join(f"{caught[(g, k)]:>5}/{injected[(g, k)]:<5}" for k in ikinds) + " |")
    print(f"| {'all':<8} | flagged {sum(caught.values())} of {sum(injected.values())} |")
    if examples:
        print("\nFalse alarms (first few):\n" + "\n".join(f"  {e}" for e in examples))
    if missed:
        print("\nMissed (first few):\n" + "\n".join(f"  {m}" for m in missed))


if __name__ == "__main__":
    main()

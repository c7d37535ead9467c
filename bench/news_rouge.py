"""Split-half ROUGE of the offline news overview against the lead, so its rules are judged on unseen news.

Each of ../shared/corpus/news/{en,zh}.jsonl is split in two halves, A and B, by a hash of the
article id (stable, independent of file order). The news overview's rules (``summarizer.extractive.news.NewsRules``)
are tuned on one half by greedy forward selection (add the rule that raises mean ROUGE-1 most,
while it raises it by at least ``MIN_GAIN``) and the tuned rules are scored on the other half,
in both directions. The rules the library ships (``summarizer.extractive.news.RULES``) are scored on both
halves through the real backend (parse the text into a Document, then the extractive overview),
and each rule alone is scored against the lead on both halves, so one can see which rules hold
on news they were not tuned on.

The lead is the article's opening. Every output is cut to its reference's length (words for
English, characters for Chinese) before scoring, so neither side gains from being shorter.
With ``--llm``, the LLM path through a local OpenAI-compatible test server is scored too
(plumbing only: its answers echo the article's first words).

Run: python bench/news_rouge.py [--llm]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from rouge_common import CORPUS, load_jsonl, score  # noqa: E402

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.extractive.backend import ExtractiveBackend  # noqa: E402
from summarizer.extractive.news import RULES, NewsRules, news_overview  # noqa: E402
from summarizer.inputs.text_parser import parse_text  # noqa: E402
from summarizer.output.render import render_overview  # noqa: E402

MIN_GAIN = 0.1  # ROUGE-1 points a rule must add on the tuning half to be selected
KEYS = ("rouge1", "rouge2", "rougeL")
RULE_NAMES = [f.name for f in dataclasses.fields(NewsRules)]


def half(article_id: str) -> str:
    """'A' or 'B', from a hash of the id."""
    return "AB"[hashlib.sha256(article_id.encode("utf-8")).digest()[0] % 2]


def source_of(row: dict) -> str:
    """The outlet/dataset an article comes from (first word of its dataset name)."""
    return row.get("dataset", "unknown").split(" ")[0]


def plain(markdown: str) -> str:
    return re.sub(r"\*\*|^#+\s*|^- |\[\^[^\]]+\]", "", markdown, flags=re.M).strip()


def reference(row: dict) -> str:
    return row.get("reference_detok") or row["reference"]


def mean(scores: list[dict]) -> dict[str, float]:
    return {k: statistics.mean(s[k] for s in scores) for k in KEYS}


class Half:
    """One half of one language: its articles as the app parses them, and cached scores per rule set."""

    def __init__(self, rows: list[dict], lang: str) -> None:
        self.rows, self.lang = rows, lang
        self.texts = [parse_text(r["article"], r["id"]).text for r in rows]
        self.lead = mean([score(r["article"], reference(r), lang) for r in rows])
        self._cache: dict[NewsRules, dict[str, float]] = {}

    def ours(self, rules: NewsRules) -> dict[str, float]:
        if rules not in self._cache:
            out = []
            for row, text in zip(self.rows, self.texts):
                line, paragraph = news_overview(text, self.lang, rules=rules)
                out.append(score(f"{line}\n\n{paragraph}", reference(row), self.lang))
            self._cache[rules] = mean(out)
        return self._cache[rules]


def tune(part: Half) -> NewsRules:
    """Greedy forward selection of rules on ``part``."""
    rules = NewsRules()
    best = part.ours(rules)["rouge1"]
    while True:
        trials = [(part.ours(dataclasses.replace(rules, **{n: True}))["rouge1"], n)
                  for n in RULE_NAMES if not getattr(rules, n)]
        if not trials:
            return rules
        top, name = max(trials)
        if top < best + MIN_GAIN:
            return rules
        rules, best = dataclasses.replace(rules, **{name: True}), top


def on(rules: NewsRules) -> str:
    names = [n for n in RULE_NAMES if getattr(rules, n)]
    return ", ".join(names) or "none (the lead)"


def row(cells: list) -> str:
    return "| " + " | ".join(f"{c:.2f}" if isinstance(c, float) else str(c) for c in cells) + " |"


def backend_scores(rows: list[dict], lang: str) -> dict[str, float]:
    backend = ExtractiveBackend(Settings())
    out = []
    for r in rows:
        overview, fields = backend.synthesize(parse_text(r["article"], r["id"]), [])
        overview = overview or render_overview(fields)  # as the engine does: output/ writes the fields
        out.append(score(plain(overview), reference(r), lang))
    return mean(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", action="store_true", help="also score the LLM path through the local test server")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}")
        return
    halves: dict[str, dict[str, Half]] = {}
    for lang in ("en", "zh"):
        rows = load_jsonl(CORPUS / "news" / f"{lang}.jsonl")
        halves[lang] = {h: Half([r for r in rows if half(r["id"]) == h], lang) for h in "AB"}

    print("Split-half: rules tuned on one half, scored on the other; 'shipped' = summarizer.extractive.news.RULES "
          "through the extractive backend.")
    print("| set | half tuned on | half scored | n | ours R-1 | ours R-2 | ours R-L | lead R-1 | lead R-2 | "
          "lead R-L | Δ R-1 | rules |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for lang, parts in halves.items():
        for tuned, scored in (("A", "B"), ("B", "A")):
            rules = tune(parts[tuned])
            ours, lead = parts[scored].ours(rules), parts[scored].lead
            print(row([f"news/{lang}", tuned, scored, len(parts[scored].rows), ours["rouge1"], ours["rouge2"],
                       ours["rougeL"], lead["rouge1"], lead["rouge2"], lead["rougeL"],
                       f"{ours['rouge1'] - lead['rouge1']:+.2f}", on(rules)]), flush=True)
        for scored in "AB":
            ours, lead = backend_scores(parts[scored].rows, lang), parts[scored].lead
            print(row([f"news/{lang}", "shipped", scored, len(parts[scored].rows), ours["rouge1"], ours["rouge2"],
                       ours["rougeL"], lead["rouge1"], lead["rouge2"], lead["rougeL"],
                       f"{ours['rouge1'] - lead['rouge1']:+.2f}", on(RULES[lang])]), flush=True)

    print()
    print("Each rule alone: Δ ROUGE-1 against the lead (all rules off) on each half.")
    print("| set | rule | Δ R-1 on A | Δ R-1 on B |")
    print("|---|---|---|---|")
    for lang, parts in halves.items():
        base = {h: parts[h].ours(NewsRules())["rouge1"] for h in "AB"}
        print(row([f"news/{lang}", "none: our lead vs the raw article's lead",
                   f"{base['A'] - parts['A'].lead['rouge1']:+.2f}", f"{base['B'] - parts['B'].lead['rouge1']:+.2f}"]))
        for name in RULE_NAMES:
            alone = NewsRules(**{name: True})
            print(row([f"news/{lang}", name, f"{parts['A'].ours(alone)['rouge1'] - base['A']:+.2f}",
                       f"{parts['B'].ours(alone)['rouge1'] - base['B']:+.2f}"]), flush=True)

    print()
    print("Leave one source out: rules tuned on the other sources of the language, scored on this one "
          "(a harder test of rules that fit one outlet's style).")
    print("| set | source scored | n | ours R-1 | lead R-1 | Δ R-1 | rules tuned on the rest | shipped Δ R-1 |")
    print("|---|---|---|---|---|---|---|---|")
    for lang, parts in halves.items():
        rows = parts["A"].rows + parts["B"].rows
        for source in sorted({source_of(r) for r in rows}):
            held = Half([r for r in rows if source_of(r) == source], lang)
            rest = Half([r for r in rows if source_of(r) != source], lang)
            rules = tune(rest)
            ours, shipped = held.ours(rules)["rouge1"], held.ours(RULES[lang])["rouge1"]
            print(row([f"news/{lang}", source, len(held.rows), ours, held.lead["rouge1"],
                       f"{ours - held.lead['rouge1']:+.2f}", on(rules), f"{shipped - held.lead['rouge1']:+.2f}"]),
                  flush=True)

    if args.llm:
        _llm_rows(halves)


def _llm_rows(halves: dict[str, dict[str, Half]]) -> None:
    import os
    import tempfile

    from llm_server import LLMServer

    from summarizer.run.engine import summarize_document

    print()
    print("| set | n | system | R-1 | R-2 | R-L |")
    print("|---|---|---|---|---|---|")
    with LLMServer() as server, tempfile.TemporaryDirectory() as home:
        os.environ["SUMMARIZER_HOME"] = home
        llm = Settings(backend="llm", model="plumbing", base_url=server.base_url, api_key="sk-bench",
                       use_cache=False, workers=4)
        for lang, parts in halves.items():
            rows = parts["A"].rows + parts["B"].rows
            out = []
            for r in rows:
                result = summarize_document(parse_text(r["article"], r["id"]), llm)
                text = plain(result.sections[0].summary if result.sections and result.sections[0].ok else "")
                out.append(score(text, reference(r), lang))
            m = mean(out)
            print(row([f"news/{lang}", len(rows), "llm (local test server)", m["rouge1"], m["rouge2"], m["rougeL"]]))


if __name__ == "__main__":
    main()

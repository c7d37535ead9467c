"""ROUGE scoring shared by the benchmarks: English on words (stemmed), Chinese on characters.

Every output is cut to its reference's length before scoring (words for English, characters
for Chinese), so neither side gains from being shorter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rouge_score import rouge_scorer

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


class _CharTokenizer:
    def tokenize(self, text: str) -> list[str]:
        return [c for c in text if not c.isspace() and c not in "，。、；：！？“”‘’（）《》,.;:!?\"'()"]


_EN = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
_ZH = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=_CharTokenizer())


def cut(text: str, length: int, lang: str) -> str:
    if lang == "zh":
        out, n = [], 0
        for ch in text:
            if n >= length:
                break
            out.append(ch)
            n += not ch.isspace()
        return "".join(out)
    return " ".join(text.split()[:length])


def ref_length(reference: str, lang: str) -> int:
    return len(re.sub(r"\s", "", reference)) if lang == "zh" else len(reference.split())


def score(prediction: str, reference: str, lang: str) -> dict[str, float]:
    scorer = _ZH if lang == "zh" else _EN
    result = scorer.score(reference, cut(prediction, ref_length(reference, lang), lang))
    return {k: v.fmeasure * 100 for k, v in result.items()}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

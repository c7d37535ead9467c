"""Sentence splitters on our corpus: ours (summarizer.text.sentences) against spaCy and pySBD.

Texts: the corpus papers (PyMuPDF text blocks, one paragraph per block), news/en, news/zh and
longdoc/pubmed articles. Every splitter gets the same paragraphs and the same clean-up of false
splits (abbreviations, initials, lower-case continuations), so only the boundary finder differs:
- spaCy: a blank ``en``/``zh`` pipeline with the rule-based ``sentencizer`` (the former splitter);
- pySBD: ``pysbd.Segmenter`` (en, zh), if installed;
- ours: the rules in ``summarizer.text.sentences``.

Boundaries are compared as offsets in the text with white space removed. Agreement is
precision / recall / F1 of a splitter's boundaries against spaCy's. Load time is measured in a
fresh process (import + pipeline); split time over the whole set, warm. ``--show N`` prints N
disagreements per set, to judge who is right.

Run: python bench/sentence_split.py [--show 5]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.text import sentences as ours  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"

LOADERS = {
    "spacy": "import spacy; nlp = spacy.blank('{lang}'); nlp.add_pipe('sentencizer'); nlp('x.')",
    "pysbd": "import pysbd; pysbd.Segmenter(language='{lang}', clean=False).segment('x.')",
    "ours": "from summarizer.text.sentences import split_sentences; split_sentences('x.', '{lang}')",
}


def _paragraph_splitter(finder):
    """``split_sentences`` with its boundary finder swapped for ``finder(paragraph, lang)``."""
    def split(text: str, lang: str) -> list[str]:
        original = ours._pieces
        ours._pieces = finder
        try:
            return ours.split_sentences(text, lang)
        finally:
            ours._pieces = original
    return split


def _spacy_finder():
    import spacy

    pipes = {}

    def find(paragraph: str, lang: str) -> list[str]:
        if lang not in pipes:
            nlp = spacy.blank(lang)
            nlp.add_pipe("sentencizer")
            nlp.max_length = 50_000_000
            pipes[lang] = nlp
        return [s.text.strip() for s in pipes[lang](paragraph).sents if s.text.strip()]
    return find


def _pysbd_finder():
    import pysbd

    segs = {}

    def find(paragraph: str, lang: str) -> list[str]:
        if lang not in segs:
            segs[lang] = pysbd.Segmenter(language=lang, clean=False)
        return [s.strip() for s in segs[lang].segment(paragraph) if s.strip()]
    return find


def _texts() -> dict[tuple[str, str], list[str]]:
    from summarizer.pdf.engine import pymupdf
    from summarizer.text.language import detect_language

    sets: dict[tuple[str, str], list[str]] = {}
    for pdf in sorted((CORPUS / "papers").glob("*.pdf")):
        with pymupdf().open(pdf) as doc:
            text = "\n\n".join(b[4] for page in doc for b in page.get_text("blocks") if b[6] == 0)
        sets.setdefault(("papers", detect_language(text)), []).append(text)
    for name, lang in (("news/en", "en"), ("news/zh", "zh"), ("longdoc/pubmed", "en")):
        rows = [json.loads(x) for x in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
        sets[(name, lang)] = [r["article"] for r in rows]
    return sets


def _boundaries(sentences: list[str]) -> set[int]:
    out, pos = set(), 0
    for s in sentences:
        pos += len(re.sub(r"\s", "", s))
        out.add(pos)
    return out


def _load_time(name: str, lang: str) -> float:
    code = f"import time; t = time.perf_counter(); {LOADERS[name].format(lang=lang)}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    return float(out.stdout.strip()) if out.returncode == 0 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    splitters = {"spacy": _paragraph_splitter(_spacy_finder()), "ours": ours.split_sentences}
    try:
        splitters["pysbd"] = _paragraph_splitter(_pysbd_finder())
    except ImportError:
        pass
    sets = _texts()
    print("| set | lang | docs | splitter | sentences | P vs spaCy | R vs spaCy | F1 vs spaCy | split s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, lang), texts in sets.items():
        results = {}
        for sname, split in splitters.items():
            split(texts[0], lang)  # warm
            start = time.perf_counter()
            results[sname] = [split(t, lang) for t in texts]
            results[sname + ":t"] = time.perf_counter() - start
        ref = [_boundaries(x) for x in results["spacy"]]
        for sname in splitters:
            got = [_boundaries(x) for x in results[sname]]
            tp = sum(len(g & r) for g, r in zip(got, ref))
            p = tp / max(1, sum(map(len, got)))
            r = tp / max(1, sum(map(len, ref)))
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            print(f"| {name} | {lang} | {len(texts)} | {sname} | {sum(map(len, results[sname]))} | {p:.3f} | {r:.3f} | "
                  f"{f1:.3f} | {results[sname + ':t']:.3f} |", flush=True)
        if args.show:
            rng = random.Random(0)
            diffs = []
            for sp, mine in zip(results["spacy"], results["ours"]):
                a, b = set(sp), set(mine)
                diffs += [("spacy only", s) for s in sp if s not in b] + [("ours only", s) for s in mine if s not in a]
            for who, s in rng.sample(diffs, min(args.show, len(diffs))):
                print(f"    {name} {who}: {s[:160]!r}")
    print()
    print("| splitter | load s (en) | load s (zh) |")
    print("|---|---|---|")
    for sname in LOADERS:
        if sname in splitters:
            print(f"| {sname} | {_load_time(sname, 'en'):.3f} | {_load_time(sname, 'zh'):.3f} |", flush=True)


if __name__ == "__main__":
    main()

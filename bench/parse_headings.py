"""Benchmark the PDF parser against the authors' section structure in ../shared/corpus/papers.

For every paper: heading precision/recall/F1 (levels 1–2, the authors' \\section and
\\subsection), level-1 F1, title found, abstract found — with the PDF outline and with the
outline removed. Also pages per second, next to pymupdf4llm's Markdown headings on the same PDFs.

Run: python bench/parse_headings.py [--no-pymupdf4llm]
"""

from __future__ import annotations

import difflib
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summarizer.pdf.headings import CITATION_KEYS  # noqa: E402
from summarizer.pdf.parser import parse_pdf  # noqa: E402
from summarizer.text.kinds import strip_number  # noqa: E402

PAPERS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "papers"


def norm(title: str, numbered: bool = True) -> str:
    """Compare titles without numbering, citations, case or punctuation."""
    title = re.sub(r"\((?:[^()]*\bet al\.?|[^()]*\d{4}[a-z]?)[^()]*\)", "", title)  # \cite left in a heading
    title = re.sub(CITATION_KEYS, "", title)  # "[KZG10]", alpha style
    title = strip_number(title) if numbered else title
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", title.lower())


def match(pred: list[str], gold: list[str]) -> int:
    """Greedy in-order matching of normalised titles (exact, or ≥0.9 similar)."""
    used: set[int] = set()
    hits = 0
    for p in pred:
        for i, g in enumerate(gold):
            if i in used:
                continue
            if p == g or (len(g) > 6 and difflib.SequenceMatcher(None, p, g).ratio() >= 0.9):
                used.add(i)
                hits += 1
                break
    return hits


def prf(pred: list[str], gold: list[str]) -> tuple[float, float, float]:
    if not pred and not gold:
        return 1.0, 1.0, 1.0
    hits = match(pred, gold)
    p = hits / len(pred) if pred else 0.0
    r = hits / len(gold) if gold else (1.0 if not pred else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def strip_outline(data: bytes) -> bytes:
    import pymupdf

    doc = pymupdf.open(stream=data, filetype="pdf")
    doc.set_toc([])
    out = doc.tobytes()
    doc.close()
    return out


def score_paper(meta: dict, data: bytes) -> dict:
    gold = meta["headings"]
    gold_all = [norm(h["title"], False) for h in gold if h["level"] <= 2]
    gold_l1 = [norm(h["title"], False) for h in gold if h["level"] == 1]
    t0 = time.perf_counter()
    doc = parse_pdf(data, meta["slug"] + ".pdf")
    elapsed = time.perf_counter() - t0
    # The gold lists \section/\subsection commands; the abstract and the bibliography heading come
    # from other commands, so they are left out on both sides unless the authors wrote them as sections.
    gold_kinds = {norm(h["title"], False) for h in gold}
    secs = [s for s in doc.sections if s.kind not in ("caption", "body") and s.title not in ("Front matter", "Preamble")]
    secs = [s for s in secs if not (s.kind in ("abstract", "references") and norm(s.title) not in gold_kinds)]
    pred_all = [norm(s.title) for s in secs if s.level <= 2]
    pred_l1 = [norm(s.title) for s in secs if s.level == 1]
    _, _, f_all = prf(pred_all, gold_all)
    p, r, _ = prf(pred_all, gold_all)
    _, _, f_l1 = prf(pred_l1, gold_l1)
    title_ok = difflib.SequenceMatcher(None, norm(doc.title), norm(meta["title"])).ratio() >= 0.9
    abstract_ok = None
    if meta.get("abstract"):
        def units(text: str) -> set[str]:
            text = re.sub(r"\s+", "", text.lower()) if meta.get("language") == "zh" else text.lower()
            if meta.get("language") == "zh":
                return {text[i:i + 2] for i in range(len(text) - 1)}
            return set(re.findall(r"\w+", text))
        words, got = units(meta["abstract"]), units(doc.abstract)
        abstract_ok = len(words & got) / max(1, len(words)) >= 0.8
    return {"p": p, "r": r, "f1": f_all, "f1_l1": f_l1, "title": title_ok, "abstract": abstract_ok,
            "seconds": elapsed, "pages": doc.page_count or 0}


def pymupdf4llm_headings(path: Path) -> tuple[list[str], list[str], float, int]:
    import pymupdf4llm

    t0 = time.perf_counter()
    md = pymupdf4llm.to_markdown(str(path), show_progress=False)
    elapsed = time.perf_counter() - t0
    heads = [(len(m.group(1)), m.group(2)) for m in re.finditer(r"^(#{1,6})\s+(.+)$", md, re.M)]
    depths = sorted({d for d, _ in heads})
    rank = {d: i + 1 for i, d in enumerate(depths)}
    all_ = [norm(re.sub(r"[*_`]", "", t)) for d, t in heads if rank[d] <= 3]
    l1 = [norm(re.sub(r"[*_`]", "", t)) for d, t in heads if rank[d] == 1]
    return all_, l1, elapsed, 0


def main() -> None:
    if not PAPERS.is_dir():
        print(f"corpus not found at {PAPERS}; nothing to measure")
        return
    with_llm = "--no-pymupdf4llm" not in sys.argv
    rows = []
    for meta_path in sorted(PAPERS.glob("*.json")):
        if meta_path.name == "index.json":
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        pdf = PAPERS / meta["pdf_file"]
        data = pdf.read_bytes()
        a = score_paper(meta, data)
        b = score_paper(meta, strip_outline(data))
        row = {"slug": meta["slug"], "with": a, "without": b}
        if with_llm:
            all_, l1, secs, _ = pymupdf4llm_headings(pdf)
            gold_all = [norm(h["title"], False) for h in meta["headings"] if h["level"] <= 2]
            row["p4l_f1"] = prf(all_, gold_all)[2]
            row["p4l_seconds"] = secs
        rows.append(row)
        print(f"{meta['slug'][:34]:34} outline: F1 {a['f1']:.2f} L1 {a['f1_l1']:.2f} title {int(a['title'])} "
              f"abs {'-' if a['abstract'] is None else int(a['abstract'])} | no outline: F1 {b['f1']:.2f} "
              f"L1 {b['f1_l1']:.2f} title {int(b['title'])} abs {'-' if b['abstract'] is None else int(b['abstract'])}"
              + (f" | pymupdf4llm F1 {row['p4l_f1']:.2f}" if with_llm else ""), flush=True)

    def mean(key: str, side: str) -> float:
        vals = [r[side][key] for r in rows if r[side][key] is not None]
        return statistics.mean(float(v) for v in vals)

    print()
    print("| setting | heading P | heading R | heading F1 | level-1 F1 | title | abstract |")
    print("|---|---|---|---|---|---|---|")
    for side in ("with", "without"):
        print(f"| {side} outline | {mean('p', side):.3f} | {mean('r', side):.3f} | {mean('f1', side):.3f} | "
              f"{mean('f1_l1', side):.3f} | {mean('title', side):.3f} | {mean('abstract', side):.3f} |")
    pages = sum(r["without"]["pages"] for r in rows)
    ours = sum(r["without"]["seconds"] for r in rows)
    print(f"\nours: {pages} pages in {ours:.2f} s = {pages / ours:.1f} pages/s")
    if with_llm:
        theirs = sum(r["p4l_seconds"] for r in rows)
        print(f"pymupdf4llm: {pages / theirs:.1f} pages/s, heading F1 {statistics.mean(r['p4l_f1'] for r in rows):.3f}")
        print(f"speed ratio: {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()

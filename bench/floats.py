"""Tables and figures on the corpus papers (issue #30), scored against the captions in each paper's JSON:
the share found on the right page with their caption number (recall; target >= 90 %), the share of those with a
region (and tables with cells), the floats found that the JSON does not list (target <= 5 %), and the time per
page of the parse with the caption step and without it, and of locating regions and cells when asked.
Run: python bench/floats.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import summarizer.pdf.parser as parser  # noqa: E402
from summarizer.pdf.floats import locate_floats  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "papers"


def _key(kind: str, number, page: int) -> tuple[str, str, int]:
    return kind, " ".join(str(number).upper().split()), page


def main() -> None:
    metas = [p for p in sorted(CORPUS.glob("*.json")) if p.name != "index.json" and p.with_suffix(".pdf").exists()]
    if not metas:
        print(f"needs the corpus at {CORPUS}")
        return
    data = [p.with_suffix(".pdf").read_bytes() for p in metas]
    pages = sum(parser.open_pdf(d).page_count for d in data)
    for d in data:  # warm-up, not counted: the first parse of a file pays PyMuPDF's font and cache set-up
        parser.parse_pdf(d)
    started = time.process_time()
    docs = [parser.parse_pdf(d) for d in data]
    parse = time.process_time() - started
    full = parser.STEPS
    parser.STEPS = tuple(s for s in full if s is not parser.find_tables_and_figures)
    started = time.process_time()
    for d in data:
        parser.parse_pdf(d)
    bare = time.process_time() - started
    parser.STEPS = full
    started = time.process_time()
    for d, doc in zip(data, docs, strict=True):
        locate_floats(d, doc.floats)
    locate = time.process_time() - started
    want_n = {"table": 0, "figure": 0}
    found = {"table": 0, "figure": 0}
    region = {"table": 0, "figure": 0}
    cells = extra = total_found = 0
    for meta_path, doc in zip(metas, docs, strict=True):
        meta = json.loads(meta_path.read_text())
        want = {_key("table", t["number"], t["page"]) for t in meta.get("tables") or []} | \
            {_key("figure", f["number"], f["page"]) for f in meta.get("figures") or []}
        got = {_key(str(f.kind), f.number, f.page): f for f in doc.floats}
        total_found += len(got)
        extra += len(set(got) - want)
        for w in want:
            want_n[w[0]] += 1
            if w in got:
                found[w[0]] += 1
                region[w[0]] += got[w].bbox is not None
                cells += bool(got[w].rows)
    print(f"{len(metas)} corpus papers, {pages} pages\n")
    print("| | in the JSON | found on its page | with a region | with cells |")
    print("|---|---|---|---|---|")
    for kind in ("table", "figure"):
        n = want_n[kind]
        print(f"| {kind}s | {n} | {found[kind]} ({found[kind] / max(1, n):.0%}) | {region[kind]} | "
              f"{cells if kind == 'table' else '-'} |")
    print(f"\nfound but not in the JSON: {extra} of {total_found} ({extra / max(1, total_found):.1%}; target <= 5 %)")
    print(f"parse: {parse / pages * 1000:.1f} ms/page with the caption step, {bare / pages * 1000:.1f} without; "
          f"regions and cells when asked (--tables): {locate / pages * 1000:.1f} ms/page more")


if __name__ == "__main__":
    main()

"""Parser speed and memory: whole-process against pymupdf4llm, and growth with document length.

1. Whole process, same files, interleaved: ``python -m summarizer sections PAPER.pdf`` against
   ``pymupdf4llm.to_markdown(PAPER.pdf)`` each in its own fresh process, for every corpus paper;
   pages per second of each and the ratio (target ≥ 20×). A third process per file is the floor for
   any parser built on PyMuPDF: it imports PyMuPDF as we do and asks every page for its text
   (``get_text("dict")``, what our parser starts from) and does nothing else; its ratio is the most
   any PyMuPDF parser could reach in this measurement.
2. Growth: documents of 100, 600 and 2,000 pages made by concatenating the corpus papers, parsed
   in a fresh process each (page limit lifted); CPU seconds per page and peak RSS. Target: the
   per-page time at 2,000 pages ≤ 2.2 × the per-page time at 100.

Run: python bench/parse_speed.py [--rounds N] [--sizes 100,600,2000] [--skip-peer]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT.parent / "shared" / "corpus" / "papers"

_PARSE_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from summarizer.pdf.parser import parse_pdf
data = open({path!r}, "rb").read()
t0, c0 = time.perf_counter(), time.process_time()
doc = parse_pdf(data, "big.pdf", max_pages={pages})
print(json.dumps({{"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "pages": doc.page_count,
                   "sections": len(doc.sections), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

_PEER_CHILD = "import sys, pymupdf4llm; pymupdf4llm.to_markdown(sys.argv[1], show_progress=False)"
_FLOOR_CHILD = ("import sys; from summarizer.pdf.engine import pymupdf; m = pymupdf(); "
                "[p.get_text('dict', flags=m.TEXT_DEHYPHENATE | m.TEXT_MEDIABOX_CLIP) for p in m.open(sys.argv[1])]")


def _page_count(path: Path) -> int:
    import pymupdf

    with pymupdf.open(path) as doc:
        return doc.page_count


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - t0


def whole_process(rounds: int, peer: bool) -> None:
    pdfs = sorted(PAPERS.glob("*.pdf"))
    pages = sum(_page_count(p) for p in pdfs)
    ours = theirs = floor = 0.0
    for _ in range(rounds):
        for pdf in pdfs:  # interleaved: one file ours, then the same file theirs
            ours += _timed([sys.executable, "-m", "summarizer", "sections", str(pdf)])
            floor += _timed([sys.executable, "-c", _FLOOR_CHILD, str(pdf)])
            if peer:
                theirs += _timed([sys.executable, "-c", _PEER_CHILD, str(pdf)])
    total = pages * rounds
    print(f"\nWhole process, {len(pdfs)} corpus papers, {pages} pages, {rounds} round(s), interleaved\n")
    print("| tool | seconds | pages/s |")
    print("|---|---|---|")
    print(f"| python -m summarizer sections | {ours:.1f} | {total / ours:.1f} |")
    print(f"| floor: import PyMuPDF, get_text('dict') of every page | {floor:.1f} | {total / floor:.1f} |")
    if peer:
        print(f"| pymupdf4llm.to_markdown | {theirs:.1f} | {total / theirs:.1f} |")
        print(f"\nspeed ratio (ours / pymupdf4llm, pages/s): {theirs / ours:.1f}× (target ≥ 20×); "
              f"the floor's: {theirs / floor:.1f}×")


def _concatenated(pages: int, folder: Path) -> Path:
    import pymupdf

    out = pymupdf.open()
    pdfs = sorted(PAPERS.glob("*.pdf"))
    while out.page_count < pages:
        for pdf in pdfs:
            with pymupdf.open(pdf) as src:
                need = pages - out.page_count
                if need <= 0:
                    break
                out.insert_pdf(src, to_page=min(src.page_count, need) - 1)
    path = folder / f"concat-{pages}.pdf"
    out.save(path, garbage=0)
    out.close()
    return path


def growth(sizes: list[int]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = _concatenated(n, Path(tmp))
            code = _PARSE_CHILD.format(root=str(ROOT), path=str(path), pages=n)
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            rows.append((n, json.loads(res.stdout.strip().splitlines()[-1])))
    base = rows[0][1]["cpu"] / rows[0][0]
    print("\nParse time by length (corpus papers concatenated, fresh process each, page limit lifted)\n")
    print("| pages | wall s | CPU s | CPU ms/page | × per-page of the first | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for n, r in rows:
        per = r["cpu"] / n
        print(f"| {n} | {r['wall']:.1f} | {r['cpu']:.1f} | {per * 1000:.1f} | {per / base:.2f} | {r['rss_mb']:.0f} |")
    print("\ntarget: the largest document's per-page time ≤ 2.2 × the first's")


def main() -> None:
    if not PAPERS.is_dir():
        print(f"corpus not found at {PAPERS}; nothing to measure")
        return
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 1
    sizes = [int(x) for x in args[args.index("--sizes") + 1].split(",")] if "--sizes" in args else [100, 600, 2000]
    whole_process(rounds, peer="--skip-peer" not in args)
    growth(sizes)


if __name__ == "__main__":
    main()

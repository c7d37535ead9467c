"""Share of extractive summary bullets that are not whole sentences, per corpus paper.

Every paper in ../shared/corpus/papers is parsed and summarized with the production defaults
(extractive backend, medium length, no cache); the Markdown goes to a temporary folder and
../shared/tools/fragments.py (its rule is in its docstring) scores it, English and Chinese
papers separately. Target: ≤ 3 % fragments in each language.

Run: python bench/fragments.py [--keep DIR] [--show]
  --keep DIR   write the summaries to DIR instead of a temporary folder
  --show       print every fragment bullet (to see what is left)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.extractive.ranking import repaired_sentences  # noqa: E402
from summarizer.output.render import render_markdown  # noqa: E402
from summarizer.pdf.parser import parse_pdf  # noqa: E402
from summarizer.run.engine import summarize_document  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
PAPERS = SHARED / "corpus" / "papers"
TOOL = SHARED / "tools" / "fragments.py"


def _tool():
    spec = importlib.util.spec_from_file_location("fragments_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def main() -> None:
    if not PAPERS.is_dir() or not TOOL.is_file():
        print(f"corpus or tool not found under {SHARED}; nothing to measure")
        return
    show = "--show" in sys.argv
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    out_dir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="fragments-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    tool = _tool()
    settings = Settings(backend="extractive", use_cache=False)
    rows: list[tuple[str, str, int, int, int, int]] = []
    for meta_path in sorted(PAPERS.glob("*.json")):
        if meta_path.name == "index.json":
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        pdf = PAPERS / meta["pdf_file"]
        doc = parse_pdf(pdf.read_bytes(), pdf.name)
        markdown = render_markdown(summarize_document(doc, settings))
        (out_dir / f"{meta['slug']}.md").write_text(markdown, encoding="utf-8")
        bullets = tool.bullets(markdown)
        frags = [b for b in bullets if tool.is_fragment(b)]
        # what every backend reads: the prose of the summarizable sections, sentence by sentence
        source = [s for sec in doc.sections if sec.summarizable for s in repaired_sentences(sec.text, doc.language)]
        broken = [s for s in source if tool.is_fragment(s)]
        rows.append((meta["slug"], meta.get("language", "en"), len(bullets), len(frags), len(source), len(broken)))
        if show:
            for b in frags:
                print(f"  [{meta['slug'][:20]}] bullet: {b[:160]}")
            for b in broken:
                print(f"  [{meta['slug'][:20]}] source: {b[:160]}")
    print()
    print("| paper | lang | bullets | fragments | share | source sentences | not whole | share |")
    print("|---|---|---|---|---|---|---|---|")
    for slug, lang, n, f, sn, sf in rows:
        print(f"| {slug} | {lang} | {n} | {f} | {f / n if n else 0:.1%} | {sn} | {sf} | {sf / sn if sn else 0:.1%} |")
    print()
    print("Bullets: the extractive summary (target ≤ 3 %). Source: the sentences of Section.text that every")
    print("backend reads (line fragments, equations and table rows left in the prose show here).")
    print()
    print("| language | papers | bullets | fragments | share | target | source sentences | not whole | share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lang in ("en", "zh"):
        sel = [r for r in rows if r[1] == lang]
        n, f = sum(r[2] for r in sel), sum(r[3] for r in sel)
        sn, sf = sum(r[4] for r in sel), sum(r[5] for r in sel)
        print(f"| {lang} | {len(sel)} | {n} | {f} | {f / n if n else 0:.1%} | ≤ 3 % | {sn} | {sf} | {sf / sn if sn else 0:.1%} |")
    print(f"\nsummaries in {out_dir}")


if __name__ == "__main__":
    main()

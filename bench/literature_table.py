"""The literature table on the corpus papers (issue #29): the share of filled cells whose cited page holds the
cell's supporting text (target >= 95 %), offline and through the stand-in model server; time for the table; requests
and tokens for N papers x 6 columns, and tokens sent per cell; and what adding one column costs.

A cell's support is checked on the PDF page it cites (PyMuPDF's page text, whitespace and hyphenation ignored):
offline, the quoted sentence must be on that page; with the model, the stand-in quotes the start of the passage it
cites, and that passage's first 40 letters must be on the page. Run: python bench/literature_table.py [N]
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.table.build import TableBuilder, read_papers  # noqa: E402
from summarizer.table.columns import Column, default_columns  # noqa: E402
from summarizer.table.model import CellStatus, Method  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "papers"
N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20


def _flat(text: str) -> str:
    """Letters and digits only, ligatures unfolded (NFKC): what the parser and the page text agree on."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text.replace("-\n", ""))).lower()


def page_holds(pdf: Path, page: int, text: str, cache: dict) -> bool:
    import pymupdf

    key = (pdf, page)
    if key not in cache:
        with pymupdf.open(pdf) as doc:
            cache[key] = _flat(doc[page - 1].get_text()) if 1 <= page <= doc.page_count else ""
    probe = _flat(text)[:40]
    return bool(probe) and probe in cache[key]


def cited_share(table, paths: dict[str, Path]) -> tuple[int, int]:
    cache: dict = {}
    held = filled = 0
    for row in table.rows:
        for cell in row.cells.values():
            if cell.status != CellStatus.FOUND or not cell.source or not cell.source.page:
                continue
            filled += 1
            text = cell.answer if cell.method == Method.QUOTE else cell.source.text
            held += page_holds(paths[row.source], cell.source.page, text, cache)
    return held, filled


def main() -> None:
    pdfs = sorted(CORPUS.glob("*.pdf"))[:N]
    if len(pdfs) < 2:
        print(f"needs the corpus at {CORPUS}")
        return
    started = time.perf_counter()
    papers = read_papers(pdfs)
    parse = time.perf_counter() - started
    paths = {p.name: p for p in pdfs}
    columns = default_columns()
    print(f"{len(papers)} corpus papers x {len(columns)} columns (parsing them: {parse:.1f} s)\n")
    print("| backend | seconds | requests | tokens in | tokens out | tokens in per cell | cells found | cited page holds it |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ["SUMMARIZER_HOME"] = home
        started = time.perf_counter()
        table = TableBuilder(Settings(backend="extractive"), columns).build(papers)
        took = time.perf_counter() - started
        held, filled = cited_share(table, paths)
        cells = len(table.rows) * len(columns)
        print(f"| offline | {took:.1f} | 0 | 0 | 0 | 0 | {filled}/{cells} | {held}/{filled} = {held / max(1, filled):.1%} |")
        with LLMServer() as server:
            settings = Settings(backend="llm", base_url=server.base_url, model="gpt-4o-mini", api_key="sk-bench",
                                context_window=128_000)
            started = time.perf_counter()
            table = TableBuilder(settings, columns).build(papers)
            took = time.perf_counter() - started
            u = table.usage
            held, filled = cited_share(table, paths)
            cost = "" if u.cost_usd is None else f" (${u.cost_usd:.4f} at gpt-4o-mini's price)"
            print(f"| stand-in model | {took:.1f} | {u.requests} | {u.tokens_in:,} | {u.tokens_out:,} | "
                  f"{u.tokens_in / cells:.0f} | {filled}/{cells} | {held}/{filled} = {held / max(1, filled):.1%} |")
            before = len(server.state.chat_requests)
            wider = TableBuilder(settings, [*columns, Column("Sample size", "the number of participants, nodes or "
                                                                             "samples studied")])
            again = wider.build(papers, synthesize=False)
            print(f"\none more column: {len(server.state.chat_requests) - before} requests "
                  f"({again.usage.cached_cells} cells from the cache), {again.usage.tokens_in:,} tokens in{cost}")


if __name__ == "__main__":
    main()

"""Tokens sent per paper: all requests of an LLM run (sections, merges, synthesis) against the paper's
own tokens (tiktoken cl100k), for every corpus paper, through the stand-in server (tests/llm_server.py)
with production defaults. The stand-in writes section summaries about as long as each request asks
(``full_length``), as a real model does: the overall summary's request reads them, so their length
counts in what is sent. Target ≤ 1.3×. Also printed: requests, sections sent to the model and the
share of the sent tokens that is our own text (system + instructions) rather than the paper's.

Run: python bench/tokens_sent.py [--group-below N]   (0: one request per section, as before grouping)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402

from summarizer.engine import summarize_document  # noqa: E402
from summarizer.loading import load_path  # noqa: E402
from summarizer.settings import Settings  # noqa: E402
from summarizer.tokens import get_tokenizer  # noqa: E402

PAPERS = ROOT.parent / "shared" / "corpus" / "papers"


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--group-below", type=int, default=Settings.model_fields["group_below"].default,
                        help="Settings.group_below (default: the production default)")
    args = parser.parse_args()

    os.environ.setdefault("SUMMARIZER_HOME", tempfile.mkdtemp(prefix="bench-tokens-"))
    tok = get_tokenizer("cl100k_base")
    print("| paper | paper tokens | sent tokens | ratio | requests | sections summarized |")
    print("|---|---:|---:|---:|---:|---:|")
    ratios = []
    with LLMServer(full_length=True) as server:
        settings = Settings(backend="llm", model="test-model", base_url=server.base_url, api_key="sk-bench",
                            use_cache=False, workers=4, timeout=10, group_below=args.group_below)
        for path in sorted(PAPERS.glob("*.pdf")):
            doc = load_path(str(path), "pymupdf", 600, None)
            server.state.reset(full_length=True)
            result = summarize_document(doc, settings)
            sent = sum(tok.count(m["content"]) for r in server.state.chat_requests for m in r.body["messages"])
            own = tok.count(doc.text)
            sections = sum(1 for r in result.sections if r.ok)
            ratios.append(sent / max(1, own))
            print(f"| {path.stem} | {own:,} | {sent:,} | {sent / max(1, own):.2f} | {len(server.state.chat_requests)} | "
                  f"{sections} |", flush=True)
    over = [r for r in ratios if r > 1.3]
    print(f"\ngroup_below={args.group_below}: {len(ratios) - len(over)} of {len(ratios)} papers within 1.3×; worst {max(ratios):.2f}×")


if __name__ == "__main__":
    main()

"""Tokens sent per paper: all requests of an LLM run (sections, merges, synthesis) against the paper's
own tokens (tiktoken cl100k), for every corpus paper, through the stand-in server (tests/llm_server.py)
with production defaults. The stand-in writes section summaries about as long as each request asks
(``full_length``), as a real model does: the overall summary's request reads them, so their length
counts in what is sent. Target ≤ 1.3×. Also printed: requests, sections sent to the model and the
share of the sent tokens that is our own text (system + instructions) rather than the paper's.

Two ratios (issue #32): against the whole document's tokens, and — the honest one — against the tokens of
the sections actually summarized (references, acknowledgements and captions are not sent, so dividing by
the whole document flatters the ratio). The JSON schema sent in ``response_format`` is counted apart
(``schema``): a provider that bills it adds that to what is sent. Medians and worst cases of both.

Run: python bench/tokens_sent.py [--group-below N]   (0: one request per section, as before grouping)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.inputs.loading import load_path  # noqa: E402
from summarizer.run.engine import summarize_document  # noqa: E402
from summarizer.text.tokens import get_tokenizer  # noqa: E402

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
    print("| paper | paper tokens | summarized tokens | sent tokens | schema tokens | sent/paper | sent/summarized |"
          " +schema | requests | sections summarized |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios, honest, billed = [], [], []
    with LLMServer(full_length=True) as server:
        settings = Settings(backend="llm", model="test-model", base_url=server.base_url, api_key="sk-bench",
                            use_cache=False, workers=4, timeout=10, group_below=args.group_below)
        for path in sorted(PAPERS.glob("*.pdf")):
            doc = load_path(str(path), "pymupdf", 600, None)
            server.state.reset(full_length=True)
            result = summarize_document(doc, settings)
            sent = sum(tok.count(m["content"]) for r in server.state.chat_requests for m in r.body["messages"])
            schema = sum(tok.count(json.dumps(r.body.get("response_format") or {}, ensure_ascii=False))
                         for r in server.state.chat_requests if r.body.get("response_format"))
            own = tok.count(doc.text)
            summarized = sum(tok.count(s.text) for s in doc.sections if s.summarizable) or own
            sections = sum(1 for r in result.sections if r.ok)
            ratios.append(sent / max(1, own))
            honest.append(sent / max(1, summarized))
            billed.append((sent + schema) / max(1, summarized))
            print(f"| {path.stem} | {own:,} | {summarized:,} | {sent:,} | {schema:,} | {ratios[-1]:.2f} | {honest[-1]:.2f} | "
                  f"{billed[-1]:.2f} | {len(server.state.chat_requests)} | {sections} |", flush=True)
    for name, values in (("sent/paper", ratios), ("sent/summarized", honest), ("(sent+schema)/summarized", billed)):
        within = sum(1 for r in values if r <= 1.3)
        print(f"group_below={args.group_below} {name}: {within} of {len(values)} within 1.3×; "
              f"median {statistics.median(values):.2f}×, worst {max(values):.2f}×")


if __name__ == "__main__":
    main()

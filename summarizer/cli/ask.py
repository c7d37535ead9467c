"""The ``ask`` command: ``python -m summarizer ask PAPER.pdf "question"`` answers from the paper.

Same library as the app's chat panel: BM25 passages, the LLM backend's cited answer or the
extractive backend's quoted passages. The backend is chosen as for ``summarize`` (``--backend
extractive|llm|local``, ``--model-path``, the ``SUMMARIZER_*`` variables): a local model answers on
this machine, and no hosted endpoint the user did not name is ever contacted. ``--json`` prints the
answer with its citations (section, page, passage). Exit 0 when answered, 4 when the paper does not
say: no passage holds the question's key terms and what it asks for (a licence, an amount, a date, …);
the closest passages are then listed as related (``related`` in ``--json``), never as the answer.
Exit 3 when the model's answer failed the answer checks (a loop, our instructions echoed, a passage
cited that was not sent): it is not shown as an answer (``problem`` in ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_FAILED = 3
EXIT_NOT_FOUND = 4


def cmd_ask(args) -> int:
    from summarizer.ask.qa import RESTART, Asker
    from summarizer.cli.main import read_input, settings_from_args

    settings = settings_from_args(args)
    settings.validate()
    doc = read_input(args.input, settings.parser, settings.max_pages, settings.nougat_checkpoint)
    asker = Asker(doc, settings)
    answering = asker.answer(args.question)
    streamed = not args.json and sys.stdout.isatty()
    shown = ""
    for piece in answering.stream():
        shown = "" if piece == RESTART else shown + piece
        if streamed:
            sys.stdout.write("\n[retrying: the answer starts again]\n" if piece == RESTART else piece)
            sys.stdout.flush()
    turn = answering.turn
    if args.json:
        print(json.dumps({"title": doc.title, "source": doc.source, **turn.as_json()}, ensure_ascii=False, indent=2))
    else:
        if streamed and shown.strip() == turn.answer.strip():
            sys.stdout.write("\n\n")
        elif streamed:  # the final text replaces what was streamed (not found, or an answer that failed the checks)
            sys.stdout.write(f"\n\n{turn.answer.rstrip()}\n\n")
        else:
            sys.stdout.write(turn.answer.rstrip() + "\n\n")
        for p in turn.citations:
            print(f"{p.citation} {p.section_title}")
        for p in turn.related:
            print(f"related, not an answer: {p.citation} {p.section_title}")
        for notice in turn.notices:
            print(f"note: {notice}", file=sys.stderr)
        if turn.tokens_in and not args.quiet:
            cost = f", ≈ ${turn.cost_usd:.4f}" if turn.cost_usd is not None else ""
            print(f"{turn.tokens_in} tokens in · {turn.tokens_out} tokens out{cost}", file=sys.stderr)
    if turn.found:
        return 0
    return EXIT_FAILED if turn.problem else EXIT_NOT_FOUND


def add_ask_command(sub: argparse._SubParsersAction) -> None:
    """Register ``ask`` on the CLI's subcommands."""
    from summarizer.cli.main import add_model_args

    a = sub.add_parser("ask", help="ask a question about a paper or article; the answer cites section and page")
    a.add_argument("input", help="a PDF/Word/PowerPoint/EPUB/ODT/text/Markdown/HTML file, a URL, an arXiv id, or '-' (stdin)")
    a.add_argument("question")
    a.add_argument("--backend", choices=["extractive", "llm", "local"],
                   help="as for summarize (default: SUMMARIZER_BACKEND, else extractive); local: a GGUF model file "
                        "run by llama.cpp (--model-path)")
    add_model_args(a)
    a.add_argument("--context-window", type=int, dest="context_window", metavar="INT",
                   help="context window in tokens (the local model's n_ctx)")
    a.add_argument("--lang", choices=["auto", "en", "zh"], help="answer language (llm; default: the source's)")
    a.add_argument("--model")
    a.add_argument("--base-url")
    a.add_argument("--prompts", help="folder of prompt files used over the defaults (ask.json5)")
    a.add_argument("--parser", default=None, help="PDF parser (pymupdf, or nougat when installed)")
    a.add_argument("--json", action="store_true", help="print one JSON object with the answer and its citations")
    a.add_argument("-q", "--quiet", action="store_true")
    a.set_defaults(func=cmd_ask, workers=None, no_cache=False, length=None)

"""``summarizer table PAPERS…``: a literature table of 2-50 papers (every cell with its section and page), a
synthesis across them, written as Markdown, CSV, XLSX or JSON; the cost estimated before any request."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from summarizer.model.errors import InputError

EXIT_OK = 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_table(args) -> int:
    from summarizer.cli.main import settings_from_args
    from summarizer.table.build import MIN_PAPERS, TableBuilder, read_papers
    from summarizer.table.columns import default_columns, parse_column_option, read_column_file
    from summarizer.table.export import export

    columns = read_column_file(args.columns) if args.columns else default_columns()
    columns = [*columns, *(parse_column_option(c) for c in args.column or [])]
    fmt = "json" if args.json else args.format
    if fmt == "xlsx" and not args.output:
        raise InputError("An XLSX table needs a file: add -o table.xlsx.")
    settings = settings_from_args(args)
    builder = TableBuilder(settings, columns)  # the columns are checked here, before any paper is read
    papers = read_papers(args.papers, settings.parser, settings.max_pages)
    if len(papers) < MIN_PAPERS:
        raise InputError(f"A literature table compares at least {MIN_PAPERS} papers; give two or more files.")
    estimate = builder.estimate(papers)
    for note in estimate.notes:
        _say(note)
    if builder.offline:
        _say(f"{estimate.papers} papers x {len(columns)} columns, offline: each cell is the paper's own sentence, "
             "quoted; nothing is sent anywhere.")
    else:
        cost = "unknown (no price for this model)" if estimate.cost_usd is None else f"about ${estimate.cost_usd:.4f}"
        _say(f"{estimate.papers} papers x {len(columns)} columns with {settings.model}: {estimate.requests} requests, "
             f"~{estimate.tokens_in:,} tokens in, ~{estimate.tokens_out:,} out ({estimate.cached_cells} cells cached); "
             f"cost {cost}.")
        if estimate.requests and not args.yes and (estimate.cost_usd is None or estimate.cost_usd > args.budget):
            raise InputError(f"Add --yes to spend that (runs without it only when the estimate is known and under "
                             f"${args.budget:.2f}, --budget).")

    def progress(row, done: int, total: int) -> None:
        if row.error:
            _say(f"  [not read] {row.source}: {row.error}")
        else:
            found = sum(1 for c in row.cells.values() if c.status == "found")
            _say(f"  {done}/{total} {row.key} {row.title[:60]}: {found}/{len(columns)} cells found")

    table = builder.build(papers, progress)
    if not args.no_history:
        _save(table)
    data = export(table, fmt)
    if args.output:
        Path(args.output).write_bytes(data)
        _say(f"Written to {args.output}.")
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
        sys.stdout.flush()
    u = table.usage
    if not builder.offline:
        _say(f"usage: {u.requests} requests, {u.tokens_in:,} tokens in, {u.tokens_out:,} out"
             + ("" if u.cost_usd is None else f", ${u.cost_usd:.4f}") + f"; {u.cached_cells} cells from the cache")
    return EXIT_OK


def _save(table) -> None:
    """The table into History (the command line's owner), so the app lists it; a History that cannot be opened
    is said, and the table is still written."""
    from summarizer.store.history import HistoryUnavailable, open_history

    try:
        open_history().save_table("cli", table.as_json())
    except HistoryUnavailable as exc:
        _say(f"Not kept in History: {exc}")


def add_table_args(t: argparse.ArgumentParser, log_flags, run_args) -> None:
    log_flags(t, argparse.SUPPRESS)
    t.add_argument("papers", nargs="+", metavar="PAPER", help="2 to 50 papers (PDF, Word, PowerPoint, EPUB, ODT, text, Markdown, HTML)")
    t.add_argument("--columns", help="a column set file (JSON5: {columns: [{name, description}, …]}); default: the "
                                     "default set (research question, method, data, key results, limitations, code)")
    t.add_argument("--column", action="append", metavar="'NAME: DESCRIPTION'",
                   help="one more column, e.g. 'Sample size: the number of participants studied' (repeatable)")
    t.add_argument("--format", choices=["md", "csv", "xlsx"], default="md")
    t.add_argument("--json", action="store_true", help="print the table as JSON (cells, citations, synthesis)")
    t.add_argument("-o", "--output", help="write here instead of standard output (needed for xlsx)")
    t.add_argument("--yes", action="store_true", help="spend the estimated cost without asking")
    t.add_argument("--budget", type=float, default=1.0, help="run without --yes below this estimate in USD (default 1)")
    t.add_argument("--no-history", action="store_true", help="do not keep the table in History")
    run_args(t)
    t.set_defaults(func=cmd_table)

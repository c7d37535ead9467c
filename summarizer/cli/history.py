"""``python -m summarizer history list|show|export|compare``: the history store on the command line.

The command line runs on the server, so it sees every owner's runs (``--owner`` narrows to one
browser session id, ``batch`` or ``cli``). Run ids may be given by a unique prefix.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from summarizer.model.errors import InputError

EXIT_OK = 0


def add_history_parser(sub) -> None:
    """The ``history`` subcommand group, added to the CLI's subparsers."""
    h = sub.add_parser("history", help="list, show, export or compare stored runs")
    h.add_argument("--db", help="history database (default: the data folder's history.db)")
    h.add_argument("--owner", help="only this owner's runs (a browser session id, 'batch' or 'cli')")
    actions = h.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="stored runs, newest first")
    ls.add_argument("--search", default="", help="titles containing this text")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one run's Markdown (or --json: everything stored)")
    show.add_argument("run")
    show.add_argument("--json", action="store_true")
    export = actions.add_parser("export", help="one run as Markdown, CSV (one row per section, with ratings) or any "
                                               "export format (obsidian, bib, ris, docx …)")
    export.add_argument("run")
    # not argparse choices: the registry (output.formats) is imported only when a run is exported
    export.add_argument("--format", default="md", help="md: the Markdown as stored; csv: one row per section; obsidian, "
                        "zotero, zotero-extra, bib, ris, docx (needs -o), html, json as summarize --format writes them")
    export.add_argument("-o", "--output")
    compare = actions.add_parser("compare", help="two runs of one document side by side, as Markdown or CSV")
    compare.add_argument("run_a")
    compare.add_argument("run_b")
    compare.add_argument("--format", choices=["md", "csv"], default="md")
    compare.add_argument("-o", "--output")
    h.set_defaults(func=cmd_history)


def _store(args):
    from summarizer.store.history import SQLiteHistory, open_history

    store = SQLiteHistory(args.db) if args.db else open_history()
    if store.notice:
        print(f"warning: {store.notice}", file=sys.stderr)
    return store


def _resolve(store, owner: str | None, ref: str) -> str:
    runs = [r.id for r in store.list_runs(owner, limit=1_000_000)]
    if ref in runs:
        return ref
    matches = [r for r in runs if r.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(f"There is no stored run '{ref}'; 'history list' shows the ids.")
    raise InputError(f"'{ref}' matches {len(matches)} runs; give more of the id.")


def _write(text: str | bytes, output: str | None) -> None:
    if output:
        from summarizer.config.paths import write_atomic

        write_atomic(Path(output), text.encode("utf-8") if isinstance(text, str) else text)
    elif isinstance(text, bytes):
        sys.stdout.write(text.decode("utf-8"))
    else:
        sys.stdout.write(text)


def _export(store, owner: str | None, record, fmt: str, output: str | None) -> int:
    """A stored run in an export format, made again from the stored document and results, with the provenance
    History kept (model, host, prompt hashes, cost)."""
    from summarizer.output.formats import Format, export
    from summarizer.store.recorder import reopen

    try:
        fmt = Format(fmt.strip().lower())
    except ValueError:
        raise InputError(f"Unknown format '{fmt}'; choose from csv, {', '.join(Format)}.") from None
    if fmt.binary and not output:
        raise InputError(f"--format {fmt} is a binary file and is not printed: give -o PATH.")
    opened = reopen(store, owner, record.info.id)
    if opened is None:
        raise InputError(f"The document of run '{record.info.id}' is no longer stored; only md and csv can be exported.")
    _, summary = opened
    pdf = store.load_source(record.info.doc_hash)  # the paper's record reads its first pages, as the app's export does
    _write(export(summary, fmt, provenance=record.provenance(), pdf=pdf), output)
    return EXIT_OK


def _run_csv(record) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["run", "document", "backend", "section", "status", "summary", "unverified", "rating", "comment",
                     "tokens_in", "tokens_out"])
    for s in record.sections:
        r = s.result
        writer.writerow([record.info.id, record.info.title, record.backend_label, r.title, r.status, r.summary,
                         "; ".join(r.unverified_numbers + r.unverified_quotes), s.rating or "", s.comment,
                         r.tokens_in, r.tokens_out])
    writer.writerow([record.info.id, record.info.title, record.backend_label, "(whole run)", record.info.status,
                     record.overview, "; ".join(record.overview_unverified), record.info.rating or "",
                     record.info.comment, record.info.tokens_in, record.info.tokens_out])
    return buffer.getvalue()


def cmd_history(args) -> int:
    store = _store(args)
    owner = args.owner
    if args.action == "list":
        runs = store.list_runs(owner, search=args.search, limit=args.limit)
        if args.json:
            from dataclasses import asdict

            print(json.dumps([asdict(r) for r in runs], ensure_ascii=False, indent=2))
            return EXIT_OK
        if not runs:
            print("No stored runs." if not args.search else f"No stored runs with '{args.search}' in the title.",
                  file=sys.stderr)
            return EXIT_OK
        print(f"{'id':26} {'date':16} {'done':>4} {'fail':>4} {'cost':>9}  {'backend':28} title")
        for r in runs:
            cost = f"${r.cost_usd:.4f}" if r.cost_usd is not None else "-"
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started))
            print(f"{r.id:26} {when:16} {r.sections_done:>4} {r.sections_failed:>4} {cost:>9}  {r.label[:28]:28} "
                  f"{r.title[:70]}")
        return EXIT_OK
    if args.action in ("show", "export"):
        record = store.get_run(owner, _resolve(store, owner, args.run))
        if record is None:
            raise InputError(f"The run '{args.run}' is gone.")
        if args.action == "show" and args.json:
            from dataclasses import asdict

            payload = asdict(record)  # each section in the result's one JSON shape, with its rating
            payload["sections"] = [{**s.result.to_json(), "rating": s.rating, "comment": s.comment}
                                   for s in record.sections]
            print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
            return EXIT_OK
        if args.action == "export" and args.format == "csv":
            _write(_run_csv(record), args.output)
            return EXIT_OK
        if args.action == "export" and args.format != "md":
            return _export(store, owner, record, args.format, args.output)
        if not record.markdown:
            from summarizer.output.render import render_markdown
            from summarizer.store.recorder import reopen

            opened = reopen(store, owner, record.info.id)
            text = render_markdown(opened[1]) if opened else ""
        else:
            text = record.markdown
        _write(text, getattr(args, "output", None))
        return EXIT_OK
    from summarizer.store.compare import export_csv, export_markdown

    a = store.get_run(owner, _resolve(store, owner, args.run_a))
    b = store.get_run(owner, _resolve(store, owner, args.run_b))
    if a is None or b is None:
        raise InputError("One of the two runs is gone.")
    if a.info.id == b.info.id:
        raise InputError("Name two different runs to compare.")
    if a.info.doc_hash != b.info.doc_hash:
        print(f"warning: the two runs summarized different documents ('{a.info.title[:60]}' and "
              f"'{b.info.title[:60]}'); sections are paired by title.", file=sys.stderr)
    _write(export_csv(a, b) if args.format == "csv" else export_markdown(a, b), args.output)
    return EXIT_OK

"""``summarizer compare A B`` (a blind rating sheet of two batch runs, with cost and time per length band),
``summarizer compare --ratings SHEET`` (the filled sheet's win rates) and ``summarizer judge A B --model M``
(a judge model's verdicts, its cost estimated first, set against people's ratings with Cohen's kappa)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from summarizer.model.errors import InputError

EXIT_OK = 0


def _out(line: str = "") -> None:
    print(line, file=sys.stderr)


def cmd_compare(args) -> int:
    from summarizer.compare.ratings import read_ratings, tally

    if args.ratings:
        if args.runs:
            raise InputError("Give either two batch folders or --ratings SHEET, not both.")
        ratings, key, notes = read_ratings(args.ratings, args.key)
        for note in notes[:20]:
            _out(f"note: {note}")
        a_label, b_label = key["a"]["label"], key["b"]["label"]
        report = tally(ratings)
        result = {"a": a_label, "b": b_label, "overall": _tally_json(report.overall),
                  "by_genre": {k: _tally_json(v) for k, v in report.by_genre.items()},
                  "by_length": {k: _tally_json(v) for k, v in report.by_band.items()}, "notes": notes}
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=1))
            return EXIT_OK
        print(f"A = {a_label}\nB = {b_label}")
        for line in report.lines():
            print(line)
        return EXIT_OK
    a, b, pairs = _pairs(args)
    from summarizer.compare.sheet import key_path, write_sheet

    base = Path(args.output or f"compare-{a.folder.name}-vs-{b.folder.name}")
    if base.suffix.lower() in (".csv", ".xlsx"):  # only a sheet's own extension: "gpt-4.1" keeps its dot
        base = base.with_suffix("")
    key_file = key_path(base.with_name(base.name + ".csv"))
    if key_file.exists() and not args.force:
        raise InputError(f"'{key_file}' exists: a new sheet would pair rows with sides anew, and sheets already "
                         "handed out could not be read back. Choose another -o, or add --force.")
    files = write_sheet(pairs, a, b, base, args.seed)
    _out(f"Rating sheet: {files.csv}" + (f" and {files.xlsx}" if files.xlsx else " (no .xlsx: pip install openpyxl)")
         + f", {files.rows} documents; the key (which side is which) is {files.key}: keep it from the raters.")
    bands = _bands(pairs)
    if args.json:
        print(json.dumps({"a": a.label, "b": b.label, "sheet": str(files.csv), "key": str(files.key),
                          "by_length": bands}, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"A = {a.label}\nB = {b.label}")
    print("| length | documents | A cost (USD) | B cost (USD) | A s/doc | B s/doc | A flagged | B flagged |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for band, row in bands.items():
        print(f"| {band} | {row['documents']} | {_money(row['a_cost_usd'])} | {_money(row['b_cost_usd'])} | "
              f"{_secs(row['a_seconds'])} | {_secs(row['b_seconds'])} | {row['a_flagged']} | {row['b_flagged']} |")
    return EXIT_OK


def _pairs(args):
    from summarizer.compare.runs import paired, read_run

    if len(args.runs or []) != 2:
        raise InputError("Give two batch output folders (summarizer compare A B), or --ratings SHEET.")
    a, b = read_run(args.runs[0]), read_run(args.runs[1])
    return a, b, paired(a, b, args.common_only)


def _bands(pairs) -> dict[str, dict]:
    """Per length band: documents, each run's summed cost, median seconds per document and flagged summaries."""
    from summarizer.compare.runs import LENGTH_BANDS
    from summarizer.compare.sheet import flags

    rows: dict[str, dict] = {}
    for _, name in LENGTH_BANDS:
        members = [(x, y) for x, y in pairs if x.band == name]
        if not members:
            continue
        row = {"documents": len(members)}
        for side, docs in (("a", [x for x, _ in members]), ("b", [y for _, y in members])):
            costs = [d.cost_usd for d in docs if d.cost_usd is not None]
            seconds = [d.seconds for d in docs if d.seconds is not None]
            row[f"{side}_cost_usd"] = round(sum(costs), 6) if costs else None
            row[f"{side}_seconds"] = round(statistics.median(seconds), 3) if seconds else None
            row[f"{side}_flagged"] = sum(1 for d in docs if flags(d))
        rows[name] = row
    return rows


def _money(value) -> str:
    return "?" if value is None else f"{value:.4f}"


def _secs(value) -> str:
    return "?" if value is None else f"{value:.2f}"


def _tally_json(t) -> dict:
    rate = t.win_rate()
    return {"rated": t.n, "a": t.a, "b": t.b, "tie": t.tie,
            "a_win_rate": None if rate is None else {"share": round(rate[0], 4), "ci95": [round(rate[1], 4), round(rate[2], 4)]}}


def cmd_judge(args) -> int:
    from summarizer.cli.main import settings_from_args
    from summarizer.compare.judge import Judge
    from summarizer.compare.ratings import Rating, cohen_kappa, describe, tally

    a, b, pairs = _pairs(args)
    people = _people_for(args, a, b) if args.ratings else None  # a bad or foreign sheet is said before spending
    settings = settings_from_args(args)  # always the LLM backend (--backend llm or local): a judge is a model
    judge = Judge(settings)
    estimate = judge.estimate(pairs)
    cost = "unknown (no price for this model)" if estimate.cost_usd is None else f"about ${estimate.cost_usd:.4f}"
    _out(f"Judging {len(pairs)} documents with {settings.model}: {estimate.requests} requests, ~{estimate.tokens_in:,} "
         f"tokens in, ~{estimate.tokens_out:,} out; cost {cost}.")
    if not args.yes and (estimate.cost_usd is None or estimate.cost_usd > args.budget):
        raise InputError(f"Add --yes to spend that (runs without it only when the estimate is known and under "
                         f"${args.budget:.2f}, --budget).")
    out = Path(args.output or f"judge-{a.folder.name}-vs-{b.folder.name}.jsonl")
    with out.open("w", encoding="utf-8") as verdict_file:

        def written(verdict, done: int, total: int) -> None:  # each as it comes: Ctrl-C keeps what was paid for
            verdict_file.write(json.dumps(verdict.as_json(), ensure_ascii=False) + "\n")
            verdict_file.flush()
            _out(f"  {done}/{total} {verdict.id}: {verdict.winner or 'no verdict'}")

        verdicts = judge.judge_all(pairs, written)
    by_id = {x.id: x for x, _ in pairs}
    decided = [Rating(v.id, v.winner, genre=by_id[v.id].genre, band=by_id[v.id].band) for v in verdicts if v.winner]
    report = tally(decided)
    usage = judge.usage
    print(f"A = {a.label}\nB = {b.label}\njudge = {settings.model}; verdicts in {out}")
    print(f"judge: {describe(report.overall, 'A', 'B')}")
    failed = [v for v in verdicts if not v.winner]
    if failed:
        print(f"no verdict for {len(failed)} document(s): " + "; ".join(f"{v.id}: {v.error}" for v in failed[:5]))
    print(f"judge usage: {usage.requests} requests, {usage.tokens_in:,} tokens in, {usage.tokens_out:,} out"
          + ("" if usage.cost_usd is None else f", ${usage.cost_usd:.4f}"))
    if people is not None:
        kappa, n = cohen_kappa({r.id: r.winner for r in people}, {v.id: v.winner for v in verdicts if v.winner})
        print(f"agreement with people: Cohen's kappa {'n/a' if kappa is None else f'{kappa:.2f}'} over {n} documents")
    return EXIT_OK


def _people_for(args, a, b):
    """The people's ratings of this pair of runs, as this call's A and B (the sheet may list them the other way)."""
    from summarizer.compare.ratings import A, B, Rating, read_ratings

    people, key, _ = read_ratings(args.ratings, args.key)
    side_a, side_b = (Path(key[s]["folder"]).name.removesuffix(".zip") for s in ("a", "b"))
    if {side_a, side_b} != {a.folder.name, b.folder.name}:
        raise InputError(f"The rating sheet compares {side_a} and {side_b}, not {a.folder.name} and "
                         f"{b.folder.name}; give the judge the same two runs.")
    if side_a == b.folder.name:  # the sheet's run a is this call's B
        people = [Rating(r.id, {A: B, B: A}.get(r.winner, r.winner)) for r in people]
    return people


def add_compare_commands(sub, log_flags, model_args) -> None:
    """``compare`` and ``judge``, added to the CLI's subparsers."""
    c = sub.add_parser("compare", help="a blind rating sheet of two batch runs (CSV, XLSX), or --ratings SHEET read back")
    log_flags(c, argparse.SUPPRESS)
    c.add_argument("runs", nargs="*", metavar="RUN", help="two batch output folders")
    c.add_argument("-o", "--output", help="the sheet's path without extension (default compare-A-vs-B)")
    c.add_argument("--seed", type=int, help="the random order's seed (default: a fresh one, kept in the key)")
    c.add_argument("--common-only", action="store_true", help="compare the documents both runs have")
    c.add_argument("--force", action="store_true", help="write over an existing sheet and its key")
    c.add_argument("--ratings", help="a filled rating sheet (.csv or .xlsx): report the win rates")
    c.add_argument("--key", help="the sheet's key file (default: SHEET.key.json beside it)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_compare)

    j = sub.add_parser("judge", help="a judge model compares two batch runs (both orders), with its cost estimated first")
    log_flags(j, argparse.SUPPRESS)
    j.add_argument("runs", nargs=2, metavar="RUN", help="two batch output folders")
    model_args(j)
    j.add_argument("--common-only", action="store_true", help="judge the documents both runs have")
    j.add_argument("--ratings", help="people's filled rating sheet: report the judge's agreement (Cohen's kappa)")
    j.add_argument("--key", help="that sheet's key file (default: SHEET.key.json beside it)")
    j.add_argument("-o", "--output", help="the verdicts' JSONL (default judge-A-vs-B.jsonl)")
    j.add_argument("--yes", action="store_true", help="spend the estimated cost without asking")
    j.add_argument("--budget", type=float, default=1.0, help="run without --yes below this estimate in USD (default 1)")
    j.set_defaults(func=cmd_judge)

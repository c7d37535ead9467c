"""The command line: ``python -m summarizer summarize|sections|prompts ...``.

It calls the same library as the web app. Bad input prints one clear line on stderr and exits
with 2; a run where some sections failed exits with 3; a run whose ``-o`` file could not be written
exits with 4 (the Markdown is kept in the data folder, and the message says where); no traceback
reaches the user.

Stdout carries only the command's document (the JSON of ``--json``, the Markdown of ``summarize`` or
``-o -``): while ``sections`` and ``summarize`` work, file descriptor 1 points at stderr, so nothing a C
library, a child process or a stray ``print`` writes lands in it; the document is printed after.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from summarizer.model.errors import InputError, SummarizerError

EXIT_OK, EXIT_BAD_INPUT, EXIT_SECTIONS_FAILED = 0, 2, 3
EXIT_OUTPUT_FAILED = 4  # the run finished but -o could not be written (the Markdown was kept elsewhere)
#: ``-o -``: the Markdown goes to standard output
STDOUT = "-"
logger = logging.getLogger(__name__)


@contextmanager
def stdout_kept_for_the_document() -> Iterator[None]:
    """While the block runs, what is written to file descriptor 1 (by C code such as MuPDF, a child process,
    or through the ``sys.stdout`` of before) and what is printed goes to stderr; stdout is restored for the
    document printed after the block."""
    stdout = sys.stdout
    try:
        stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no descriptor to protect (closed, or not a file)
        saved = None
    sys.stdout = sys.stderr
    try:
        if saved is not None:
            os.dup2(2, 1)
        yield
    finally:
        sys.stdout = stdout
        if saved is not None:
            try:
                stdout.flush()  # what an object holding the old sys.stdout wrote goes where fd 1 pointed: stderr
            except (OSError, ValueError):
                pass
            os.dup2(saved, 1)
            os.close(saved)


def _parsers() -> list[str]:
    from summarizer.inputs.nougat_parser import nougat_available

    return ["pymupdf", "nougat"] if nougat_available() else ["pymupdf"]


def read_input(source: str, parser: str, max_pages: int | None, checkpoint: str | None = None):
    """A document from a path, '-' (stdin: text or PDF bytes), a URL or an arXiv id."""
    from summarizer.inputs.loading import load_bytes, load_path

    if source == "-":
        from summarizer.inputs.loading import read_stdin

        data = read_stdin(sys.stdin)  # capped while read; a closed stdin is one clear sentence
        if not data.strip():
            raise InputError("Standard input is empty: there is nothing to summarize.")
        return load_bytes(data, "stdin", parser, max_pages, checkpoint)
    if not Path(source).exists():
        from summarizer.config.settings import Settings
        from summarizer.inputs.fetch import load_reference

        doc = load_reference(source, Settings(parser=parser, max_pages=max_pages or 600))
        if doc is not None:
            return doc
    return load_path(source, parser, max_pages, checkpoint)


#: Settings fields with a command-line flag of their own (flag → field); help text comes from the model.
TUNING_FLAGS = {"--temperature": "temperature", "--timeout": "timeout", "--max-attempts": "max_attempts",
                "--backoff-base": "backoff_base", "--backoff-cap": "backoff_cap", "--rpm": "requests_per_minute",
                "--tpm": "tokens_per_minute", "--context-window": "context_window",
                "--group-below": "group_below", "--whole-paper-below": "whole_paper_below"}


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """Flags for the model-call settings; types and descriptions come from ``Settings`` (one source)."""
    from summarizer.config.settings import Settings

    fields = Settings.model_fields
    for flag, name in TUNING_FLAGS.items():
        kind = float if fields[name].annotation is float else int
        parser.add_argument(flag, type=kind, dest=name, metavar=kind.__name__.upper(),
                            help=f"{fields[name].description} (env SUMMARIZER_{name.upper()})")


def settings_from_args(args):
    from summarizer.config.logs import add_secret
    from summarizer.config.settings import Settings

    tuning = {name: getattr(args, name, None) for name in TUNING_FLAGS.values()}
    settings = Settings.from_env(
        backend="llm" if args.backend == "local" else args.backend, model=args.model, base_url=args.base_url, language=args.lang,
        workers=args.workers, use_cache=False if args.no_cache else None, prompts_dir=args.prompts,
        length=args.length, parser=args.parser, max_pages=getattr(args, "max_pages", None),
        model_path=getattr(args, "model_path", None), describe_figures=True if getattr(args, "describe_figures", False) else None,
        **tuning,
    )
    add_secret(settings.clean_key())  # masked in every log line, whatever its shape
    return _local_settings(args, settings)


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """The local model's options (--context-window, a setting flag, sets its n_ctx)."""
    parser.add_argument("--model-path", help="GGUF model file for --backend local (llama.cpp on this machine)")
    parser.add_argument("--threads", type=int, help="llama.cpp threads for the local model (default: half the logical CPUs, at least 1)")


def _local_settings(args, settings):
    """``--backend local`` is the LLM backend over a local GGUF file; the flags override the environment."""
    from summarizer.model.errors import ConfigError

    changes = {k: v for k, v in (("model_path", getattr(args, "model_path", None)),
                                 ("threads", getattr(args, "threads", None))) if v is not None}
    if getattr(args, "backend", None) == "local":
        if not (changes.get("model_path") or settings.model_path):
            raise ConfigError("--backend local needs a model file: --model-path X.gguf (or SUMMARIZER_MODEL_PATH).")
    elif getattr(args, "backend", None) == "llm" and not getattr(args, "model_path", None):
        changes["model_path"] = None  # an endpoint was chosen: a model file from the environment does not apply
    return settings.replace(**changes) if changes else settings


def _progress(event, stream, said: set[str] | None = None) -> None:
    if event.kind == "section" and event.result and event.result.finished and event.result.status != "skipped":
        r = event.result
        mark = {"done": "ok", "cached": "cached", "failed": "FAILED"}.get(r.status, r.status)
        extra = f" — {r.error}" if r.status == "failed" else ""
        if r.status == "failed" and r.error.startswith(("not sent", "not finished")):
            mark, extra = "not run", ""  # the run-level reason is printed once
        if said is not None and r.error:
            said.add(r.error)
        print(f"  [{mark}] {r.title}{extra}", file=stream, flush=True)


def _read_tables(source: str, doc) -> None:
    """``--tables``: the regions of the PDF's tables and figures and the tables' cells (shown under their sections,
    and a summary's number found in a cell is traced). A non-PDF input has none; said once."""
    from summarizer.pdf.floats import locate_floats

    pdf = _input_pdf(source)
    if not doc.floats or pdf is None:
        print("--tables: no captioned tables or figures were found in this input.", file=sys.stderr)
        return
    locate_floats(pdf, doc.floats)
    read = sum(1 for f in doc.floats if f.rows)
    unread = sum(1 for f in doc.floats if f.note)
    why = f"; {unread} not read (why is said under each)" if unread else ""
    print(f"--tables: {len(doc.floats)} tables and figures by their captions; {read} table(s) read cell by cell{why}.",
          file=sys.stderr)


def chosen_formats(args) -> list | None:
    """``--format``'s formats (None without the flag), refused before the run where they cannot be written: several
    need ``-o`` (each goes beside it), a binary one is never printed on a terminal, and ``--json`` and a format
    cannot share standard output."""
    if not getattr(args, "format", None):
        return None
    from summarizer.output.formats import parse_formats

    formats = parse_formats(args.format)
    if args.output in (None, STDOUT):
        if len(formats) > 1:
            raise InputError("Several formats are written as files: give -o PATH (each is written beside it with its "
                             "own suffix).")
        if formats[0].binary:
            raise InputError(f"--format {formats[0]} is a binary file and is not printed: give -o PATH.")
        if getattr(args, "json", False):
            raise InputError("--json and --format both print on standard output: use --format json, or give -o PATH.")
    return formats


def format_paths(output: Path, formats: list) -> dict:
    """Where each format goes: one format to ``output`` as given; several beside it, each ``output``'s stem (its
    format suffix taken off, ``output.formats.output_stem``) with its own suffix."""
    if len(formats) == 1:
        return {formats[0]: output}
    from summarizer.output.formats import output_stem

    stem = output_stem(output.name)
    return {f: output.with_name(stem + f.suffix) for f in formats}


def _figure_pdf(source: str, doc, settings, located: bool) -> bytes | None:
    """``--describe-figures``: the PDF the figures' images are cut from, its figures located first (as ``--tables``
    does, unless it ran: ``located``); None where nothing is to be described. The extractive backend has no model to
    ask: nothing is read for it, and nothing said."""
    if not settings.describe_figures or settings.backend != "llm":
        return None
    data = _input_pdf(source)
    if data is None:
        print("--describe-figures: only a PDF file's figures can be described; this input has none.", file=sys.stderr)
        return None
    if not located:
        from summarizer.pdf.floats import locate_floats

        locate_floats(data, doc.floats)
    if not doc.figures_to_describe():
        print("--describe-figures: no figure with a region on its page was found; nothing to describe.", file=sys.stderr)
        return None
    return data


def _estimate_first(doc, settings, args) -> None:
    """Before a run that describes figures (a new kind of spend), its estimate, figures included; above
    ``--budget`` (or at an unknown price) it runs only with ``--yes``. A local model costs nothing."""
    from summarizer.llm.costs import estimate_run

    figures = len(doc.figures_to_describe())
    if settings.is_local or not figures:
        return
    estimate = estimate_run(doc, settings)
    if not (args.json or args.quiet):
        print(f"Estimate with {figures} figure description(s): {estimate.describe()}", file=sys.stderr)
    if not args.yes and (estimate.cost_usd is None or estimate.cost_usd > args.budget):
        cost = "unknown (no price for this model)" if estimate.cost_usd is None else f"about ${estimate.cost_usd:.4f}"
        raise InputError(f"The run's cost is {cost}: add --yes to spend that (runs without it only when the estimate "
                         f"is known and under ${args.budget:.2f}, --budget).")


def cmd_summarize(args) -> int:
    if args.json and args.output == STDOUT:
        raise InputError("--json and -o - both print on standard output: choose one.")
    args.formats = chosen_formats(args)
    with stdout_kept_for_the_document():
        doc, result, markdown, said = _summarize(args)
    if args.json:
        from summarizer.output.summary_json import summary_json

        print(json.dumps(summary_json(doc, result, markdown), ensure_ascii=False, indent=2))
    elif args.output in (None, STDOUT):
        printed = getattr(args, "printed", None)  # a format's text ("" is a format's answer too: an empty Extra field)
        sys.stdout.write(markdown if printed is None else printed)
        sys.stdout.flush()
    if not (args.json or args.quiet):
        written = getattr(args, "written", None) or ([args.output] if args.output not in (None, STDOUT) else [])
        where = f" → {', '.join(str(w) for w in written)}" if written else ""
        print(f"Done with backend {result.backend}{where}", file=sys.stderr)
    if result.overview_error:  # no overall summary is a failed run, whatever the sections did
        reason = "see the error above" if result.overview_error in said else result.overview_error
        print(f"error: no overall summary: {reason}", file=sys.stderr)
    if result.failed:
        print(f"{len(result.failed)} section(s) failed; see the Markdown for why.", file=sys.stderr)
    if getattr(args, "output_failed", False):
        return EXIT_OUTPUT_FAILED
    return EXIT_SECTIONS_FAILED if result.failed or result.overview_error else EXIT_OK


def _summarize(args):
    """Read, summarize (and re-check), record and write ``-o FILE``: the document, the run's result, its
    Markdown and the errors already said on stderr."""
    from summarizer.output.render import render_markdown
    from summarizer.run.engine import summarize_document

    settings = settings_from_args(args)
    settings.validate()
    check_output(args.output)  # before the (paid) run, not after it
    doc = read_input(args.input, settings.parser, settings.max_pages, settings.nougat_checkpoint)
    if getattr(args, "tables", False):
        _read_tables(args.input, doc)
    pdf = _figure_pdf(args.input, doc, settings, located=getattr(args, "tables", False))
    if pdf is not None:
        _estimate_first(doc, settings, args)
    logger.info("read %s: %d section(s), language %s, genre %s; backend %s", args.input, len(doc.sections),
                doc.language, doc.genre, settings.backend_label)
    _print_notices(doc)
    if settings.prompts_dir and settings.backend == "llm":  # only the LLM reads prompts (JSON5 parsing: ~0.2 s)
        from summarizer.llm.prompts import load_prompts

        problems = load_prompts(settings.prompts_dir).errors
        for p in problems:
            print(f"warning: {p}", file=sys.stderr)
    quiet = args.json or args.quiet
    if not quiet:
        print(f"Summarizing '{doc.title}' with backend: {settings.backend_label}", file=sys.stderr)
    said: set[str] = set()  # errors already printed, so a run-level reason is said once
    progress = None if quiet else (lambda e: _progress(e, sys.stderr, said))
    if args.no_history:
        recorder = None
    else:
        from summarizer.store.recorder import command_recorder

        recorder = command_recorder(doc, settings)
    events = [f for f in (progress, recorder) if f is not None]
    started = time.monotonic()
    result = summarize_document(doc, settings, on_event=(lambda e: [f(e) for f in events]) if events else None, pdf=pdf)
    logger.info("summarized %s in %.1fs: %d section(s), %d failed, %d request(s), tokens in/out %d/%d", args.input,
                time.monotonic() - started, len(result.sections), len(result.failed), result.usage.requests,
                result.usage.tokens_in, result.usage.tokens_out)
    if args.recheck and settings.backend == "llm" and result.needs_recheck():
        from summarizer.run.engine import recheck

        if not quiet:
            print(f"Re-asking {len(result.needs_recheck())} section(s) with untraceable numbers …", file=sys.stderr)
        result = recheck(doc, settings, result)
    if getattr(args, "formats", None):
        markdown = render_markdown(result, include_reasoning=args.reasoning)
        if recorder is not None:
            recorder.finish(result, markdown)
        _write_formats(args, doc, result, settings, recorder)
        return doc, result, markdown, said
    images = None
    source = _input_pdf(args.input) if getattr(args, "tables", False) and args.output not in (None, STDOUT) else None
    if source is not None:
        from summarizer.output.figures import write_figures

        images = write_figures(doc, source, Path(args.output)) or None
    markdown = render_markdown(result, include_reasoning=args.reasoning, images=images)
    if recorder is not None:
        recorder.finish(result, markdown)  # the Markdown the user got, after any re-check
    if args.output not in (None, STDOUT):
        kept = write_output(Path(args.output), markdown, recorder)
        if kept != Path(args.output):  # kept elsewhere, or nowhere (then the Markdown goes to stdout)
            args.output, args.output_failed = (str(kept) if kept else None), True
    return doc, result, markdown, said


def _input_pdf(source: str) -> bytes | None:
    """The input's bytes when it is a PDF file on disk, read once for every step that needs them (the tables, the
    figures' images, the paper's first pages for its record); a PDF is known as ``load_bytes`` knows it."""
    path = Path(source)
    if source == STDOUT or not path.is_file():
        return None
    stat = path.stat()
    return _pdf_bytes(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _pdf_bytes(path: str, mtime_ns: int, size: int) -> bytes | None:
    """One file's bytes if it is a PDF, kept while the file is unchanged (its time and size are in the key)."""
    with open(path, "rb") as f:
        if f.read(1024).lstrip()[:5] != b"%PDF-":
            return None
        f.seek(0)
        return f.read()


def _write_formats(args, doc, result, settings, recorder) -> None:
    """``--format``: one format on standard output (printed after the run), or each format's file beside ``-o``
    (with ``--tables``, the figures in an assets folder the Markdown formats link)."""
    from summarizer.output.formats import Format, export, export_files
    from summarizer.output.provenance import Provenance

    provenance = Provenance.of(result, settings)
    pdf = _input_pdf(args.input)
    if args.output in (None, STDOUT):
        args.printed = export(result, args.formats[0], provenance=provenance, pdf=pdf,
                              include_reasoning=args.reasoning).decode("utf-8")
        return
    output = Path(args.output)
    paths = format_paths(output, args.formats)
    figures = None
    if getattr(args, "tables", False) and pdf and any(f in (Format.MD, Format.OBSIDIAN) for f in paths):
        from summarizer.output.figures import figure_images

        figures = figure_images(doc, pdf)
    from summarizer.output.figures import assets_folder
    from summarizer.output.formats import output_stem

    assets = assets_folder(output.name) if len(paths) == 1 else f"{output_stem(output.name)}_assets"
    files = export_files(result, {f: p.name for f, p in paths.items()}, figures=figures, assets=assets,
                         provenance=provenance, pdf=pdf, include_reasoning=args.reasoning)
    args.written, figures_written = [], 0
    for name, data in files.items():
        target = output.parent / name
        target.parent.mkdir(parents=True, exist_ok=True)
        kept = write_output(target, data, recorder)
        if kept != target:
            args.output_failed = True
        if kept is not None and name.startswith(assets + "/"):
            figures_written += 1
        elif kept is not None:
            args.written.append(kept)
    if figures_written:
        args.written.append(f"{figures_written} figure(s) in {output.parent / assets}")


def check_output(output: str | None) -> None:
    """Refuse an ``-o`` path that cannot be written (a missing folder, a folder, a read-only or full
    disk) before anything is read or paid for; '-' (stdout) and devices such as ``/dev/stdout`` pass."""
    if not output or output == "-":
        return
    path = Path(output)
    if path.is_dir():
        raise InputError(f"-o {output}: that is a folder; give a file name for the Markdown.")
    if path.exists() and not path.is_file():
        return  # a device or a pipe: written in place
    if not path.parent.is_dir():
        raise InputError(f"-o {output}: the folder '{path.parent}' does not exist; create it or choose another path.")
    probe = path.with_name(f".{path.name}.{os.getpid()}.probe")
    try:
        with open(probe, "wb") as f:  # a read-only folder, or a disk with no room, fails here
            f.write(b"\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise InputError(f"-o {output}: cannot write there ({exc.strerror or exc.__class__.__name__}).") from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError:  # a read-only disk: there is nothing to remove
            pass


def write_output(path: Path, markdown: str | bytes, recorder=None) -> Path | None:
    """Write the Markdown (or an export's bytes) to ``path``; when that fails (a disk that filled during the run),
    keep it in the data folder and say where, and where the run is in the history. Where it was written; None when
    it could be kept nowhere."""
    from summarizer.config.paths import data_dir, write_atomic

    data = markdown.encode("utf-8") if isinstance(markdown, str) else markdown
    what = "the Markdown" if isinstance(markdown, str) else "the file"
    try:
        if path.exists() and not path.is_file():
            path.write_bytes(data)  # a device or a pipe: no temp file and rename beside it
        else:
            write_atomic(path, data)
        return path
    except OSError as exc:
        logger.error("could not write %s: %s", path, exc)
        reason = exc.strerror or exc.__class__.__name__
    run = getattr(recorder, "run_id", None) if recorder is not None and not getattr(recorder, "failed", True) else None
    stored = f"; the run is in the history too (summarizer history show {run})" if run else ""
    fallback = data_dir() / "unsaved" / f"{time.strftime('%Y%m%d-%H%M%S')}-{path.name or 'summary.md'}"
    try:
        fallback.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(fallback, data)
    except OSError as exc:
        logger.error("could not keep %s in %s: %s", what, fallback, exc)
        follows = "the Markdown follows on standard output" if what == "the Markdown" else "it could not be kept either"
        print(f"error: could not write {path} ({reason}); {follows}{stored}.", file=sys.stderr)
        return None
    print(f"error: could not write {path} ({reason}); {what} was kept in {fallback}{stored}.", file=sys.stderr)
    return fallback


def cmd_batch(args) -> int:
    from summarizer.run.batch import run_batch

    settings = settings_from_args(args)
    if args.small_model:
        settings.small_model = args.small_model
        settings.route_below_tokens = args.route_below
    width = 30

    def progress(result, done: int, total: int) -> None:
        if args.quiet:
            return
        filled = int(width * done / max(total, 1))
        mark = {"done": "ok", "partial": "PARTIAL", "failed": "FAILED", "skipped": "skip"}[str(result.status)]
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {mark} {result.id}"[:120].ljust(120),
              end="", file=sys.stderr, flush=True)

    formats = ()
    if args.format:
        from summarizer.output.formats import parse_formats

        formats = tuple(parse_formats(args.format))
    if args.engine == "ray":
        from summarizer.run.ray_batch import run_batch_ray

        report = run_batch_ray(args.input, args.output, settings, progress, history=not args.no_history,
                               address=args.ray_address, num_cpus=args.ray_cpus, formats=formats)
    else:
        report = run_batch(args.input, args.output, settings, progress, history=not args.no_history, formats=formats)
    if not args.quiet:
        print(file=sys.stderr)
        print(f"Batch with backend {settings.backend_label}: {report.done} done, {report.skipped} already done, "
              f"{report.partial} partial, {report.failed} failed in {report.seconds:.1f} s → {args.output}", file=sys.stderr)
    for r in report.results:
        if r.status in ("failed", "partial"):
            print(f"  {r.status}: {r.id}: {r.error}", file=sys.stderr)
    # as for summarize: a document with a failed section or no overall summary makes the run exit 3
    return EXIT_SECTIONS_FAILED if report.failed or report.partial else EXIT_OK


def _print_notices(doc) -> None:
    """What the reader must know about the input (pages left unread, pages unreadable), on stderr too."""
    for notice in doc.notices:
        print(f"note: {notice}", file=sys.stderr)


def cmd_sections(args) -> int:
    from summarizer.config.environ import ReadOptions

    options = ReadOptions.from_env(args.parser, args.max_pages)  # reading a document needs no more
    with stdout_kept_for_the_document():
        doc = read_input(args.input, options.parser, options.max_pages, options.nougat_checkpoint)
        _print_notices(doc)
    if args.json:
        data = doc.to_json()
        print(json.dumps({"title": data["title"], "sections": data["sections"], "authors": data["authors"],
                          "language": data["language"], "notices": data["notices"]}, ensure_ascii=False, indent=2))
    else:
        print(doc.title)
        for s in doc.sections:
            page = f"p.{s.page_start}" if s.page_start else ""
            print(f"{'  ' * (s.level - 1)}- {s.title}  [{s.kind}] {page}")
    return EXIT_OK


def cmd_prompts(args) -> int:
    from summarizer.llm.prompts import load_prompts

    if args.action == "list":
        prompts = load_prompts(args.prompts)
        for p in prompts.prompts.values():
            mark = " (user)" if p.name in prompts.overridden else ""
            print(f"{p.name:14} {p.role:9} {', '.join(p.kinds) or '-':28} {p.description}{mark}")
        for e in prompts.errors:
            print(f"error: {e}", file=sys.stderr)
        return EXIT_OK
    if args.action == "show":
        if not args.name:
            raise InputError("Name the prompt to show, e.g. 'prompts show method'.")
        prompt = load_prompts(args.prompts).get(args.name)
        print(json.dumps(prompt.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK
    folder = args.name or args.prompts
    if not folder:
        raise InputError("Name the folder to check, e.g. 'prompts check my_prompts/'.")
    if not Path(folder).is_dir():
        raise InputError(f"There is no folder at '{folder}'.")
    prompts = load_prompts(folder)
    files = sorted(Path(folder).glob("*.json5"))
    for e in prompts.errors:
        print(f"error: {e}")
    print(f"{len(files) - len(prompts.errors)} of {len(files)} prompt file(s) valid.")
    return EXIT_BAD_INPUT if prompts.errors else EXIT_OK


def _add_log_flags(parser: argparse.ArgumentParser, default=None) -> None:
    """-v/--verbose and --log-file, accepted before or after the subcommand."""
    parser.add_argument("-v", "--verbose", action="count", default=default,
                        help="log progress to stderr (-v: info, -vv: debug with request details)")
    parser.add_argument("--log-file", default=default, help="also write the log (with tracebacks) to this file")


#: What an input may be (summarize, sections): the formats ``inputs.loading.load_bytes`` reads.
INPUT_HELP = ("a PDF, Word (.docx), PowerPoint (.pptx), EPUB, OpenDocument text (.odt), text, Markdown or HTML file; "
              "a URL; an arXiv id; or '-' (stdin)")


def _add_summarize_args(s: argparse.ArgumentParser) -> None:
    """``summarize``'s arguments; descriptions and choices come from ``Settings`` (one source)."""

    _add_log_flags(s, argparse.SUPPRESS)
    s.add_argument("input", help=INPUT_HELP)
    s.add_argument("-o", "--output", help="write the Markdown here ('-': standard output)")
    from summarizer.output.formats import Format

    s.add_argument("--format", action="append", metavar="FMT[,FMT...]",
                   help=f"write these formats instead of the Markdown: {', '.join(Format)}; several at once (a comma list or "
                        "the flag repeated) are written beside -o PATH, each as PATH's stem with its own suffix "
                        "(.summary.md, .md for Obsidian, .zotero.html, .zotero-extra.txt, .bib, .ris, .docx, .html, "
                        ".json); one format goes to -o PATH as given, or to standard output (not docx)")
    add_run_args(s)
    s.add_argument("--tables", action="store_true",
                   help="read the PDF's tables cell by cell and find its figures (slower: ~50 ms a page): shown under "
                        "their sections, a number from a table cell counts as traced")
    s.add_argument("--describe-figures", action="store_true",
                   help="find the PDF's figures (as --tables does) and ask the model for a one-line description of "
                        "each from its image: one more request per figure, in the estimate shown first (llm backend; "
                        "skipped when the model refuses images; env SUMMARIZER_DESCRIBE_FIGURES)")
    s.add_argument("--yes", action="store_true", help="with --describe-figures: spend the estimated cost without asking")
    s.add_argument("--budget", type=float, default=1.0,
                   help="with --describe-figures: run without --yes below this estimate in USD (default 1)")
    s.add_argument("--reasoning", action="store_true", help="include the model's reasoning in the Markdown")
    s.add_argument("--recheck", action="store_true",
                   help="re-ask once the sections whose numbers or quotations are not in the source (llm)")
    s.add_argument("--no-history", action="store_true", help="do not write this run into the history store")
    s.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=cmd_summarize)


def add_run_args(s: argparse.ArgumentParser) -> None:
    """The run's settings as flags (backend, model, endpoint, language, length, parser, limits), read back by
    ``settings_from_args``; shared by ``summarize`` and ``table``."""
    from summarizer.config.settings import Settings

    doc = Settings.describe()
    s.add_argument("--backend", choices=[*Settings.choices("backend"), "local"],
                   help=doc["backend"] + "; local: a GGUF model file run by llama.cpp (--model-path)")
    add_model_args(s)
    s.add_argument("--lang", choices=Settings.choices("language"), help=doc["language"])
    s.add_argument("--length", choices=Settings.choices("length"), help=doc["length"])
    s.add_argument("--model", help=doc["model"])
    s.add_argument("--base-url", help=doc["base_url"])
    s.add_argument("--workers", type=int, help=doc["workers"])
    s.add_argument("--no-cache", action="store_true")
    s.add_argument("--prompts", help="folder of prompt files used over the defaults")
    s.add_argument("--parser", choices=_parsers(), default=None,
                   help="PDF parser (nougat is offered when requirements-nougat.txt is installed)")
    s.add_argument("--max-pages", type=int, help="page limit per PDF (default 600, or SUMMARIZER_MAX_PAGES)")
    _add_setting_flags(s)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return value


def _add_batch_args(b: argparse.ArgumentParser) -> None:
    """``batch``'s arguments."""
    from summarizer.config.settings import Settings

    _add_log_flags(b, argparse.SUPPRESS)
    b.add_argument("input", help="a folder of documents (PDF, Word, PowerPoint, EPUB, ODT, text, Markdown, HTML), or a "
                                  ".jsonl / .csv / .parquet list of articles")
    b.add_argument("-o", "--output", required=True, help="output folder (one Markdown per document + index)")
    from summarizer.output.formats import Format

    b.add_argument("--format", action="append", metavar="FMT[,FMT...]",
                   help=f"also write these formats per document ({', '.join(Format)}): ID.bib, ID.docx … beside its "
                        "Markdown, references.bib/.ris for the whole batch, and obsidian/ID.md with obsidian/Index.md "
                        "linking the notes")
    for flag in ("--backend", "--lang", "--length", "--model", "--base-url", "--prompts"):
        kwargs = {"choices": {"--backend": [*Settings.choices("backend"), "local"], "--lang": Settings.choices("language"),
                              "--length": Settings.choices("length")}.get(flag)}
        b.add_argument(flag, **{k: v for k, v in kwargs.items() if v})
    add_model_args(b)
    b.add_argument("--workers", type=int, help="documents (and model calls) in flight at once")
    b.add_argument("--no-cache", action="store_true")
    b.add_argument("--parser", choices=_parsers(), default=None)
    b.add_argument("--max-pages", type=int, help="page limit per PDF (default 600, or SUMMARIZER_MAX_PAGES)")
    b.add_argument("--small-model", help="route short documents to this model")
    b.add_argument("--route-below", type=int, default=2000, help="token threshold for --small-model")
    b.add_argument("--no-history", action="store_true", help="do not write the runs into the history store")
    b.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: threads in this process (default); ray: tasks on a Ray cluster (pip install -r requirements-ray.txt)")
    b.add_argument("--ray-address", help="an existing Ray cluster (default: a local Ray started for the run)")
    b.add_argument("--ray-cpus", type=_positive, help="CPUs of the local Ray (default: all of this machine's)")
    b.add_argument("-q", "--quiet", action="store_true")
    _add_setting_flags(b)
    b.set_defaults(func=cmd_batch)


def _add_sections_command(sub) -> None:
    """``sections``: what a document's outline is (reads the document only: no settings model)."""
    c = sub.add_parser("sections", help="show the sections found in an input")
    _add_log_flags(c, argparse.SUPPRESS)
    c.add_argument("input", help=INPUT_HELP)
    c.add_argument("--parser", choices=_parsers(), default=None)
    c.add_argument("--json", action="store_true")
    c.add_argument("--max-pages", type=int, help="page limit per PDF (default 600, or SUMMARIZER_MAX_PAGES)")
    c.set_defaults(func=cmd_sections)


#: commands whose flags come from the settings model (their descriptions and choices: building them
#: imports it, which a command that only reads a document does not need)
MODEL_COMMANDS = ("summarize", "batch", "judge", "table")


def command_of(argv: list[str]) -> str | None:
    """The subcommand ``argv`` names, after the global ``-v`` / ``--log-file X`` options; None when
    there is none (``--help``, ``--version``, nothing)."""
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if len(arg) > 2 and "--log-file".startswith(arg):  # argparse takes "--log F" for "--log-file F"
            rest = rest[1:]
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the ``command`` being run, the other commands whose flags come
    from the settings model are listed by name and help only (what the top-level help shows)."""
    parser = argparse.ArgumentParser(prog="python -m summarizer",
                                     description="Section-by-section Markdown summaries of papers and articles.")
    from summarizer import package_version

    parser.add_argument("--version", action="version", version=f"summarizer {package_version()}")
    _add_log_flags(parser, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("summarize", help="summarize a PDF/Word/PowerPoint/EPUB/ODT/text/Markdown/HTML file, a URL, "
                                         "an arXiv id, or '-' (stdin)")
    b = sub.add_parser("batch", help="summarize a folder of files, or a JSONL/CSV/Parquet of articles (id, text or url)")
    t = sub.add_parser("table", help="a literature table of 2-50 papers: every cell cited, a synthesis, CSV/XLSX/Markdown")
    if command is None or command in MODEL_COMMANDS:
        _add_summarize_args(s)
        _add_batch_args(b)
        from summarizer.cli.table import add_table_args

        add_table_args(t, _add_log_flags, add_run_args)
    _add_sections_command(sub)

    p = sub.add_parser("prompts", help="list, show or check prompt files")
    _add_log_flags(p, argparse.SUPPRESS)
    p.add_argument("action", choices=["list", "show", "check"])
    p.add_argument("name", nargs="?")
    p.add_argument("--prompts", help="folder of user prompt files")
    p.set_defaults(func=cmd_prompts)

    from summarizer.cli.ask import add_ask_command

    add_ask_command(sub)
    from summarizer.cli.history import add_history_parser

    add_history_parser(sub)
    from summarizer.cli.service import add_service_commands

    add_service_commands(sub, _add_log_flags)
    from summarizer.cli.compare import add_compare_commands

    add_compare_commands(sub, _add_log_flags, _add_judge_model_args if command in (None, "judge") else lambda j: None)
    return parser


def _add_judge_model_args(j: argparse.ArgumentParser) -> None:
    """The judge model's choice: an endpoint and model (or --backend local), with the run settings' flags."""
    j.add_argument("--model", required=True, help="the judge model (e.g. gpt-4o, deepseek-chat)")
    j.add_argument("--base-url", help="its OpenAI-compatible endpoint (default: SUMMARIZER_BASE_URL or OpenAI)")
    j.add_argument("--backend", choices=["llm", "local"], default="llm")
    j.add_argument("--workers", type=int, help="documents judged at once")
    j.add_argument("--no-cache", action="store_true")
    j.add_argument("--prompts", help="folder of user prompt files (a judge.json5 there replaces the rubric)")
    add_model_args(j)
    j.set_defaults(lang=None, length=None, parser=None)
    _add_setting_flags(j)


def main(argv: list[str] | None = None) -> int:
    from summarizer.config.logs import configure_cli

    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    configure_cli(getattr(args, "verbose", None) or 0, getattr(args, "log_file", None))
    try:
        return args.func(args)
    except SummarizerError as exc:
        logger.info("%s failed: %s", args.command, exc, exc_info=logger.isEnabledFor(logging.DEBUG))
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code if exc.exit_code != 1 else EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: one line for the user, the traceback in the log
        logger.exception("%s failed unexpectedly", args.command)
        where = f"; the traceback is in {args.log_file}" if getattr(args, "log_file", None) else "; run with -v for details"
        print(f"error: Unexpected error ({exc.__class__.__name__}){where}.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

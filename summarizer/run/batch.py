"""Batches that survive crashes: many documents in, one Markdown file per document out.

* Each result is written atomically (temp file + rename) as soon as it is done, then recorded in
  ``index.jsonl`` by one locked append (field notes 20, 21).
* A re-run skips documents already done with the same content and settings, and redoes failed
  ones; a run killed at any moment (SIGKILL) loses and duplicates nothing: an entry is written only
  after its file, and the index is compacted (one line per document) when a run starts.
* One writer per output folder: a second batch is refused with a message naming the running one.
  The lock is an OS file lock (``filelock``: flock on POSIX, msvcrt on Windows), so it is released
  when its process dies; a stale lock file from a dead process is therefore taken over, not obeyed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import socket
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from summarizer.config.paths import write_atomic
from summarizer.config.settings import Settings
from summarizer.model.document import Document
from summarizer.model.errors import ConfigError, InputError, SummarizerError
from summarizer.output.escape import markdown_cell
from summarizer.output.render import render_markdown
from summarizer.output.summary_json import summary_json

logger = logging.getLogger(__name__)
INDEX = "index.jsonl"
LOCK = ".summarizer-batch.lock"
#: The prompt roles a summary is made with: editing another (the judge's rubric, Ask's) redoes no document.
SUMMARY_ROLES = ("section", "brief", "synthesis", "merge")
#: The files a folder batch reads: PDFs, Word, PowerPoint, EPUB and OpenDocument text, text, Markdown and HTML.
FILE_TYPES = (".pdf", ".docx", ".pptx", ".epub", ".odt", ".txt", ".md", ".markdown", ".html", ".htm", ".mmd")


@dataclass
class BatchItem:
    """One document of a batch: where it comes from and a hash of its content."""

    id: str
    source: str  # a path, a URL, "text", or an uploaded file's name
    text: str | None = None
    title: str | None = None
    data: bytes | None = None  # an uploaded file's bytes

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        if self.data is not None:
            h.update(self.data)
        elif self.text is not None:
            h.update(self.text.encode("utf-8", errors="replace"))
        elif Path(self.source).is_file():
            h.update(Path(self.source).read_bytes())
        else:
            h.update(self.source.encode())
        return h.hexdigest()[:24]

    def load(self, settings: Settings) -> Document:
        from summarizer.inputs.fetch import load_reference
        from summarizer.inputs.loading import load_bytes, load_path, load_text

        if self.data is not None:
            return load_bytes(self.data, self.source, settings.parser, settings.max_pages, settings.nougat_checkpoint)
        if self.text is not None:
            doc = load_text(self.text, self.id)
            if self.title:
                doc.title = self.title
            return doc
        if Path(self.source).is_file():
            return load_path(self.source, settings.parser, settings.max_pages, settings.nougat_checkpoint)
        doc = load_reference(self.source, settings)
        if doc is None:
            raise InputError(f"'{self.source}' is neither a file nor a link.")
        return doc


class BatchStatus(str, Enum):
    """How one document of a batch ended (the ``status`` of its ``index.jsonl`` line). Only ``done``
    is skipped by a re-run: a ``partial`` or ``failed`` document is redone."""

    DONE = "done"  # every section and the overall summary were written
    PARTIAL = "partial"  # a Markdown was written, but some sections or the overall summary failed
    FAILED = "failed"  # nothing usable: the input could not be read, or nothing was summarized
    SKIPPED = "skipped"  # done by an earlier run with the same content and settings

    def __str__(self) -> str:
        return self.value


@dataclass
class BatchResult:
    id: str
    status: BatchStatus
    file: str = ""
    title: str = ""
    error: str = ""
    unverified_numbers: int = 0
    markdown: str = ""
    data: dict = field(default_factory=dict)  # the run's JSON (``summary_json``) with the batch's own fields

    @property
    def json_file(self) -> str:
        return self.file.removesuffix(".md") + ".json" if self.data else ""


@dataclass
class BatchReport:
    results: list[BatchResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return sum(r.status == BatchStatus.DONE for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.status == BatchStatus.FAILED for r in self.results)

    @property
    def partial(self) -> int:
        return sum(r.status == BatchStatus.PARTIAL for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.status == BatchStatus.SKIPPED for r in self.results)

    def record(self, result: BatchResult, total: int,
               on_progress: Callable[[BatchResult, int, int], None] | None = None) -> None:
        """Add one finished document and report the progress (callers on several threads hold a lock)."""
        self.results.append(result)
        if on_progress:
            on_progress(result, len(self.results), total)


ARTICLE_LISTS = (".jsonl", ".csv", ".parquet")


def _safe_id(raw: str, n: int) -> str:
    cleaned = re.sub(r"[^\w\-.\u4e00-\u9fff]+", "_", raw).strip("._")[:80]
    return cleaned or f"doc-{n}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:8]


def unique_ids(names: list[tuple[str, str]]) -> list[str]:
    """One id per input, never shared, and the same on every run of the same inputs (resume needs it).

    ``names`` holds per input its short id (a file's stem, an article's id) and its full name (the file
    name, the raw id). The short id is kept where no other input has it; inputs that share one take
    their cleaned full name ('report.txt' and 'report.md'), and where that is shared too ('a b.txt' and
    'a_b.txt') the short id plus a digest of the full name. Ids are compared case-insensitively, as
    their output files are on Windows and macOS."""
    short = [_safe_id(s, n) for n, (s, _) in enumerate(names, 1)]
    full = [_safe_id(f, n) for n, (_, f) in enumerate(names, 1)]
    count = _counts(short)
    chosen = [s if count[s.casefold()] == 1 else f for s, f in zip(short, full, strict=True)]
    count = _counts(chosen)
    occurrence: dict[str, int] = {}
    ids, taken = [], set()
    for s, candidate, (_, raw) in zip(short, chosen, names, strict=True):
        if count[candidate.casefold()] > 1 or candidate.casefold() in taken:
            seen = occurrence[raw] = occurrence.get(raw, 0) + 1  # the same name twice (two uploads): its place
            candidate = f"{s[:70]}-{_digest(raw if seen == 1 else f'{raw}#{seen}')}"
            while candidate.casefold() in taken:
                candidate = f"{s[:70]}-{_digest(candidate)}"
        taken.add(candidate.casefold())
        ids.append(candidate)
    return ids


def _counts(ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in ids:
        counts[i.casefold()] = counts.get(i.casefold(), 0) + 1
    return counts


def _file_stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name


def read_items(source: str | Path) -> list[BatchItem]:
    """Items from a folder of files, or a JSONL / CSV / Parquet file of articles (``id``, ``text`` or ``url``)."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILE_TYPES)
        if not files:
            raise InputError(f"The folder '{path}' has no PDF, Word, PowerPoint, EPUB, OpenDocument, text, Markdown or "
                             "HTML files.")
        ids = unique_ids([(p.stem, p.name) for p in files])
        return [BatchItem(item_id, str(p)) for item_id, p in zip(ids, files, strict=True)]
    if not path.is_file():
        raise InputError(f"There is no folder or file at '{source}'.")
    if path.suffix.lower() not in ARTICLE_LISTS:
        raise InputError(f"'{path.name}' is not a folder, a .jsonl, .csv or .parquet file of articles.")
    return _with_unique_ids(_article_rows(path.name, path.read_bytes()))


def read_uploads(files: list[tuple[str, bytes]], pasted: list[str] | tuple[str, ...] = ()) -> list[BatchItem]:
    """Items from uploaded files, read as ``read_items`` reads a folder and article lists (the Batch
    page's input): a .jsonl or .csv file is a list of articles, any other file one document; then the
    ``pasted`` articles (``article-001``, ...). Every item gets its own id."""
    items: list[tuple[BatchItem, str, str]] = []
    for name, data in files:
        if name.lower().endswith(ARTICLE_LISTS):
            items.extend(_article_rows(name, data))
        else:
            items.append((BatchItem("", name, data=data), _file_stem(name), name))
    for n, text in enumerate(pasted, 1):
        items.append((BatchItem("", "text", text=text), f"article-{n:03d}", f"article-{n:03d}"))
    return _with_unique_ids(items)


def _with_unique_ids(items: list[tuple[BatchItem, str, str]]) -> list[BatchItem]:
    ids = unique_ids([(short, full) for _, short, full in items])
    for (item, _, _), item_id in zip(items, ids, strict=True):
        item.id = item_id
    return [item for item, _, _ in items]


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _article_rows(name: str, data: bytes) -> list[tuple[BatchItem, str, str]]:
    """The articles of a JSONL or CSV file (``id``, ``text`` or ``article``, ``url``, ``title``), each with
    its short and full id for ``unique_ids``; an id given twice in the file is refused."""
    rows: list[dict] = []
    if name.lower().endswith(".parquet"):
        rows = _parquet_rows(name, data)
    elif name.lower().endswith(".jsonl"):
        for n, line in enumerate(_decode(data).splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise InputError(f"{name}: line {n} is not valid JSON.") from None
            if not isinstance(row, dict):
                raise InputError(f"{name}: line {n} is not a JSON object.")
            rows.append(row)
    else:
        try:
            rows = list(csv.DictReader(io.StringIO(_decode(data))))
        except csv.Error as exc:
            raise InputError(f"{name}: not a readable CSV file ({exc}).") from None
    items, seen = [], set()
    for n, row in enumerate(rows, 1):
        text, url = row.get("text") or row.get("article"), row.get("url")
        if not text and not url:
            raise InputError(f"{name}: entry {n} has neither 'text' nor 'url'.")
        raw_id = str(row.get("id") or f"doc-{n}")
        if raw_id in seen:
            raise InputError(f"{name}: the id '{raw_id}' appears twice; ids must be unique.")
        seen.add(raw_id)
        items.append((BatchItem("", url or "text", text if text else None, row.get("title")), raw_id, raw_id))
    if not items:
        raise InputError(f"'{name}' holds no articles.")
    return items


def _parquet_rows(name: str, data: bytes) -> list[dict]:
    """The rows of a Parquet file (pyarrow, which the Ray install brings)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{name}: reading Parquet needs pyarrow (pip install -r requirements-ray.txt).") from None
    try:
        return pq.read_table(pa.BufferReader(data)).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: not a readable Parquet file ({str(exc)[:120]}).") from None


def settings_key(settings: Settings) -> str:
    """What decides a summary: a re-run with other settings redoes the documents."""
    from summarizer.llm.prompts import load_prompts

    prompts = load_prompts(settings.prompts_dir)
    public = settings.to_public_dict()
    keep = {k: public[k] for k in ("backend", "model", "language", "length", "parser", "temperature",
                                   "small_model", "route_below_tokens")}
    keep["host"] = settings.host if settings.backend == "llm" else ""
    used = {n: p.to_dict() for n, p in sorted(prompts.prompts.items()) if p.role in SUMMARY_ROLES}
    keep["prompts"] = hashlib.sha256(json.dumps(used, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]


class BatchLock:
    """One writer per output folder, released by the operating system if its process dies.

    ``filelock`` takes an OS lock on the lock file (``flock`` on POSIX, ``msvcrt.locking`` on
    Windows), never a "file exists" lock, so a crashed writer cannot leave the folder locked. Who
    holds it (pid, host, start) is written next to it, for the refusal message.
    """

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / LOCK
        self.info = outdir / (LOCK + ".json")
        self._lock = None

    def __enter__(self) -> BatchLock:
        import filelock

        lock = filelock.FileLock(self.path, timeout=0, fallback_to_soft=False, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            try:
                who = json.loads(self.info.read_text(encoding="utf-8"))
                desc = f"pid {who.get('pid')} on {who.get('host')}, started {who.get('started')}"
            except (OSError, ValueError, AttributeError):
                desc = "another process"
            raise ConfigError(f"Another batch ({desc}) is already writing to '{self.path.parent}'; "
                              "wait for it to finish or choose another output folder.") from None
        except OSError as exc:
            raise ConfigError(f"The output folder '{self.path.parent}' cannot be locked ({exc.strerror or exc}); "
                              "choose a folder on a local disk.") from None
        self._lock = lock
        write_atomic(self.info, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                            "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class BatchIndex:
    """``index.jsonl``: one JSON line per finished document, appended under a lock."""

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / INDEX
        self._lock = threading.Lock()

    def read(self) -> dict[str, dict]:
        records: dict[str, dict] = {}
        if not self.path.exists():
            return records
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash: that document is simply redone
            if isinstance(record, dict) and "id" in record:
                records[record["id"]] = record
        return records

    def compact(self) -> dict[str, dict]:
        """Rewrite the index with one line per document (the latest), atomically."""
        records = self.read()
        if self.path.exists():
            write_atomic(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records.values()).encode())
        return records

    def append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        import filelock

        with self._lock, filelock.FileLock(self.path.with_name(INDEX + ".lock"), fallback_to_soft=False), \
                open(self.path, "ab") as f:
            os.write(f.fileno(), line)  # one write of one line, under a cross-process lock
            os.fsync(f.fileno())


def route_model(document: Document, settings: Settings) -> Settings:
    """Short documents to the small, fast model; long ones to the large one (when configured)."""
    if settings.backend != "llm" or not settings.small_model or not settings.route_below_tokens:
        return settings
    from summarizer.text.tokens import tokenizer_for_model

    tokens = tokenizer_for_model(settings.model).count(document.text)
    return settings.replace(model=settings.small_model) if tokens < settings.route_below_tokens else settings


def shared_client(settings: Settings):
    """One chat client, so one concurrency limit, for every document of a batch (LLM backend)."""
    if settings.backend != "llm":
        return None
    from summarizer.llm.client import ChatClient

    return ChatClient(settings)


def process_item(item: BatchItem, settings: Settings, client=None, record=None) -> BatchResult:
    """Load, route and summarize one item into a ``BatchResult``; a failure is a result, never a raise.

    ``record(item, document, settings)`` gives a history recorder for the run (``history.batch_recorder``)."""
    from summarizer.run.engine import summarize_document

    started = time.perf_counter()
    try:
        doc = item.load(settings)
        chosen = route_model(doc, settings)
        backend = None
        if chosen.backend == "llm":
            from summarizer.llm.backend import LLMBackend

            same_model = client is not None and client.settings.model == chosen.model
            # its own Stop and usage per document, one concurrency limit and breaker for the batch
            backend = LLMBackend(chosen, client=client.child() if same_model else None)
        recorder = record(item, doc, chosen) if record else None
        summary = summarize_document(doc, chosen, backend=backend, on_event=recorder)
        markdown = render_markdown(summary, settings.include_reasoning)
        if recorder:
            recorder.finish(summary, markdown)
        status = summary_status(summary)
        data = {"id": item.id, "hash": item.content_hash, "status": status.value,
                "source": item.source if item.text is None else "text",
                "model": chosen.model if chosen.backend == "llm" else "",
                "routed": chosen.model != settings.model and chosen.backend == "llm",
                "genre": str(doc.genre), "chars": len(doc.text), "seconds": round(time.perf_counter() - started, 3),
                **summary_json(doc, summary, markdown), "document": doc.to_json(),  # the judge reads the source
                # what the exports need to rebuild the run from this JSON (``output.summary_json.summary_from_json``)
                "overview_fields": summary.overview_fields, "notices": list(summary.notices),
                "overview_unverified": list(summary.overview_unverified)}
        return BatchResult(item.id, status, f"{item.id}.summary.md", doc.title,
                           summary_errors(summary)[:500], summary.unverified_count, markdown, data)
    except SummarizerError as exc:
        return BatchResult(item.id, BatchStatus.FAILED, error=str(exc))
    except Exception as exc:  # one document must never stop the batch; the traceback goes to the log
        logger.exception("batch item %s failed unexpectedly", item.id)
        return BatchResult(item.id, BatchStatus.FAILED, error=f"Unexpected error ({exc.__class__.__name__}).")


def summary_status(summary) -> BatchStatus:
    """A document is done only as ``summarize`` counts a success (its exit 0): no section failed and
    the overall summary was written. Nothing summarized at all is a failure; anything between, partial."""
    if not summary.failed and not summary.overview_error:
        return BatchStatus.DONE
    return BatchStatus.PARTIAL if any(s.ok for s in summary.sections) else BatchStatus.FAILED


def summary_errors(summary) -> str:
    """What went wrong in one document, in one line: the failed sections' reasons and the overview's."""
    reasons = [f"{s.title}: {s.error}" for s in summary.failed]
    if summary.overview_error:
        reasons.append(f"no overall summary: {summary.overview_error}")
    return "; ".join(reasons)


#: Where a batch writes its Obsidian notes (one per document and ``INDEX_NOTE``): a folder to open or copy as a vault.
VAULT = "obsidian"
INDEX_NOTE = "Index.md"


class BatchOutput:
    """One batch's output folder, whichever engine runs it: the documents still to do (a re-run skips those
    done with the same content and settings), and each result written as it arrives (Markdown and JSON
    atomically, then its ``index.jsonl`` line), then ``index.md``. Hold ``BatchLock`` while using it.

    ``formats`` (``output.formats.Format``) adds each document's exports: ``ID.bib``, ``ID.ris``, ``ID.docx`` …
    beside its Markdown, Obsidian notes in ``obsidian/ID.md`` with ``obsidian/Index.md`` linking them, and
    ``references.bib`` / ``references.ris`` with every paper's entry. They are made from the run's JSON, so both
    engines write them the same way, and a re-run makes the ones a finished document lacks without redoing it."""

    def __init__(self, outdir: Path, settings: Settings, formats: tuple = ()) -> None:
        from summarizer.output.formats import Format

        self.out = outdir
        for stale in outdir.glob(".*.tmp"):  # half-written files of a writer that died (the caller holds the lock)
            stale.unlink(missing_ok=True)
        self.index = BatchIndex(outdir)
        self.previous = self.index.compact()
        self.key = settings_key(settings)
        self.settings = settings
        # the Markdown and the JSON are written for every document anyway
        self.formats = [f for f in (Format(f) for f in formats) if f not in (Format.MD, Format.JSON)]
        self._prompts: dict | None = None

    def export_names(self, item_id: str) -> dict:
        """Each export's path in the folder for one document."""
        from summarizer.output.formats import Format

        return {f: f"{VAULT}/{item_id}.md" if f == Format.OBSIDIAN else f"{item_id}{f.suffix}" for f in self.formats}

    def write_exports(self, item: BatchItem, data: dict) -> None:
        """The document's exports, from its run's JSON (``data``), each written atomically."""
        from dataclasses import replace

        from summarizer.output.formats import export_files
        from summarizer.output.provenance import Provenance
        from summarizer.output.summary_json import summary_from_json

        summary = summary_from_json(data)
        if self._prompts is None:
            from summarizer.llm.prompts import prompt_versions

            self._prompts = prompt_versions(self.settings)
        provenance = Provenance.of(summary, self.settings, prompts=self._prompts)
        if data.get("model"):  # the model this document was routed to
            provenance = replace(provenance, model=data["model"])
        pdf = item.data if item.data is not None else (Path(item.source).read_bytes()
                                                        if item.text is None and Path(item.source).is_file() else None)
        for name, blob in export_files(summary, self.export_names(item.id), provenance=provenance, pdf=pdf,
                                       include_reasoning=self.settings.include_reasoning).items():
            (self.out / name).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.out / name, blob)

    def missing_exports(self, item: BatchItem, record: dict) -> None:
        """For a document an earlier run finished: the exports it lacks, made from its JSON (not summarized again)."""
        if not self.formats or all((self.out / n).exists() for n in self.export_names(item.id).values()):
            return
        try:
            data = json.loads((self.out / record.get("json", "")).read_text(encoding="utf-8"))
            if "document" in data:
                self.write_exports(item, data)
        except (OSError, ValueError, KeyError, TypeError, SummarizerError) as exc:
            logger.warning("batch: the exports of %s could not be made from its JSON (%s)", item.id, exc)

    def pending(self, items: list[BatchItem], report: BatchReport) -> list[BatchItem]:
        """The items to do; those already done are added to ``report`` as skipped."""
        todo: list[BatchItem] = []
        for item in items:
            old = self.previous.get(item.id)
            if old and old.get("status") == BatchStatus.DONE and old.get("settings") == self.key and \
                    old.get("hash") == item.content_hash and (self.out / old.get("file", "")).exists():
                report.results.append(BatchResult(item.id, BatchStatus.SKIPPED, old["file"], old.get("title", "")))
                self.missing_exports(item, old)
            else:
                todo.append(item)
        return todo

    def write(self, item: BatchItem, result: BatchResult) -> BatchResult:
        """Write one document's files, then its index line; a file that cannot be written fails the document."""
        try:
            if result.data:
                write_atomic(self.out / result.json_file, json.dumps(result.data, ensure_ascii=False).encode("utf-8"))
            if result.markdown:
                write_atomic(self.out / result.file, result.markdown.encode("utf-8"))
            if self.formats and result.data:
                self.write_exports(item, result.data)
        except OSError as exc:
            result = BatchResult(item.id, BatchStatus.FAILED, error=f"Could not write {result.file} ({exc.strerror}).")
        except Exception:  # a fault of an export: the summary is written and stays done; the log has the traceback
            logger.exception("batch: the exports of %s could not be made", item.id)
        data = result.data
        self.index.append({"id": item.id, "status": result.status.value, "file": result.file, "json": result.json_file,
                           "title": result.title, "hash": item.content_hash, "settings": self.key, "error": result.error,
                           "unverified_numbers": result.unverified_numbers, "model": data.get("model", ""),
                           "genre": data.get("genre", ""), "chars": data.get("chars", 0),
                           "seconds": data.get("seconds"), "cost_usd": (data.get("usage") or {}).get("cost_usd"),
                           "authors": ((data.get("document") or {}).get("authors") or [])[:6],
                           "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        return result

    def finish(self) -> None:
        records = self.index.compact()
        write_atomic(self.out / "index.md", index_markdown(records).encode("utf-8"))
        from summarizer.output.formats import Format

        if Format.OBSIDIAN in self.formats:
            from summarizer.output.obsidian import VaultEntry, vault_index

            entries = [VaultEntry(r["id"], r.get("title") or r["id"], tuple(r.get("authors") or ()), status=r.get("status", ""))
                       for r in records.values() if (self.out / VAULT / f"{r['id']}.md").exists()]
            write_atomic(self.out / VAULT / INDEX_NOTE, vault_index(entries).encode("utf-8"))
        for fmt, name in ((Format.BIB, "references.bib"), (Format.RIS, "references.ris")):
            if fmt in self.formats:
                parts = [(self.out / f"{r['id']}{fmt.suffix}") for r in sorted(records.values(), key=lambda r: r["id"])]
                texts = [p.read_text(encoding="utf-8") for p in parts if p.is_file()]
                text = unique_bibtex_keys(texts) if fmt == Format.BIB else "\n".join(texts)
                write_atomic(self.out / name, text.encode("utf-8"))


def unique_bibtex_keys(entries: list[str]) -> str:
    """BibTeX entries in one file, a key that repeats given a letter (``smith2020deep``, ``smith2020deepb``): two
    papers with the same first author, year and first title word must stay two entries."""
    seen: dict[str, int] = {}
    out = []
    for entry in entries:
        m = re.match(r"(@\w+\{)([^,\s]+),", entry)
        if m:
            key = m.group(2)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                entry = m.group(1) + key + chr(ord("a") + min(seen[key] - 1, 25)) + entry[m.end(2):]
        out.append(entry)
    return "\n".join(out)


def drive_batch(source: str | Path, outdir: str | Path, settings: Settings,
                work: Callable[[list[BatchItem], BatchOutput, BatchReport, int], None], formats: tuple = ()) -> BatchReport:
    """A batch around an engine: the inputs read, the output folder locked, what an earlier run finished
    skipped, the rest handed to ``work(todo, output, report, total)`` (which writes each result through
    ``output`` and adds it to ``report``), then the index finished and the time taken; ``formats``: the exports
    written beside each Markdown (``BatchOutput``)."""
    settings.validate()
    items = read_items(source)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = BatchReport()
    with BatchLock(out):
        output = BatchOutput(out, settings, formats)
        todo = output.pending(items, report)
        if todo:
            work(todo, output, report, len(items))
        output.finish()
    report.seconds = time.perf_counter() - start
    return report


def run_batch(source: str | Path, outdir: str | Path, settings: Settings,
              on_progress: Callable[[BatchResult, int, int], None] | None = None, history: bool = True,
              formats: tuple = ()) -> BatchReport:
    """Summarize every item of ``source`` into ``outdir`` on threads of this process, resuming where an earlier
    run stopped; with ``history``, each document's run is also written to the history store as it goes;
    ``formats``: exports written beside each Markdown (``BatchOutput``)."""

    def work(todo: list[BatchItem], output: BatchOutput, report: BatchReport, total: int) -> None:
        lock = threading.Lock()
        client = shared_client(settings)
        from summarizer.store.recorder import batch_recorder

        record = batch_recorder() if history else None

        def one(item: BatchItem) -> BatchResult:
            result = output.write(item, process_item(item, settings, client, record))
            with lock:
                report.record(result, total, on_progress)
            return result

        with ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="doc") as pool:
            list(pool.map(one, todo))

    return drive_batch(source, outdir, settings, work, formats)


def iter_batch(items: list[BatchItem], settings: Settings, record=None):
    """Summarize items concurrently, yielding each ``BatchResult`` on the caller's thread as it
    finishes (the web app's batch page draws its progress from these); ``record`` as for
    ``process_item`` writes each run into the history."""
    from concurrent.futures import as_completed

    settings.validate()
    client = shared_client(settings)

    with ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="doc") as pool:
        for future in as_completed([pool.submit(process_item, item, settings, client, record) for item in items]):
            yield future.result()


def split_pasted_articles(text: str) -> list[str]:
    """Articles pasted one after another, separated by a line of three or more dashes."""
    return [part.strip() for part in re.split(r"^\s*-{3,}\s*$", text, flags=re.M) if part.strip()]


def index_markdown(records: dict[str, dict]) -> str:
    """``index.md``: a table of the documents. Titles and errors are document text, so every cell is
    escaped: an image or tag in a title shows as text and loads nothing (field note 29)."""
    lines = ["# Summaries", "", "| document | status | title | unverified numbers |", "|---|---|---|---|"]
    for r in sorted(records.values(), key=lambda r: r["id"]):
        name = markdown_cell(r["id"])
        link = f"[{name}]({r['file']})" if r.get("file") else name
        title = markdown_cell((r.get("title") or r.get("error") or "")[:120])
        lines.append(f"| {link} | {markdown_cell(r.get('status', ''))} | {title} | {int(r.get('unverified_numbers') or 0)} |")
    return "\n".join(lines) + "\n"


def zip_results(results: list[BatchResult]) -> bytes:
    """A zip with one Markdown and one JSON per document and the index, as ``batch`` writes them
    (``index.jsonl`` and ``index.md``); ``summarizer compare`` and the Compare page read it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        records = {}
        for r in results:
            if r.markdown:
                z.writestr(r.file, r.markdown)
            if r.data:  # the run as JSON, what compare reads; not the source's text (a zip of summaries is shared)
                z.writestr(r.json_file, json.dumps({k: v for k, v in r.data.items() if k != "document"}, ensure_ascii=False))
            records[r.id] = {"id": r.id, "status": str(r.status), "file": r.file if r.markdown else "", "title": r.title,
                             "json": r.json_file, "hash": r.data.get("hash", ""), "error": r.error,
                             "unverified_numbers": r.unverified_numbers}
        z.writestr(INDEX, "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records.values()))
        z.writestr("index.md", index_markdown(records))
    return buffer.getvalue()

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
from pathlib import Path

from .document import Document
from .errors import ConfigError, InputError, SummarizerError
from .paths import write_atomic
from .render import render_markdown
from .settings import Settings

logger = logging.getLogger(__name__)
INDEX = "index.jsonl"
LOCK = ".summarizer-batch.lock"
FILE_TYPES = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".mmd")


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
        from .fetch import load_reference
        from .loading import load_bytes, load_path, load_text

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


@dataclass
class BatchResult:
    id: str
    status: str  # "done", "failed", "skipped" (already done earlier)
    file: str = ""
    title: str = ""
    error: str = ""
    unverified_numbers: int = 0
    markdown: str = ""


@dataclass
class BatchReport:
    results: list[BatchResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return sum(r.status == "done" for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.status == "skipped" for r in self.results)


def _safe_id(raw: str, n: int) -> str:
    cleaned = re.sub(r"[^\w\-.\u4e00-\u9fff]+", "_", raw).strip("._")[:80]
    return cleaned or f"doc-{n}"


def read_items(source: str | Path) -> list[BatchItem]:
    """Items from a folder of files, or a JSONL / CSV file of articles (``id``, ``text`` or ``url``)."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILE_TYPES)
        if not files:
            raise InputError(f"The folder '{path}' has no PDF, text, Markdown or HTML files.")
        return [BatchItem(_safe_id(p.stem, n), str(p)) for n, p in enumerate(files, 1)]
    if not path.is_file():
        raise InputError(f"There is no folder or file at '{source}'.")
    rows: list[dict] = []
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise InputError(f"{path.name}: line {n} is not valid JSON.") from None
            if not isinstance(row, dict):
                raise InputError(f"{path.name}: line {n} is not a JSON object.")
            rows.append(row)
    elif path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig", errors="replace"))))
    else:
        raise InputError(f"'{path.name}' is not a folder, a .jsonl or a .csv file of articles.")
    items, seen = [], set()
    for n, row in enumerate(rows, 1):
        text, url = row.get("text") or row.get("article"), row.get("url")
        if not text and not url:
            raise InputError(f"{path.name}: entry {n} has neither 'text' nor 'url'.")
        item_id = _safe_id(str(row.get("id") or f"doc-{n}"), n)
        if item_id in seen:
            raise InputError(f"{path.name}: the id '{item_id}' appears twice; ids must be unique.")
        seen.add(item_id)
        items.append(BatchItem(item_id, url or "text", text if text else None, row.get("title")))
    if not items:
        raise InputError(f"'{path.name}' holds no articles.")
    return items


def settings_key(settings: Settings) -> str:
    """What decides a summary: a re-run with other settings redoes the documents."""
    from .prompts import load_prompts

    prompts = load_prompts(settings.prompts_dir)
    public = settings.to_public_dict()
    keep = {k: public[k] for k in ("backend", "model", "language", "length", "parser", "temperature",
                                   "small_model", "route_below_tokens")}
    keep["host"] = settings.host if settings.backend == "llm" else ""
    keep["prompts"] = hashlib.sha256(json.dumps({n: p.to_dict() for n, p in sorted(prompts.prompts.items())},
                                                sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
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
    from .tokens import tokenizer_for_model

    tokens = tokenizer_for_model(settings.model).count(document.text)
    return settings.replace(model=settings.small_model) if tokens < settings.route_below_tokens else settings


def _shared_client(settings: Settings):
    """One chat client, so one concurrency limit, for every document of a batch (LLM backend)."""
    if settings.backend != "llm":
        return None
    from .llm_client import ChatClient

    return ChatClient(settings)


def process_item(item: BatchItem, settings: Settings, client=None, record=None) -> BatchResult:
    """Load, route and summarize one item into a ``BatchResult``; a failure is a result, never a raise.

    ``record(item, document, settings)`` gives a history recorder for the run (``history.batch_recorder``)."""
    from .engine import summarize_document

    try:
        doc = item.load(settings)
        chosen = route_model(doc, settings)
        backend = None
        if chosen.backend == "llm":
            from .llm_backend import LLMBackend

            same_model = client is not None and client.settings.model == chosen.model
            # its own Stop and usage per document, one concurrency limit and breaker for the batch
            backend = LLMBackend(chosen, client=client.child() if same_model else None)
        recorder = record(item, doc, chosen) if record else None
        summary = summarize_document(doc, chosen, backend=backend, on_event=recorder)
        status = "failed" if summary.failed and not any(s.ok for s in summary.sections) else "done"
        markdown = render_markdown(summary, settings.include_reasoning)
        if recorder:
            recorder.finish(summary, markdown)
        return BatchResult(item.id, status, f"{item.id}.summary.md", doc.title,
                           "; ".join(s.error for s in summary.failed)[:500], summary.unverified_count, markdown)
    except SummarizerError as exc:
        return BatchResult(item.id, "failed", error=str(exc))
    except Exception as exc:  # one document must never stop the batch; the traceback goes to the log
        logger.exception("batch item %s failed unexpectedly", item.id)
        return BatchResult(item.id, "failed", error=f"Unexpected error ({exc.__class__.__name__}).")


def run_batch(source: str | Path, outdir: str | Path, settings: Settings,
              on_progress: Callable[[BatchResult, int, int], None] | None = None, history: bool = True) -> BatchReport:
    """Summarize every item of ``source`` into ``outdir``, resuming where an earlier run stopped;
    with ``history``, each document's run is also written to the history store as it goes."""
    settings.validate()
    items = read_items(source)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = BatchReport()
    with BatchLock(out):
        for stale in out.glob(".*.tmp"):  # half-written files of a writer that died (we hold the lock)
            stale.unlink(missing_ok=True)
        index = BatchIndex(out)
        previous = index.compact()
        key = settings_key(settings)
        todo: list[BatchItem] = []
        for item in items:
            old = previous.get(item.id)
            if old and old.get("status") == "done" and old.get("settings") == key and \
                    old.get("hash") == item.content_hash and (out / old.get("file", "")).exists():
                report.results.append(BatchResult(item.id, "skipped", old["file"], old.get("title", "")))
            else:
                todo.append(item)
        total = len(items)
        lock = threading.Lock()
        client = _shared_client(settings)
        from .history import batch_recorder

        record = batch_recorder() if history else None

        def one(item: BatchItem) -> BatchResult:
            result = process_item(item, settings, client, record)
            if result.markdown:
                try:
                    write_atomic(out / result.file, result.markdown.encode("utf-8"))
                except OSError as exc:
                    result = BatchResult(item.id, "failed", error=f"Could not write {result.file} ({exc.strerror}).")
            index.append({"id": item.id, "status": result.status, "file": result.file, "title": result.title,
                          "hash": item.content_hash, "settings": key, "error": result.error,
                          "unverified_numbers": result.unverified_numbers, "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
            with lock:
                report.results.append(result)
                if on_progress:
                    on_progress(result, len(report.results), total)
            return result

        with ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="doc") as pool:
            list(pool.map(one, todo))
        write_atomic(out / "index.md", index_markdown(index.compact()).encode("utf-8"))
    report.seconds = time.perf_counter() - start
    return report


def iter_batch(items: list[BatchItem], settings: Settings, record=None):
    """Summarize items concurrently, yielding each ``BatchResult`` on the caller's thread as it
    finishes (the web app's batch page draws its progress from these); ``record`` as for
    ``process_item`` writes each run into the history."""
    from concurrent.futures import as_completed

    settings.validate()
    client = _shared_client(settings)

    with ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="doc") as pool:
        for future in as_completed([pool.submit(process_item, item, settings, client, record) for item in items]):
            yield future.result()


def split_pasted_articles(text: str) -> list[str]:
    """Articles pasted one after another, separated by a line of three or more dashes."""
    return [part.strip() for part in re.split(r"^\s*-{3,}\s*$", text, flags=re.M) if part.strip()]


def index_markdown(records: dict[str, dict]) -> str:
    lines = ["# Summaries", "", "| document | status | title | unverified numbers |", "|---|---|---|---|"]
    for r in sorted(records.values(), key=lambda r: r["id"]):
        link = f"[{r['id']}]({r['file']})" if r.get("file") else r["id"]
        title = (r.get("title") or r.get("error") or "").replace("|", "\\|")[:120]
        lines.append(f"| {link} | {r.get('status')} | {title} | {r.get('unverified_numbers', 0)} |")
    return "\n".join(lines) + "\n"


def zip_results(results: list[BatchResult]) -> bytes:
    """A zip with one Markdown per document and an index."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        records = {}
        for r in results:
            if r.markdown:
                z.writestr(r.file, r.markdown)
            records[r.id] = {"id": r.id, "status": r.status, "file": r.file if r.markdown else "", "title": r.title,
                             "error": r.error, "unverified_numbers": r.unverified_numbers}
        z.writestr("index.md", index_markdown(records))
    return buffer.getvalue()

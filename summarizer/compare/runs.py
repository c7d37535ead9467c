"""Two batch runs of the same documents, paired: each run's output folder (``index.jsonl`` and the
per-document JSON that ``batch`` writes) read into ``RunDocument``s, matched by id and content hash."""

from __future__ import annotations

import functools
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.model.errors import InputError

log = logging.getLogger(__name__)
#: Document length bands (characters) for routing by length: the seed news system sent articles under
#: 1,500 characters to a small model.
LENGTH_BANDS = ((1_500, "< 1.5k chars"), (5_000, "1.5k–5k chars"), (20_000, "5k–20k chars"), (None, "≥ 20k chars"))
SHOWN_IDS = 10


def length_band(chars: int) -> str:
    return next(name for limit, name in LENGTH_BANDS if limit is None or chars < limit)


@dataclass
class RunDocument:
    """One document's result in one run, as its JSON says."""

    id: str
    hash: str
    status: str
    title: str
    summary: str
    model: str
    genre: str
    chars: int
    seconds: float | None
    cost_usd: float | None
    unverified_numbers: int
    failed_sections: int
    source: dict | None = field(default=None, repr=False)  # the document's JSON, read into text only if asked

    @property
    def band(self) -> str:
        return length_band(self.chars)

    @functools.cached_property
    def text(self) -> str:
        """The document's text (the judge reads it; a rating sheet does not, and never parses it)."""
        from summarizer.model.document import Document

        try:
            return Document.from_json(self.source).text if self.source else ""
        except (KeyError, TypeError, ValueError):
            return ""


@dataclass
class BatchRun:
    """A batch output folder: its label (the model, or the folder's name) and its documents by id."""

    folder: Path
    documents: dict[str, RunDocument]

    @property
    def label(self) -> str:
        models = sorted({d.model for d in self.documents.values() if d.model})
        return f"{self.folder.name} ({', '.join(models)})" if models else self.folder.name


def read_run(folder: str | Path) -> BatchRun:
    """The documents of the batch output ``folder`` (or a zip of one, as the Batch page downloads it) that have
    a result (done or partial)."""
    path = Path(folder)
    if path.is_file() and path.suffix.lower() == ".zip":
        return read_run_zip(path.stem, path.read_bytes())
    index = path / "index.jsonl"
    if not index.is_file():
        raise InputError(f"'{path}' is not a batch output folder (it has no index.jsonl).")

    def read(name: str) -> str:
        return (path / name).read_text(encoding="utf-8")

    return BatchRun(path, _documents(path.name, index.read_text(encoding="utf-8", errors="replace"), read))


def read_run_zip(name: str, data: bytes) -> BatchRun:
    """A batch run from the Batch page's zip (its ``index.jsonl`` and per-document JSON)."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        # the Batch page's zip holds index.jsonl at its top; a zipped output folder, under one folder
        found = sorted((m for m in archive.namelist() if m.rsplit("/", 1)[-1] == "index.jsonl"), key=len)
        if not found:
            raise KeyError("index.jsonl")
        prefix = found[0][: -len("index.jsonl")]
        index = archive.read(found[0]).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise InputError(f"'{name}' is not a zip of a batch run (it has no readable index.jsonl).") from None

    def read(member: str) -> str:
        return archive.read(prefix + member).decode("utf-8")

    return BatchRun(Path(name), _documents(name, index, read))


def _documents(name: str, index: str, read) -> dict[str, RunDocument]:
    documents: dict[str, RunDocument] = {}
    for line in index.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash
        if not isinstance(record, dict) or record.get("status") not in ("done", "partial") or not record.get("json") \
                or not isinstance(record.get("id"), str):
            continue
        try:
            document = _document(record, json.loads(read(str(record["json"]))))
        except (OSError, KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile) as exc:
            log.warning("%s: %s has no readable JSON (%s)", name, record.get("id"), exc.__class__.__name__)
            continue
        documents[record["id"]] = document
    if not documents:
        raise InputError(f"'{name}' holds no summarized documents with their JSON (run the batch again with this version).")
    return documents


def _document(record: dict, data: dict) -> RunDocument:
    """One document's ``RunDocument`` from its index record and JSON (a malformed one raises)."""
    sections = data.get("sections") or []
    return RunDocument(
        id=record["id"], hash=record.get("hash") or data.get("hash", ""), status=record["status"],
        title=str(record.get("title", "")), summary=str(data.get("summary") or data.get("markdown") or "").strip(),
        model=str(data.get("model", "")), genre=str(data.get("genre", "")), chars=int(data.get("chars") or 0),
        seconds=_number(data.get("seconds")), cost_usd=_number((data.get("usage") or {}).get("cost_usd")),
        unverified_numbers=int(data.get("unverified_numbers") or 0),
        failed_sections=sum(1 for s in sections if s.get("status") == "failed"), source=data.get("document"))


def _number(value) -> float | None:
    return None if value is None else float(value)


def paired(a: BatchRun, b: BatchRun, common_only: bool = False) -> list[tuple[RunDocument, RunDocument]]:
    """The documents both runs summarized (same id, same content), in id order. Documents only one run has
    are refused with their list, unless ``common_only``."""
    only_a = sorted(i for i in a.documents if i not in b.documents or a.documents[i].hash != b.documents[i].hash)
    only_b = sorted(i for i in b.documents if i not in a.documents or a.documents[i].hash != b.documents[i].hash)
    if (only_a or only_b) and not common_only:
        raise InputError("The two runs do not cover the same documents: "
                         f"{_listed(only_a)} only in {a.folder.name}, {_listed(only_b)} only in {b.folder.name} "
                         "(add --common-only to compare the documents both have).")
    pairs = [(a.documents[i], b.documents[i]) for i in sorted(a.documents)
             if i in b.documents and a.documents[i].hash == b.documents[i].hash]
    if not pairs:
        raise InputError(f"'{a.folder.name}' and '{b.folder.name}' have no document in common.")
    return pairs


def _listed(ids: list[str]) -> str:
    if not ids:
        return "none"
    shown = ", ".join(ids[:SHOWN_IDS])
    return f"{len(ids)} ({shown}{', …' if len(ids) > SHOWN_IDS else ''})"

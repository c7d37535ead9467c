"""What a client sends, read into a ``Document`` once, at submission: the request's shape (pydantic models
FastAPI validates, unknown fields refused), the caps on size, pages and text, and the run's options turned
into the server's ``Settings`` (a client chooses among what the operator allows; the endpoint and its key
stay the server's). Parse errors become problems at once, so a job only ever holds a readable document."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from summarizer.config.settings import Settings
from summarizer.model.document import Document
from summarizer.model.errors import ConfigError, SummarizerError
from summarizer.service.jobs import ServiceStore
from summarizer.service.problems import Problem
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)


class RunOptions(BaseModel):
    """How to summarize: each option left out is the server's default."""

    model_config = ConfigDict(extra="forbid")
    backend: Literal["extractive", "llm"] | None = Field(None, description="the built-in summarizer, or the server's model endpoint")
    model: str | None = Field(None, max_length=200, description="the server's model, or one the operator allows")
    length: Literal["short", "medium", "long"] | None = None
    language: Literal["auto", "en", "zh"] | None = Field(None, description="the summary's language (auto: the source's)")
    prompt_set: str | None = Field(None, max_length=100, description="a prompt set the operator named")
    include: list[int] | None = Field(None, max_length=10_000, description="only these sections (indexes from /v1/sections)")
    exclude: list[int] | None = Field(None, max_length=10_000, description="not these sections")


class DocumentSource(BaseModel):
    """Exactly one of: pasted text, a URL, an arXiv id, or a document this key submitted before."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, description="the article or paper as plain text (or Markdown)")
    title: str | None = Field(None, max_length=500, description="a title for pasted text")
    url: str | None = Field(None, max_length=4000, description="a public web page or PDF")
    arxiv: str | None = Field(None, max_length=100, description="an arXiv id such as 2401.01234")
    document_id: str | None = Field(None, max_length=100, description="a document returned by an earlier request")


class SummaryRequest(DocumentSource, RunOptions):
    """``POST /v1/summaries`` as JSON (a file goes as multipart/form-data: ``file`` plus these fields)."""


class SectionsRequest(DocumentSource):
    """``POST /v1/sections`` as JSON."""


class AskRequest(BaseModel):
    """``POST /v1/ask``: a question about a document this key submitted (by its id, or a job's id)."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., min_length=1, max_length=4000)
    document_id: str | None = Field(None, max_length=100)
    job_id: str | None = Field(None, max_length=100)
    backend: Literal["extractive", "llm"] | None = None
    stream: bool = Field(False, description="answer as server-sent events while it is written")


def document_id(source: bytes, parser: str, max_pages: int) -> str:
    return "doc_" + hashlib.sha256(source + f"\n{parser}\n{max_pages}".encode()).hexdigest()[:32]


def read_document(store: ServiceStore, client: str, service: ServiceSettings, settings: Settings,
                  source: DocumentSource, upload: tuple[str, bytes] | None = None) -> tuple[str, Document]:
    """The submitted document, parsed and stored for this client (its id, the ``Document``). Every refusal
    is a ``Problem`` with one sentence."""
    given = [n for n in ("text", "url", "arxiv", "document_id") if getattr(source, n)] + (["file"] if upload else [])
    if len(given) != 1:
        raise Problem(422, "no-document" if not given else "several-documents",
                      "Send exactly one document: a file, text, url, arxiv or document_id"
                      + (f" (this request has {', '.join(given)})." if given else "."))
    if source.document_id:
        data = store.load_document(client, source.document_id)
        if data is None:
            raise Problem(404, "not-found", f"There is no document '{source.document_id[:80]}' for this API key.")
        return source.document_id, Document.from_json(data)
    from summarizer.inputs.loading import load_bytes, load_text

    try:
        if upload:
            name, data = upload
            if not data.strip():
                raise Problem(422, "empty-document", f"The file '{name[:100]}' is empty.")
            doc_id = document_id(data, settings.parser, service.max_pages)
            known = store.load_document(client, doc_id)
            if known is not None:
                return doc_id, Document.from_json(known)
            document = load_bytes(data, name, settings.parser, service.max_pages, settings.nougat_checkpoint)
        elif source.text is not None:
            if not source.text.strip():
                raise Problem(422, "empty-document", "The text is empty: there is nothing to summarize.")
            if len(source.text) > service.max_text_chars:
                raise Problem(413, "too-large", f"The text is {len(source.text):,} characters; this server reads at most "
                                                f"{service.max_text_chars:,}.")
            title = (source.title or "").encode("utf-8", "replace")
            doc_id = document_id(len(title).to_bytes(4, "big") + title + source.text.encode("utf-8", "replace"), "text", 0)
            document = load_text(source.text, "pasted text")
            if source.title:
                document.title = source.title
        else:
            from summarizer.inputs.fetch import fetch_reference

            reference = source.url or source.arxiv or ""
            try:
                found = fetch_reference(reference, settings.replace(max_pages=service.max_pages))
            except ValueError:  # a port out of range, a broken IPv6 literal: urllib refuses the address itself
                raise Problem(422, "bad-reference", f"'{reference[:100]}' is not a valid web address.") from None
            if found is None:
                raise Problem(422, "bad-reference", f"'{reference[:100]}' is neither a web address nor an arXiv id.")
            document, pdf = found
            # what was fetched, not where from: a page fetched again with new text is a new document
            content = pdf or json.dumps(document.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8")
            doc_id = document_id(content, settings.parser, service.max_pages)
    except SummarizerError as exc:
        raise Problem(422, "unreadable-document", str(exc)) from None
    text_length = sum(len(s.text) for s in document.sections)
    if text_length > service.max_text_chars:
        raise Problem(413, "too-large", f"The document's text is {text_length:,} characters; this server reads at most "
                                        f"{service.max_text_chars:,}.")
    if not any(s.text.strip() for s in document.sections):
        raise Problem(422, "empty-document", "No text was found in the document (a scanned PDF needs OCR first).")
    store.save_document(client, doc_id, document.to_json())
    return doc_id, document


def run_settings(base: Settings, service: ServiceSettings, options: RunOptions | dict) -> Settings:
    """The server's settings with a client's options; a model or prompt set the operator did not allow is a
    ``Problem(422)``. The endpoint, its key and every limit stay the server's."""
    if isinstance(options, dict):
        options = RunOptions(**options)
    changes: dict = {}
    for name in ("backend", "length", "language"):
        value = getattr(options, name)
        if value is not None:
            changes[name] = value
    if options.model and options.model != base.model:
        if options.model not in service.allowed_models:
            allowed = ", ".join([base.model, *service.allowed_models])
            raise Problem(422, "model-not-allowed", f"This server does not offer the model '{options.model[:80]}'; it offers: {allowed}.")
        changes["model"] = options.model
    if options.prompt_set:
        folder = service.prompt_sets.get(options.prompt_set)
        if folder is None:
            names = ", ".join(sorted(service.prompt_sets)) or "none"
            raise Problem(422, "unknown-prompt-set",
                          f"There is no prompt set '{options.prompt_set[:80]}' on this server (it has: {names}).")
        changes["prompts_dir"] = folder
    try:
        settings = base.replace(**changes) if changes else base
        settings.validate()
    except ConfigError as exc:
        raise Problem(422, "bad-options", str(exc)) from None
    return settings


def choose_sections(document: Document, options: RunOptions | dict) -> None:
    """Mark the sections a client included or excluded (by index); an index out of range is a ``Problem``."""
    if isinstance(options, dict):
        options = RunOptions(**options)
    count = len(document.sections)
    for name in ("include", "exclude"):
        bad = [i for i in getattr(options, name) or [] if not 0 <= i < count]
        if bad:
            raise Problem(422, "bad-section", f"Section {bad[0]} is not in the document, which has sections 0 to {count - 1}.")
    if options.include is not None:
        keep = set(options.include)
        for i, section in enumerate(document.sections):
            section.included = i in keep
    for i in options.exclude or []:
        document.sections[i].included = False


def sections_json(document_id_: str, document: Document) -> dict:
    """``POST /v1/sections``'s answer: the document as the parser read it, section by section."""
    return {
        "document_id": document_id_, "title": document.title, "authors": list(document.authors),
        "language": document.language, "genre": str(document.genre), "pages": document.page_count,
        "notices": list(document.notices),
        "sections": [{"index": i, "title": s.title, "kind": s.kind, "level": s.level, "page_start": s.page_start, "page_end": s.page_end,
                      "characters": len(s.text), "summarized_by_default": s.summarizable}
                     for i, s in enumerate(document.sections)],
    }

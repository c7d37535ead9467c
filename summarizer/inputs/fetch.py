"""Inputs from the web: a news article URL (main text via trafilatura) or an arXiv id/URL (its PDF).

Every failure is one sentence that says what happened and invites the user to paste the text:
blocked (403), paywalled or script-only pages, timeouts, non-HTML answers. The arXiv base URL is
configurable (``ARXIV_BASE_URL``) so tests and mirrors work; nothing else is contacted. Every
download goes through ``netguard.guarded_get``: no internal address at any redirect hop (unless
allow-listed in ``SUMMARIZER_ALLOW_HOSTS``), a total time and size cap, ``file://`` refused.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlparse

from summarizer.model.document import Document
from summarizer.model.errors import InputError
from summarizer.text.language import reading_length

USER_AGENT = "Mozilla/5.0 (compatible; Summarizer/0.1; +https://example.invalid/summarizer)"
MAX_BYTES = 50 * 1024 * 1024  # size cap of one download
TOTAL_SECONDS = 60.0  # time cap of one download, redirects included
PASTE = "open the page in your browser and paste its text instead."
_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)$", re.I)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/([^?#\s]+?)(?:\.pdf)?/?(?:[?#].*)?$", re.I)
_PAYWALL = re.compile(r"subscribe to (continue|read)|to continue reading|already a subscriber|paywall|"
                      r"sign in to read|订阅后(阅读|查看)|付费(阅读|内容)", re.I)


@dataclass
class Fetched:
    data: bytes
    content_type: str
    final_url: str


def arxiv_id(text: str) -> str | None:
    """The arXiv identifier in an id ("2401.01234", "arXiv:2401.01234v2") or an arxiv.org URL."""
    text = text.strip()
    m = _ARXIV_ID.match(text)
    if m:
        return m.group(1)
    m = _ARXIV_URL.search(text)
    return m.group(1) if m else None


def is_url(text: str) -> bool:
    parsed = urlparse(text.strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def fetch_limits() -> tuple[float, int]:
    """Total seconds and bytes one download may take (``SUMMARIZER_FETCH_SECONDS``, ``SUMMARIZER_FETCH_MB``)."""
    try:
        seconds = float(os.environ.get("SUMMARIZER_FETCH_SECONDS", "") or TOTAL_SECONDS)
        size = int(float(os.environ.get("SUMMARIZER_FETCH_MB", "") or MAX_BYTES / (1024 * 1024)) * 1024 * 1024)
    except ValueError:
        return TOTAL_SECONDS, MAX_BYTES
    return (seconds if seconds > 0 else TOTAL_SECONDS), (size if size > 0 else MAX_BYTES)


def fetch(url: str, timeout: float | None = None, max_bytes: int | None = None,
          trusted_hosts: frozenset[str] = frozenset()) -> Fetched:
    """GET a URL, refusing internal addresses at every redirect, within a total time and size cap;
    HTTP and network errors become clear messages."""
    from summarizer.inputs.netguard import guarded_get

    seconds, size = fetch_limits()
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/pdf,*/*", "Connection": "close"}
    got = guarded_get(url, headers=headers, total_seconds=timeout or seconds, max_bytes=max_bytes or size,
                      trusted_hosts=trusted_hosts)
    host = urlparse(got.final_url).netloc or url
    if got.status >= 400:
        code = got.status
        if code in (401, 402, 403):
            raise InputError(f"{host} refused to give the page (HTTP {code}: blocked or behind a login); {PASTE}")
        if code == 404:
            raise InputError(f"{host} has no page at that address (HTTP 404); check the link.")
        if code == 429:
            raise InputError(f"{host} is limiting requests (HTTP 429); try again later or {PASTE}")
        raise InputError(f"{host} answered HTTP {code}; {PASTE}")
    if got.status >= 300:
        raise InputError(f"{host} answered HTTP {got.status} without a usable redirect; {PASTE}")
    return Fetched(got.data, got.content_type, got.final_url)


def load_url(url: str, settings=None) -> Document:
    """A news article (or a PDF) from a URL."""
    return _from_url(url, settings)[0]


def _from_url(url: str, settings=None) -> tuple[Document, bytes | None]:
    """The document at ``url`` and, when it is a PDF, the PDF's bytes (for the page view)."""
    from summarizer.inputs.loading import load_bytes
    from summarizer.inputs.text_parser import parse_text

    got = fetch(url)
    is_pdf = got.data.lstrip()[:5] == b"%PDF-"
    if is_pdf or "application/pdf" in got.content_type:
        name = urlparse(got.final_url).path.rsplit("/", 1)[-1] or "download.pdf"
        doc = load_bytes(got.data, name if name.lower().endswith(".pdf") else name + ".pdf",
                         getattr(settings, "parser", "pymupdf"), getattr(settings, "max_pages", None))
        return doc, got.data if is_pdf else None
    import trafilatura

    from summarizer.inputs.loading import decode_text

    markup, _ = decode_text(got.data)
    extracted = trafilatura.bare_extraction(markup, url=got.final_url, with_metadata=True, favor_recall=True)
    text = (getattr(extracted, "text", None) or "") if extracted is not None else ""
    host = urlparse(got.final_url).netloc
    words = reading_length(text)
    if words < 40:
        if _PAYWALL.search(markup):
            raise InputError(f"The article at {host} is behind a paywall; {PASTE}")
        if re.search(r"<script", markup, re.I) and len(re.sub(r"<[^>]+>|\s", "", re.sub(
                r"<script.*?</script>", "", markup, flags=re.S | re.I))) < 400:
            raise InputError(f"The page at {host} builds its text with JavaScript, which is not run here; {PASTE}")
        raise InputError(f"No article text was found at {host}; {PASTE}")
    title = getattr(extracted, "title", None)
    body = text
    if title and body.startswith(title):
        body = body[len(title):].lstrip()
    doc = parse_text(body, got.final_url, title=title)
    doc.genre = "article"
    meta = [m for m in (getattr(extracted, "author", None), getattr(extracted, "date", None)) if m]
    if getattr(extracted, "author", None):
        doc.authors = [a.strip() for a in re.split(r";|,| and ", extracted.author) if a.strip()]
    if meta:
        doc.notices.append("From " + host + ": " + " · ".join(meta))
    return doc, None


def arxiv_pdf_url(identifier: str) -> str:
    base = os.environ.get("ARXIV_BASE_URL", "https://arxiv.org").rstrip("/")
    return f"{base}/pdf/{identifier}"


def load_arxiv(identifier: str, settings=None) -> Document:
    """The PDF of an arXiv paper, parsed like an upload."""
    return _from_arxiv(identifier, settings)[0]


def _from_arxiv(identifier: str, settings=None) -> tuple[Document, bytes]:
    from summarizer.inputs.loading import load_bytes

    url = arxiv_pdf_url(identifier)
    # the arXiv base URL is the operator's setting, not the user's input: its host is trusted
    got = fetch(url, trusted_hosts=frozenset({urlparse(url).hostname or ""}))
    if got.data.lstrip()[:5] != b"%PDF-":
        raise InputError(f"arXiv did not return a PDF for '{identifier}'; check the id (e.g. 2401.01234).")
    safe = identifier.replace("/", "_")
    return load_bytes(got.data, f"arXiv-{safe}.pdf", getattr(settings, "parser", "pymupdf"),
                      getattr(settings, "max_pages", None)), got.data


def load_reference(text: str, settings=None) -> Document | None:
    """A document from a URL or an arXiv id, or None when ``text`` is neither."""
    found = fetch_reference(text, settings)
    return found[0] if found else None


def fetch_reference(text: str, settings=None) -> tuple[Document, bytes | None] | None:
    """As ``load_reference``, with the PDF the document was read from (None for a web article), so the
    app can show a summary's pages for a linked paper as for an uploaded one."""
    ident = arxiv_id(text)
    if ident:
        return _from_arxiv(ident, settings)
    if is_url(text):
        return _from_url(text.strip(), settings)
    return None

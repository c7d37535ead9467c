"""Batch: many PDFs or articles at once — document files, JSONL or CSV lists of articles (``id``,
``text`` or ``url``), or pasted articles, read by the same library function as the ``batch`` command;
progress per document; one zip with a Markdown file per document and the index (``index.jsonl``,
``index.md``). Results stay in this session, so downloading keeps them."""

from __future__ import annotations

import streamlit as st

from summarizer.model.errors import SummarizerError
from summarizer.output.escape import escape_text
from summarizer.run.batch import BatchItem, BatchStatus, iter_batch, read_uploads, split_pasted_articles, zip_results
from summarizer.store.recorder import batch_recorder
from ui.browser_session import session_id
from ui.session_settings import page_settings

st.set_page_config(page_title="Summarizer · Batch", page_icon="🗂️", layout="wide")

FILE_TYPES = ["pdf", "docx", "pptx", "epub", "odt", "txt", "md", "markdown", "html", "htm", "mmd", "jsonl", "csv"]


def batch_items(uploads, pasted: str) -> list[BatchItem]:
    """Uploaded files (a JSONL or CSV file holds many articles) and pasted articles, each with its own id."""
    return read_uploads([(upload.name, upload.getvalue()) for upload in uploads or []], split_pasted_articles(pasted))


settings = page_settings(st)
st.title(":material/library_books: Batch")
st.caption(f"Backend in use: **{settings.backend_label}** — change it on the Settings page.")

uploads = st.file_uploader("Papers or articles (PDF, Word, PowerPoint, EPUB, OpenDocument, text, Markdown, HTML), "
                           "or a JSONL / CSV list of articles (id, text or url)",
                           type=FILE_TYPES, accept_multiple_files=True, key="batch_files")
pasted = st.text_area("…or paste articles, separated by a line of three dashes (---)", height=180, key="batch_text")

items: list[BatchItem] = []
try:
    items = batch_items(uploads, pasted or "")
except SummarizerError as exc:
    st.error(str(exc))
st.caption(f"{len(items)} document(s) ready.")


def state_of(result) -> str:
    """A result's line in the progress table (plain text cells)."""
    return str(result.status) if result.status == BatchStatus.DONE else f"{result.status}: {result.error}"


if st.button("Summarize all", type="primary", disabled=not items, key="batch_go"):
    progress = st.progress(0.0)
    table = st.empty()
    rows: dict[str, str] = {item.id: "queued" for item in items}
    results = []
    try:
        # every document becomes a run in this browser's History, as with the batch command
        for result in iter_batch(items, settings, record=batch_recorder(owner=session_id(st))):
            results.append(result)
            rows[result.id] = state_of(result)
            progress.progress(len(results) / len(items), text=f"{len(results)}/{len(items)} documents")
            table.table([{"document": k, "state": v} for k, v in rows.items()])
    except SummarizerError as exc:
        st.error(str(exc))
    st.session_state["batch_results"] = results

results = st.session_state.get("batch_results")
if results:
    done = sum(r.status == BatchStatus.DONE for r in results)
    st.subheader(f"{done} of {len(results)} summarized")
    for r in results:
        if r.status != BatchStatus.DONE:  # ids and errors can hold document text: shown, never rendered
            st.warning(escape_text(f"{r.id} ({r.status}): {r.error}"))
    st.download_button("⬇️ Download all (zip)", zip_results(results), file_name="summaries.zip",
                       mime="application/zip", on_click="ignore", type="primary", key="batch_zip")
    for r in results:
        if r.markdown:
            with st.expander(escape_text(f"{r.id} — {r.title}")):
                st.markdown(r.markdown)

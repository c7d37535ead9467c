"""Batch: many PDFs or articles at once; progress per document; one zip with a Markdown file per
document and an index. Results stay in this session, so downloading keeps them."""

from __future__ import annotations

import streamlit as st

from summarizer.batch import BatchItem, _safe_id, iter_batch, split_pasted_articles, zip_results
from summarizer.errors import SummarizerError
from summarizer.history import batch_recorder
from summarizer.session import page_settings
from summarizer.ui_session import session_id

st.set_page_config(page_title="Summarizer · Batch", page_icon="🗂️", layout="wide")



settings = page_settings(st)
st.title(":material/library_books: Batch")
st.caption(f"Backend in use: **{settings.backend_label}** — change it on the Settings page.")

uploads = st.file_uploader("PDF papers or article files", type=["pdf", "txt", "md", "html", "htm", "mmd"],
                           accept_multiple_files=True, key="batch_files")
pasted = st.text_area("…or paste articles, separated by a line of three dashes (---)", height=180, key="batch_text")

items: list[BatchItem] = []
seen: set[str] = set()
for n, upload in enumerate(uploads or [], 1):
    item_id = _safe_id(upload.name.rsplit(".", 1)[0], n)
    while item_id in seen:
        item_id += "_"
    seen.add(item_id)
    items.append(BatchItem(item_id, upload.name, data=upload.getvalue()))
for n, text in enumerate(split_pasted_articles(pasted or ""), 1):
    items.append(BatchItem(f"article-{n:03d}", "text", text=text))
st.caption(f"{len(items)} document(s) ready.")

if st.button("Summarize all", type="primary", disabled=not items, key="batch_go"):
    progress = st.progress(0.0)
    table = st.empty()
    rows: dict[str, str] = {item.id: "queued" for item in items}
    results = []
    try:
        # every document becomes a run in this browser's History, as with the batch command
        for result in iter_batch(items, settings, record=batch_recorder(owner=session_id(st))):
            results.append(result)
            rows[result.id] = result.status if result.status == "done" else f"failed: {result.error}"
            progress.progress(len(results) / len(items), text=f"{len(results)}/{len(items)} documents")
            table.table([{"document": k, "state": v} for k, v in rows.items()])
    except SummarizerError as exc:
        st.error(str(exc))
    st.session_state["batch_results"] = results

results = st.session_state.get("batch_results")
if results:
    done = sum(r.status == "done" for r in results)
    st.subheader(f"{done} of {len(results)} summarized")
    for r in results:
        if r.status != "done":
            st.warning(f"{r.id}: {r.error}")
    st.download_button("⬇️ Download all (zip)", zip_results(results), file_name="summaries.zip",
                       mime="application/zip", on_click="ignore", type="primary", key="batch_zip")
    for r in results:
        if r.markdown:
            with st.expander(f"{r.id} — {r.title}"):
                st.markdown(r.markdown)

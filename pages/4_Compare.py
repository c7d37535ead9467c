"""Compare: two runs of one document side by side (another model, prompt, length or backend) —
section by section, with a word-level diff, the costs, what could not be traced to the source, and
ratings per section and per run; export the comparison as Markdown or CSV for reviewers. Or two batch runs:
a blind rating sheet, and the filled sheet read back (``ui/batch_compare.py``)."""

from __future__ import annotations

import streamlit as st

from summarizer.output.escape import escape_text
from summarizer.output.render import clean_title, summary_filename
from summarizer.store.compare import (
    PairedSection,
    diff_html,
    differing_settings,
    export_csv,
    export_markdown,
    pair_sections,
    run_label,
)
from ui import browser_session as ui_session

st.set_page_config(page_title="Summarizer · Compare", page_icon="⚖️", layout="wide")

sid = ui_session.init_session(st)
st.title(":material/compare: Compare two runs")
mode = st.radio("Compare", ["Same input, two runs", "Two batch runs"], horizontal=True, key="cmp_mode",
                label_visibility="collapsed")
if mode == "Two batch runs":
    from ui import batch_compare

    batch_compare.render(st)
    ui_session.save_session(st)
    st.stop()
try:
    history = ui_session.store()
except OSError as exc:  # a full disk, a read-only folder: the history is left in place, and the page says why
    st.error(escape_text(exc), icon=":material/history:")
    st.stop()

runs = history.list_runs(sid)
by_doc: dict[str, list] = {}
for r in runs:
    by_doc.setdefault(r.doc_hash, []).append(r)
pairs = {h: rs for h, rs in by_doc.items() if len(rs) >= 2}
if not pairs:
    st.info("Nothing to compare yet: summarize one document twice (with another model, prompt, length or backend) "
            "and both runs appear here.")
    ui_session.save_session(st)
    st.stop()

first_a = st.session_state.get("compare_a")
start_doc = next((h for h, rs in pairs.items() if any(r.id == first_a for r in rs)), next(iter(pairs)))
doc_hash = st.selectbox("Document", list(pairs), index=list(pairs).index(start_doc), key="cmp_doc",
                        format_func=lambda h: f"{pairs[h][0].title[:90]} ({len(pairs[h])} runs)")
candidates = pairs[doc_hash]
ids = [r.id for r in candidates]
records = {i: history.get_run(sid, i) for i in ids}
labels = {i: run_label(records[i]) for i in ids}
want_a, want_b = st.session_state.get("compare_a"), st.session_state.get("compare_b")
left, right = st.columns(2)
a_id = left.selectbox("Run A", ids, index=ids.index(want_a) if want_a in ids else 1, key="cmp_a",
                      format_func=labels.get)
b_id = right.selectbox("Run B", ids, index=ids.index(want_b) if want_b in ids else 0, key="cmp_b",
                       format_func=labels.get)
if a_id == b_id:
    st.warning("Choose two different runs.")
    ui_session.save_session(st)
    st.stop()
a, b = records[a_id], records[b_id]

for column, rec in ((left, a), (right, b)):
    with column.container(border=True):
        info = rec.info
        cost = f"${info.cost_usd:.4f}" if info.cost_usd is not None else (
            f"{info.tokens_in:,} / {info.tokens_out:,} tokens" if info.tokens_in or info.tokens_out else "no model calls")
        flags = sum(len(s.result.unverified_numbers) + len(s.result.unverified_quotes) for s in rec.sections)
        st.markdown(f"**{rec.backend_label}** · length {info.length} · language {info.language}")
        st.caption(f"Cost: {cost} · {info.sections_done} done, {info.sections_failed} failed · "
                   f"{flags} item(s) not found in the source")
        st.markdown("Rate this run")
        ui_session.rating_widgets(st, info.id, None, info.rating, info.comment, prefix="cmp")
differences = differing_settings(a, b)
st.caption("What differs: " + ("; ".join(differences) if differences else "nothing recorded (same settings and prompts)"))

show_diff = st.toggle("Word-level diff (deleted in A → inserted in B)", key="cmp_diff")
base = clean_title(a.info.title)
d1, d2 = st.columns(2)
d1.download_button("⬇️ Export comparison (Markdown)", export_markdown(a, b).encode("utf-8"),
                   file_name=summary_filename(base).replace(".summary.md", ".comparison.md"), mime="text/markdown",
                   on_click="ignore", key="cmp_md")
d2.download_button("⬇️ Export comparison (CSV)", export_csv(a, b).encode("utf-8"),
                   file_name=summary_filename(base).replace(".summary.md", ".comparison.csv"), mime="text/csv",
                   on_click="ignore", key="cmp_csv")


def show_pair(title: str, text_a: str, text_b: str, row: PairedSection | None) -> None:
    st.markdown(f"#### {escape_text(clean_title(title))}")
    if show_diff:
        st.html(diff_html(text_a, text_b))
    else:
        ca, cb = st.columns(2)
        for column, text, record in ((ca, text_a, row.a if row else None), (cb, text_b, row.b if row else None)):
            with column.container(border=True):
                st.text(text or "—")  # plain text: a summary is data, never markup
                flagged = PairedSection.flags(record)
                if flagged:
                    st.caption(":orange[Not found in the source:] " + escape_text(", ".join(flagged)))
                if record is not None and record.result.ok:
                    run_id = a.info.id if column is ca else b.info.id
                    ui_session.rating_widgets(st, run_id, record.result.index, record.rating, record.comment,
                                              prefix="cmp")


show_pair("Overall summary", a.overview, b.overview, None)
for row in pair_sections(a, b):
    show_pair(row.title, row.text_a, row.text_b, row)

ui_session.save_session(st)

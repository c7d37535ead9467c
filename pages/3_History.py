"""History: this browser's past runs — search by title, reopen on the main page, download the
Markdown again, compare two runs of one document, delete one or all. Other browsers' runs are never
listed (the history is scoped to this browser's session, named by a server-signed cookie, never by the address)."""

from __future__ import annotations

import time

import streamlit as st

from summarizer.output.escape import escape_text
from summarizer.output.render import summary_filename
from ui import browser_session as ui_session

st.set_page_config(page_title="Summarizer · History", page_icon="🕘", layout="wide")


def cost_cell(run) -> str:
    """A run's cost as the table shows it: "free" for the offline extractive backend (nothing is
    paid), "—" when the model's price is unknown, else the estimate in dollars."""
    if run.backend == "extractive":
        return "free"
    return "—" if run.cost_usd is None else f"${run.cost_usd:.4f}"


sid = ui_session.init_session(st)
st.title(":material/history: History")
st.caption("Your past summaries in this browser (its session cookie on this server). To show one result to someone "
           "else, use its Share link on the main page: a read-only link to that result alone.")

try:
    history = ui_session.store()
except OSError as exc:  # a full disk, a read-only folder: the history is left in place, and the page says why
    st.error(escape_text(exc), icon=":material/history:")
    st.stop()
search = st.text_input("Search by title", key="hist_search", placeholder="e.g. transformer")
runs = history.list_runs(sid, search=search)

if not runs:
    st.info("No runs match that title." if search.strip() else
            "Nothing here yet: summarize a paper or an article on the main page and it appears here.")
else:
    st.caption(f"{len(runs)} run(s)")
    rows = [{"title": r.title, "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started)),
             "backend / model": r.label, "length": r.length,
             "sections done": r.sections_done, "failed": r.sections_failed,
             "status": "interrupted" if r.status == "running" else r.status,
             "cost (USD)": cost_cell(r),
             "rating": None if r.rating is None else "★" * r.rating, "source": r.source} for r in runs]
    st.dataframe(rows, hide_index=True, width="stretch", key="hist_table",
                 column_config={"cost (USD)": st.column_config.TextColumn(
                     help="free: the built-in extractive backend; —: no price known for the model")})

    by_id = {r.id: r for r in runs}
    chosen = st.selectbox("Run", list(by_id), key="hist_run",
                          format_func=lambda i: f"{by_id[i].title[:80]} — "
                                                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(by_id[i].started))} — "
                                                f"{by_id[i].label} · #{i[-8:]}")
    run = by_id[chosen]
    cols = st.columns(4)
    if cols[0].button("Reopen on the main page", type="primary", key="hist_reopen"):
        if ui_session.show_run(st, history, sid, chosen):
            ui_session.save_session(st)
            st.switch_page(st.session_state.get("main_page") or "app.py")  # the "Summarize" page (see app.py)
        else:
            st.error("That run can no longer be opened (it was deleted).")
    record = history.get_run(sid, chosen)
    markdown = record.markdown if record else ""
    cols[1].download_button("⬇️ Download Markdown", data=markdown.encode("utf-8"), disabled=not markdown,
                            file_name=summary_filename(run.title, run.source), mime="text/markdown",
                            on_click="ignore", key="hist_download",
                            help=None if markdown else "This run did not finish; reopen it to finish the rest.")
    if markdown:
        from summarizer.store.recorder import reopen
        from ui.exports import export_menu

        opened = reopen(history, sid, chosen)
        if opened is not None:  # the document is still stored: every export format, made again from it
            with cols[1]:
                export_menu(st, opened[1], key="hist", provenance=record.provenance(),
                            pdf=history.load_source(record.info.doc_hash),
                            include_reasoning=bool(record.settings.get("include_reasoning")))
    same_doc = [r for r in history.list_runs(sid, doc_hash=run.doc_hash) if r.id != chosen]
    if cols[2].button("Compare with another run", key="hist_compare", disabled=not same_doc,
                      help="Runs of the same document" if same_doc else "Summarize this document again (another "
                      "model, prompt or length) to compare."):
        st.session_state["compare_a"], st.session_state["compare_b"] = same_doc[0].id, chosen
        st.switch_page("pages/4_Compare.py")
    if cols[3].button("Delete this run", key="hist_delete"):
        history.delete_run(sid, chosen)
        if st.session_state.get("run_id") == chosen:
            for key in ("result", "markdown", "result_digest", "run_id", "hist_interrupted"):
                st.session_state.pop(key, None)
        st.rerun()

    with st.expander("Delete all"):
        total = len(runs) if not search.strip() else len(history.list_runs(sid))
        sure = st.checkbox(f"Yes, delete all {total} run(s) of this browser", key="hist_sure")
        if st.button("Delete all", disabled=not sure, key="hist_delete_all"):
            gone = history.delete_all(sid)
            for key in ("result", "markdown", "result_digest", "run_id", "hist_interrupted"):
                st.session_state.pop(key, None)
            st.session_state["hist_deleted"] = gone
            st.rerun()

if st.session_state.pop("hist_deleted", None) is not None:
    st.success("History deleted.")

ui_session.save_session(st)

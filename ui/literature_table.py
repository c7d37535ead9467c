"""The Literature table page: papers in (uploads, History), columns (a saved set, edited in place, saved as a
set), the cost estimate, filling in the background with progress per paper and Stop, the table as an
interactive data frame whose selected cell shows its passage and PDF page, the synthesis, exports, and earlier
tables from History. Everything it shows comes from ``summarizer.table``."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from summarizer.model.errors import SummarizerError
from summarizer.output.escape import escape_text, safe_markdown
from summarizer.table.build import MAX_PAGES_NOTE, MIN_PAPERS, PaperInput, TableBuilder
from summarizer.table.columns import (
    DEFAULT_SET,
    Column,
    ColumnError,
    check_columns,
    column_set_text,
    column_sets,
    delete_column_set,
    parse_column_set,
    save_column_set,
    user_sets_dir,
)
from summarizer.table.export import table_rows, to_csv, to_markdown, to_xlsx
from summarizer.table.model import CellStatus, LiteratureTable

log = logging.getLogger(__name__)
JOB = "lt_job"  # the fill running in the background: {"thread", "stop", "done", "total", "rows", "table", "error"}
TABLE = "lt_table"  # the table shown (as_json)
SOURCES = "lt_sources"  # doc_hash → PDF bytes, for the page view


def _uploads(st, files) -> tuple[list[PaperInput], dict[str, bytes]]:
    from summarizer.inputs.loading import load_bytes
    from ui.session_settings import page_settings

    settings = page_settings(st)
    papers, pdfs = [], {}
    cache = st.session_state.setdefault("lt_parsed", {})
    for f in files:
        data = f.getvalue()
        digest = hashlib.sha256(data + settings.parser.encode()).hexdigest()
        if digest not in cache:
            try:
                cache[digest] = load_bytes(data, f.name, settings.parser, settings.max_pages)
            except SummarizerError as exc:
                cache[digest] = str(exc)
        doc = cache[digest]
        if isinstance(doc, str):
            papers.append(PaperInput(f.name, error=doc))
        else:
            papers.append(PaperInput(f.name, doc, doc_hash=digest))
            if data.lstrip()[:5] == b"%PDF-":
                pdfs[digest] = data
    return papers, pdfs


def _from_history(st, history, sid: str, chosen: list) -> tuple[list[PaperInput], dict[str, bytes]]:
    papers, pdfs = [], {}
    for info in chosen:
        record = history.get_run(sid, info.id)
        doc = history.load_document(record.body_hash) if record else None
        if doc is None:
            papers.append(PaperInput(info.title, error="its document is no longer in History"))
            continue
        summaries = {r.result.index: r.result.summary for r in record.sections if r.result.ok and r.result.summary}
        papers.append(PaperInput(info.title, doc, doc_hash=info.doc_hash, summaries=summaries))
        pdf = history.load_source(info.doc_hash)
        if pdf:
            pdfs[info.doc_hash] = pdf
    return papers, pdfs


def _folders(st) -> tuple[list, object]:
    """Where this session's column sets come from (the data folder's, then its own) and where it saves them."""
    from ui.session_settings import session_columns_dir

    own = session_columns_dir(st.session_state)
    return [user_sets_dir(), *([own] if own else [])], own


def column_sets_editor(st) -> None:
    """The Settings page's editor of column sets: a set as its JSON5 text, saved in this session's folder."""
    folders, own = _folders(st)
    sets = column_sets(folders)
    st.caption("Column sets for the Literature table page: each column has a name and a description of what its "
               "cells must hold (the model reads it; offline, its words find the sentence). The default set cannot "
               "be changed: save a copy under a new name.")
    name = st.selectbox("Column set", list(sets), key="cs_pick")
    text = st.text_area("Columns (JSON5)", column_set_text(name, sets[name]), height=320, key=f"cs_text_{name}")
    new_name = st.text_input("Save as", value="" if name == DEFAULT_SET else name, key=f"cs_name_{name}",
                             help="letters, digits, - and _")
    one, two = st.columns(2)
    if one.button("Save column set", key="cs_save", type="primary"):
        try:
            _, columns = parse_column_set(text, "the column set")
            save_column_set(new_name.strip(), columns, own)
            st.success(f"Saved '{new_name.strip()}' ({len(columns)} columns).")
        except ColumnError as exc:
            st.error(escape_text(exc))
    if name != DEFAULT_SET and own is not None and two.button("Delete this set", key="cs_delete"):
        st.success("Deleted.") if delete_column_set(name, own) else st.info("This set is not this session's own; "
                                                                             "it stays.")


def _columns_editor(st) -> list[Column] | None:
    folders, own = _folders(st)
    sets = column_sets(folders)
    name = st.selectbox("Column set", list(sets), key="lt_set", help="Saved sets live in the data folder's columns/; "
                        "the default set: research question, method, data, key results, limitations, code.")
    rows = [{"name": c.name, "description": c.description} for c in sets[name]]
    edited = st.data_editor(rows, num_rows="dynamic", key=f"lt_cols_{name}", width="stretch",
                            column_config={"name": st.column_config.TextColumn("Column", max_chars=60, required=True),
                                           "description": st.column_config.TextColumn("What a cell must hold",
                                                                                      max_chars=300, width="large")})
    by_name = {c.name: c for c in sets[name]}
    columns = []
    for row in edited:
        title = " ".join(str(row.get("name") or "").split())
        text = " ".join(str(row.get("description") or "").split())
        if not title and not text:
            continue
        kept = by_name.get(title)  # a default column keeps its cue words and sections unless its text changed
        columns.append(kept if kept and kept.description == text else Column(title, text))
    extra = st.session_state.setdefault("lt_extra", [])
    with st.form("lt_add", clear_on_submit=True, border=False):
        one, two, three = st.columns([2, 5, 1], vertical_alignment="bottom")
        title = one.text_input("New column", placeholder="Sample size")
        text = two.text_input("What its cells should hold", placeholder="the number of participants or samples studied")
        if three.form_submit_button("Add column") and (title.strip() or text.strip()):
            extra.append({"name": title, "description": text})
    columns += [Column(" ".join(x["name"].split()), " ".join(x["description"].split())) for x in extra]
    try:
        check_columns(columns)
    except ColumnError as exc:
        st.error(escape_text(exc), icon=":material/view_column:")
        if extra and st.button("Remove the added columns", key="lt_clear_extra"):
            extra.clear()
            st.rerun()
        return None
    with st.expander("Save these columns as a set"):
        new = st.text_input("Set name (letters, digits, - and _)", key="lt_set_name")
        if st.button("Save column set", key="lt_save_set") and new:
            try:
                save_column_set(new, columns, own)
                st.success(f"Saved as '{new}'.")
            except ColumnError as exc:
                st.error(escape_text(exc))
    return columns


def _start(st, builder: TableBuilder, papers: list[PaperInput], sid: str, pdfs: dict[str, bytes]) -> None:
    stop = threading.Event()
    job = {"stop": stop, "done": 0, "total": len(papers), "rows": [], "table": None, "error": "", "started": time.time()}

    def on_row(row, done: int, total: int) -> None:
        job["done"], job["total"] = max(job["done"], done), total
        job["rows"].append(f"{row.key} {row.title[:70]}: " + (f"not read — {row.error}" if row.error else
                                                              f"{sum(c.status == CellStatus.FOUND for c in row.cells.values())}"
                                                              f"/{len(builder.columns)} cells found"))

    def work() -> None:
        from ui.browser_session import store

        try:
            table = builder.build(papers, on_row, stop)
            history = store()
            for paper in papers:  # the papers stay with the table (its page view after a reload)
                if paper.document is not None and paper.doc_hash:
                    history.save_document(paper.doc_hash, paper.document)
                    if paper.doc_hash in pdfs:
                        history.save_source(paper.doc_hash, pdfs[paper.doc_hash])
            history.save_table(sid, table.as_json())
            job["table"] = table.as_json()
        except Exception as exc:  # a thread's failure is the page's one sentence, the reason in the log
            log.exception("literature table failed")
            job["error"] = str(exc) if isinstance(exc, SummarizerError) else f"The table failed ({exc.__class__.__name__})."

    thread = threading.Thread(target=work, daemon=True, name="literature-table")
    job["thread"] = thread
    st.session_state[JOB] = job
    thread.start()


def _progress(st) -> None:
    job = st.session_state.get(JOB)
    if not job:
        return

    @st.fragment(run_every=1.0)
    def watch() -> None:
        j = st.session_state.get(JOB)
        if not j:
            return
        running = j["thread"].is_alive()
        st.progress(min(1.0, j["done"] / max(1, j["total"])), text=f"{j['done']} of {j['total']} papers"
                    + (" — stopping after the papers in progress" if j["stop"].is_set() and running else ""))
        for line in j["rows"][-8:]:
            st.caption(escape_text(line))
        if running:
            st.button("Stop", key="lt_stop", on_click=j["stop"].set, icon=":material/stop_circle:",
                      help="No new paper is started; the rows filled are kept")
        else:
            st.session_state.pop(JOB, None)
            if j["error"]:
                st.session_state["lt_error"] = j["error"]
            elif j["table"]:
                st.session_state[TABLE] = j["table"]
            st.rerun()

    watch()


def _cell_view(st, table: LiteratureTable, event, header: list[str]) -> None:
    """The passage and PDF page behind the cell selected in the table (or picked from the list beside it)."""
    readable = [r for r in table.rows if not r.error]
    choices = [(r.key, c.key) for r in readable for c in table.columns
               if (cell := r.cells.get(c.key)) is not None and cell.source is not None]
    if not choices:
        return
    names = {c.key: c.name for c in table.columns}
    cells = getattr(getattr(event, "selection", None), "cells", None) or []
    if cells:  # a click in the table
        r, c = cells[0]
        c = c if isinstance(c, str) else header[c]
        key = next((x.key for x in table.columns if x.name == c), None)
        if key is not None and (table.rows[int(r)].key, key) in choices:
            st.session_state[f"lt_cell_{table.id}"] = (table.rows[int(r)].key, key)
    picked = st.selectbox("Passage behind a cell (or select a cell in the table)", choices, key=f"lt_cell_{table.id}",
                          format_func=lambda rc: f"{rc[0]} · {names[rc[1]]}")
    row = table.row(picked[0])
    column = next(x for x in table.columns if x.key == picked[1])
    cell = row.cells[column.key]
    st.markdown(f"**{escape_text(row.key)} · {escape_text(column.name)}** — {escape_text(cell.status)}")
    st.markdown(f"**Cited:** {escape_text(cell.source.citation)} ({escape_text(cell.source.section_title)})")
    st.markdown("> " + escape_text(cell.source.text))
    if cell.unverified:
        st.warning("Not in the cited passage: " + escape_text(", ".join(cell.unverified)))
    pdf = st.session_state.get(SOURCES, {}).get(row.doc_hash)
    if pdf is None:
        from ui.browser_session import store

        pdf = store().load_source(row.doc_hash)
    if pdf and cell.source.page:
        from summarizer.pdf.page_view import render_page

        try:
            image = render_page(pdf, cell.source.page, cell.answer if cell.method == "quote" else "")
            st.image(image.png, width="stretch", caption=f"{row.key}, PDF page {image.page} of {image.pages}")
        except SummarizerError as exc:
            st.warning(escape_text(exc))
    elif cell.source.page:
        st.caption(f"Page {cell.source.page} (the PDF is not kept for this paper).")


def _show(st, table: LiteratureTable) -> None:
    u = table.usage
    spent = "" if table.backend.startswith("offline") else \
        f" · {u.requests} requests, {u.tokens_in:,} tokens in, {u.tokens_out:,} out" + \
        ("" if u.cost_usd is None else f", ${u.cost_usd:.4f}") + f" · {u.cached_cells} cells from the cache"
    st.subheader(escape_text(table.title))
    st.caption(f"Made with {escape_text(table.backend)}{spent}" + (" · stopped: papers not started are missing"
                                                                   if table.stopped else ""))
    for note in table.notes:
        st.info(escape_text(note))
    rows = table_rows(table)
    # on screen the aspects come right after the title (authors, year and file after them): they are what is read
    lead = len(rows[0]) - len(table.columns)
    order = [0, 1, *range(lead, len(rows[0])), *range(2, lead)]
    header = [rows[0][i] for i in order]
    data = {rows[0][i]: [row[i] for row in rows[1:]] for i in order}
    config = {"Title": st.column_config.TextColumn("Title", width="medium"),
              **{c.name: st.column_config.TextColumn(c.name, width="large", help=c.description) for c in table.columns}}
    event = st.dataframe(data, key=f"lt_frame_{table.id}", on_select="rerun", selection_mode="single-cell",
                         hide_index=True, width="stretch", column_config=config)
    _cell_view(st, table, event, header)
    s = table.synthesis
    if s.text:
        st.markdown("#### Synthesis")
        st.markdown(safe_markdown(s.text))
    for c in s.conflicts:
        st.warning(f"**{escape_text(c.column)} ({escape_text(c.measure)}) differs:** " +
                   "; ".join(f"{escape_text(p)}: {escape_text(v)} {escape_text(cite)}" for p, v, cite in c.values))
    for label, items in (("Numbers in the synthesis no cell holds", s.unverified),
                         ("Citations dropped (no such paper or page in the table)", s.dropped_citations)):
        if items:
            st.caption(f"{label}: {escape_text(', '.join(items))}")
    if s.error:
        st.caption(escape_text(s.error))
    one, two, three = st.columns(3)
    one.download_button("⬇️ CSV", to_csv(table), file_name="literature-table.csv", mime="text/csv", on_click="ignore",
                        key="lt_csv")
    two.download_button("⬇️ XLSX", to_xlsx(table), file_name="literature-table.xlsx", on_click="ignore", key="lt_xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    three.download_button("⬇️ Markdown", to_markdown(table).encode("utf-8"), file_name="literature-table.md",
                          mime="text/markdown", on_click="ignore", key="lt_md")


def render(st, sid: str) -> None:
    from ui.browser_session import store
    from ui.session_settings import page_settings

    st.title(":material/table_view: Literature table")
    st.caption("Papers against columns: every cell is a short answer with the section and page it comes from, or "
               "\"not reported\". Offline, a cell quotes the paper's best matching sentence.")
    try:
        history = store()
    except OSError as exc:
        st.error(escape_text(exc))
        return
    saved = history.list_tables(sid)
    if saved:
        ids = ["(new table)"] + [t["id"] for t in saved]
        titles = {t["id"]: f"{t['title']} · {time.strftime('%Y-%m-%d %H:%M', time.localtime(t['updated']))}" for t in saved}
        pick = st.selectbox("Earlier tables", ids, key="lt_pick", format_func=lambda i: titles.get(i, i))
        if pick != "(new table)":
            body = history.get_table(sid, pick)
            if body:
                _show(st, LiteratureTable.from_json(body))
            return
    files = st.file_uploader("Papers (2 to 50: PDF, Word, PowerPoint, EPUB, OpenDocument, text, Markdown, HTML)",
                             type=["pdf", "docx", "pptx", "epub", "odt", "txt", "md", "html", "htm"],
                             accept_multiple_files=True, key="lt_files")
    runs = {r.doc_hash: r for r in history.list_runs(sid)}  # one entry per document
    chosen = st.multiselect("Or papers from History", list(runs.values()), key="lt_history",
                            format_func=lambda r: r.title[:90])
    columns = _columns_editor(st)
    if st.session_state.get("lt_error"):
        st.error(escape_text(st.session_state.pop("lt_error")))
    if st.session_state.get(JOB):
        _progress(st)
        return
    if st.session_state.get(TABLE):
        _show(st, LiteratureTable.from_json(st.session_state[TABLE]))
    papers, pdfs = _uploads(st, files or [])
    more, more_pdfs = _from_history(st, history, sid, chosen)
    papers, pdfs = papers + more, {**pdfs, **more_pdfs}
    if columns is None:
        return
    if len(papers) < MIN_PAPERS:
        st.info(f"Add at least {MIN_PAPERS} papers. {MAX_PAGES_NOTE}")
        return
    settings = page_settings(st)
    try:
        builder = TableBuilder(settings, columns)
        estimate = builder.estimate(papers)
    except SummarizerError as exc:
        st.error(escape_text(exc))
        return
    for note in estimate.notes:
        st.info(escape_text(note))
    if builder.offline:
        st.caption(f"{estimate.papers} papers × {len(columns)} columns, offline: nothing is sent anywhere.")
    else:
        cost = "unknown (no price for this model)" if estimate.cost_usd is None else f"about ${estimate.cost_usd:.4f}"
        st.caption(f"{estimate.papers} papers × {len(columns)} columns with {escape_text(settings.model)}: "
                   f"{estimate.requests} requests, ~{estimate.tokens_in:,} tokens in, ~{estimate.tokens_out:,} out "
                   f"({estimate.cached_cells} cells cached); cost {cost}.")
    if st.button("Fill the table", type="primary", key="lt_fill", icon=":material/table_view:"):
        st.session_state[SOURCES] = pdfs
        st.session_state.pop(TABLE, None)
        _start(st, builder, papers, sid, pdfs)
        st.rerun()

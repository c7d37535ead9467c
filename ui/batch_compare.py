"""The Compare page's second half: two batch runs (the zips the Batch page downloads, or ``batch`` output
folders zipped) turned into a blind rating sheet to download, and a filled sheet with its key read back as
win rates by kind and length. The library does the work (``summarizer.compare``); this draws it."""

from __future__ import annotations

from summarizer.compare.ratings import parse_key, ratings_from, tally
from summarizer.compare.runs import paired, read_run_zip
from summarizer.compare.sheet import flags
from summarizer.model.errors import SummarizerError
from summarizer.output.escape import escape_text


def render(st) -> None:
    st.caption("Two batch runs of the same documents (two models, two prompt sets, local against hosted): "
               "a blind sheet for raters, then their ratings read back. Upload the zips the Batch page downloads.")
    left, right = st.columns(2)
    first = left.file_uploader("Batch run A (zip)", type=["zip"], key="bc_a")
    second = right.file_uploader("Batch run B (zip)", type=["zip"], key="bc_b")
    if first and second:
        _sheet(st, first, second)
    st.divider()
    st.markdown("**Read a filled sheet back**")
    one, two = st.columns(2)
    filled = one.file_uploader("Filled sheet (.xlsx or .csv)", type=["xlsx", "csv"], key="bc_sheet")
    key = two.file_uploader("Its key (.key.json)", type=["json"], key="bc_key")
    if filled and key:
        _ratings(st, filled, key)


def _sheet(st, first, second) -> None:
    try:
        a, b = read_run_zip(first.name.removesuffix(".zip"), first.getvalue()), \
            read_run_zip(second.name.removesuffix(".zip"), second.getvalue())
        common_only = st.checkbox("Compare only the documents both runs have", key="bc_common")
        pairs = paired(a, b, common_only)
    except SummarizerError as exc:
        st.error(escape_text(exc))
        return
    from summarizer.compare.sheet import sheet_bytes

    made = st.session_state.get("bc_made")
    signature = (first.file_id, second.file_id, len(pairs))
    if not made or made[0] != signature:  # one sheet per pair of uploads: a rerun keeps its random order
        made = (signature, sheet_bytes(pairs, a, b))
        st.session_state["bc_made"] = made
    files = made[1]
    st.success(f"{files.rows} documents paired. Give raters the sheet; keep the key.")
    c1, c2, c3 = st.columns(3)
    if files.xlsx is not None:
        c1.download_button("⬇️ Rating sheet (.xlsx)", files.xlsx, file_name="ratings.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="bc_xlsx")
    c2.download_button("⬇️ Rating sheet (.csv)", files.csv, file_name="ratings.csv", mime="text/csv",
                       on_click="ignore", key="bc_csv")
    c3.download_button("⬇️ Key (keep it)", files.key, file_name="ratings.key.json", mime="application/json",
                       on_click="ignore", key="bc_keyfile")
    rows = []
    for x, y in pairs:
        rows.append({"document": x.id, "length": x.band, "A cost (USD)": x.cost_usd, "B cost (USD)": y.cost_usd,
                     "A seconds": x.seconds, "B seconds": y.seconds, "A flags": flags(x), "B flags": flags(y)})
    st.markdown(f"A = {escape_text(a.label)} · B = {escape_text(b.label)}")
    st.dataframe(rows, hide_index=True)


def _ratings(st, filled, key_file) -> None:
    try:
        key = parse_key(key_file.name, key_file.getvalue())
        ratings, key, notes = ratings_from(filled.name, filled.getvalue(), key)
    except SummarizerError as exc:
        st.error(escape_text(exc))
        return
    report = tally(ratings)
    st.markdown(f"A = {escape_text(key['a']['label'])} · B = {escape_text(key['b']['label'])}")
    for line in report.lines():  # the sheet's kinds and length bands are text from an upload: escaped
        st.markdown(escape_text(line))
    for note in notes[:10]:
        st.caption(escape_text(note))

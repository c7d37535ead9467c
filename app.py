"""Summarizer — the main page: upload a paper or paste an article, review its sections,
summarize, read and download the Markdown. The page only calls the ``summarizer`` library.

Results live in ``st.session_state`` (per browser session), so downloading — which uses the
rerun-free ``on_click="ignore"`` — and any other rerun keep them (field note 22).
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import closing
from pathlib import Path

import streamlit as st

from summarizer.config.logs import configure_app
from summarizer.model.errors import SummarizerError
from summarizer.output.escape import escape_text, safe_markdown
from summarizer.output.render import plural
from ui import browser_session as ui_session
from ui.session_settings import REFUSED_KEY as ENDPOINT_REFUSED
from ui.session_settings import page_key_owner, page_settings

st.set_page_config(page_title="Summarizer", page_icon="📄", layout="wide")
logger = logging.getLogger("summarizer.app")
configure_app()  # a rotating log in the data folder; once per process

# Material icons ship with Streamlit's own font, so they render without an emoji font.
STATE_ICONS = {"queued": ":material/schedule:", "running": ":material/autorenew:", "retrying": ":material/replay:",
               "done": ":green[:material/check_circle:]", "cached": ":blue[:material/inventory_2:]",
               "failed": ":red[:material/error:]", "skipped": ":gray[:material/remove:]",
               "unstructured": ":orange[:material/warning:]"}



def fail(message: str) -> None:
    st.error(message, icon="⚠️")


#: The uploader's file already taken as the document (see ``_upload_token``).
UPLOAD_TAKEN = "upload_taken"


def _upload_token(upload, settings) -> str:
    """Which choice of file this is: the uploader's own id for this upload (a new one each time a file
    is chosen, even the same file again) and the parser. The uploader keeps its file across reruns, so a
    file is loaded only when this token is new — never merely because it differs from the current
    document, which a paste, a link or a run reopened from History may have replaced since."""
    return f"{upload.file_id}:{settings.parser}"


def load_upload(upload, settings) -> None:
    """Parse an uploaded file once per content; keep the document in the session."""
    from summarizer.inputs.loading import load_bytes

    data = upload.getvalue()
    digest = hashlib.sha256(data + settings.parser.encode()).hexdigest()
    if st.session_state.get("doc_digest") == digest:
        return
    with st.spinner(f"Reading {upload.name} …"):
        doc = load_bytes(data, upload.name, settings.parser, settings.max_pages, settings.nougat_checkpoint)
    _set_document(doc, digest, data if data[:5] == b"%PDF-" else None, uploaded=True)


def load_paste(text: str) -> None:
    from summarizer.inputs.loading import load_text

    digest = hashlib.sha256(text.encode("utf-8", errors="ignore")).hexdigest()
    if st.session_state.get("doc_digest") == digest:
        return
    doc = load_text(text, "pasted text")
    _set_document(doc, digest)


def load_link(link: str, settings) -> None:
    """Fetch an article URL or an arXiv paper; one clear line when that fails."""
    from summarizer.inputs.fetch import fetch_reference

    link = link.strip()
    if not link:
        fail("Enter a link or an arXiv id first.")
        return
    try:
        with st.spinner(f"Fetching {link} …"):
            found = fetch_reference(link, settings)
    except SummarizerError as exc:
        fail(str(exc))
        return
    except Exception as exc:  # never a traceback in the page; the traceback goes to the log
        logger.exception("reading the link %s failed", link[:200])
        fail(f"{link} could not be read ({exc.__class__.__name__}); paste the text in the 'Paste text' tab instead.")
        return
    if found is None:
        fail("That is neither a web address nor an arXiv id; paste the text in the 'Paste text' tab instead.")
        return
    doc, pdf = found
    _set_document(doc, hashlib.sha256(link.encode()).hexdigest(), pdf)  # a linked PDF gets the page view too


def _set_document(doc, digest: str, pdf: bytes | None = None, uploaded: bool = False) -> None:
    """The session's document from now on (``pdf``: its PDF, for the page view); a document that is not the
    uploader's file empties the uploader, and the page reruns so it shows empty at once."""
    st.session_state["doc"] = doc
    st.session_state["doc_digest"] = digest
    for key in ("result", "markdown", "result_digest"):
        st.session_state.pop(key, None)
    st.session_state["doc_pdf"] = pdf
    if not uploaded and ui_session.release_upload(st):
        st.rerun()


def review_sections(doc, settings):
    """The section review table: include, rename, merge up, choose a prompt. Returns the reviewed
    document and the chosen prompts; nothing has been sent yet."""
    import pandas as pd

    from summarizer.llm.prompts import load_prompts, route_prompt
    from summarizer.run.review import SectionChoice, apply_review
    from summarizer.text.tokens import tokenizer_for_model

    uses_prompts = settings.backend == "llm"  # the extractive backend picks sentences
    prompts = load_prompts(settings.prompts_dir)
    for problem in prompts.errors:
        st.warning(problem)
    tokenizer = tokenizer_for_model(settings.model)
    names = ["auto"] + sorted(p.name for p in prompts.section_prompts())
    counted_key = (st.session_state.get("doc_digest"), tokenizer.name)
    if st.session_state.get("token_counts_key") != counted_key:  # count once per document, not per rerun
        st.session_state["token_counts"] = [tokenizer.count(s.text) for s in doc.sections]
        st.session_state["token_counts_key"] = counted_key
    counts = st.session_state["token_counts"]
    rows = []
    for section, choice, tokens in zip(doc.sections, ui_session.review_defaults(st, doc), counts):
        routed = route_prompt(prompts, section.kind, section.title, doc.genre).name
        rows.append({"include": choice.include, "title": section.title, "merge ↑": False, "kind": section.kind,
                     "level": section.level, "page": section.page_start, "tokens": tokens,
                     "prompt": choice.prompt or "auto", "auto prompt": routed})
    if all(s.page_start is None for s in doc.sections):  # pasted text, a text file: no pages to name
        for row in rows:
            del row["page"]
    edited = st.data_editor(
        pd.DataFrame(rows), hide_index=True, width="stretch", key=f"review_{st.session_state.get('doc_digest')}",
        disabled=["kind", "level", "page", "tokens", "auto prompt"] + ([] if uses_prompts else ["prompt"]),
        column_config={
            "include": st.column_config.CheckboxColumn("include", help="summarize this section"),
            "title": st.column_config.TextColumn("title", help="rename the section"),
            "merge ↑": st.column_config.CheckboxColumn("merge ↑", help="merge into the section above"),
            "prompt": st.column_config.SelectboxColumn("prompt", options=names, help="the prompt used (LLM backends)"),
        },
    )
    if not uses_prompts:  # a prompt choice here would promise a different summary that never comes
        st.caption(f"Prompts apply to the LLM backends only: {settings.backend_label} uses none, so the prompt "
                   "column changes nothing.")
    if not tokenizer.exact:
        st.caption("Token counts are estimates: the tokenizer files could not be loaded.")
    choices = [SectionChoice(bool(r["include"]), str(r["title"]), bool(r["merge ↑"]), str(r["prompt"]))
               for r in edited.to_dict("records")]
    ui_session.remember_review(st, choices)
    return apply_review(doc, choices)


def estimate(doc, settings, chosen: dict[int, str]) -> str:
    """The cost estimate, recomputed only when the reviewed sections or the settings change."""
    from summarizer.llm.costs import estimate_run

    key = hashlib.sha256(repr(([(s.title, s.kind, s.included, len(s.text)) for s in doc.sections], sorted(chosen.items()),
                               sorted(settings.to_public_dict().items(), key=str),
                               len(doc.figures_to_describe()))).encode()).hexdigest()
    if st.session_state.get("estimate_key") != key:
        st.session_state["estimate"] = estimate_run(doc, settings, chosen).describe()
        st.session_state["estimate_key"] = key
    return st.session_state["estimate"]


#: The main page's "Describe the figures" checkbox (its default: ``Settings.describe_figures``).
DESCRIBE_FIGURES = "describe_figures"


def figure_choice(doc, reviewed, settings):
    """The "Describe the figures" checkbox, offered for a PDF with figures and a model endpoint: checked, the
    figures are located (as the Tables and figures panel's button does) and the run's settings ask for their
    descriptions, which the estimate shown under it counts. The settings the run uses."""
    from summarizer.model.document import FloatKind

    if settings.backend != "llm" or not any(f.kind == FloatKind.FIGURE for f in doc.floats):
        return settings
    pdf = st.session_state.get("doc_pdf")
    wanted = st.checkbox("Describe the figures (one more request per figure, for a model that accepts images)",
                         value=settings.describe_figures and bool(pdf),
                         key=DESCRIBE_FIGURES, disabled=not pdf,
                         help="Each figure's image is sent to the model for a one-line description of what it shows, "
                              "shown under its caption. A model that refuses images is asked once; the figures keep "
                              "their captions." if pdf else "The figures' images need the PDF (uploaded in this session).")
    if not wanted or not pdf:
        return settings.replace(describe_figures=False)
    if located_floats(doc, pdf) is None:
        return settings.replace(describe_figures=False)
    reviewed.floats = doc.floats
    if not doc.figures_to_describe():
        st.caption("No figure's region was found on its page: there is nothing to describe.")
    return settings.replace(describe_figures=True)


def run_summary(doc, settings, only: set[int] | None = None, section_prompts: dict[int, str] | None = None,
                feedback: dict[int, str] | None = None) -> None:
    from summarizer.run.engine import run

    status = st.status(f"Summarizing with {settings.backend_label} …", expanded=True)
    board = status.container()
    stop_slot = board.empty()
    # Any click reruns the page, which closes the run below; Stop just says that is what was meant.
    stop_slot.button("Stop", key="stop_run", icon=":material/stop_circle:",
                     help="Stop sending requests; finished sections are kept (and cached)")
    st.session_state["run_partial"] = {"digest": st.session_state.get("doc_digest"), "doc": doc, "only": only,
                                       "label": settings.backend_label, "sections": {}}
    progress = board.progress(0.0)
    todo = [i for i, s in enumerate(doc.sections) if s.summarizable and (only is None or i in only)]
    previous = st.session_state.get("result") if only is not None else None
    pdf = st.session_state.get("doc_pdf") if settings.describe_figures else None  # figures' images are cut from it
    events = run(doc, settings, only=only, previous=previous, section_prompts=section_prompts, feedback=feedback, pdf=pdf)
    with closing(events):  # a Stop, rerun or closed tab raises here; closing the run cancels its requests
        _show_events(ui_session.recorded(st, events, doc, settings, only), settings, status, board, progress, todo)
    stop_slot.empty()


def _show_events(events, settings, status, board, progress, todo) -> None:
    from summarizer.output.render import render_markdown

    slots = {}
    finished = 0
    counter = board.empty()
    spent: dict[int, tuple[int, int]] = {}
    for event in events:
        if event.kind == "tick":
            _ = "run_partial" in st.session_state  # a yield point: Streamlit notices Stop or a rerun here
            continue
        if event.kind == "section" and event.result is not None:
            r = event.result
            st.session_state["run_partial"]["sections"][r.index] = r
            if settings.backend == "llm":
                spent[r.index] = (r.tokens_in, r.tokens_out)
                counter.caption(f"So far: {sum(a for a, _ in spent.values()):,} tokens in · "
                                f"{sum(b for _, b in spent.values()):,} tokens out")
            if r.index not in slots:
                slots[r.index] = board.empty()
            detail = f" — {_section_error(r.error)}" if r.status == "failed" else (
                f" — {r.note}" if r.status in ("retrying", "unstructured") else "")
            with slots[r.index].container():
                st.markdown(f"{STATE_ICONS.get(r.status, '')} {escape_text(r.title)} · *{r.status}*{escape_text(detail)}")
                if r.ok and r.summary:  # sections appear as they finish
                    with st.expander("summary", expanded=False):
                        st.markdown(safe_markdown(r.summary))
                elif r.status == "running" and r.live:  # the answer as the model writes it
                    st.caption(f"writing … {escape_text(_tail(r.live))}")
            if r.finished and r.status != "skipped" and r.index in todo:
                finished += 1
                progress.progress(min(1.0, finished / max(1, len(todo))), text=f"{finished}/{plural(len(todo), 'section')}")
        elif event.kind == "done":
            st.session_state.pop("run_partial", None)
            st.session_state["result"] = event.summary
            st.session_state["result_digest"] = st.session_state.get("doc_digest")
            st.session_state["markdown"] = render_markdown(event.summary, settings.include_reasoning)
            from summarizer.run.engine import failure_groups, run_status

            failed = failure_groups(event.summary.sections)
            status.update(label=run_status(event.summary, settings.backend_label),
                          state="error" if failed else "complete", expanded=False)


def _section_error(error: str) -> str:
    """A failed section's line on the progress board: a section the dead endpoint kept from being sent
    says only that; the endpoint's error is said once, in the run's failures below."""
    from summarizer.run.engine import NOT_SENT

    return NOT_SENT if error.startswith(NOT_SENT) else error


def _tail(text: str, chars: int = 240) -> str:
    """The last words of a streaming answer, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else "…" + flat[-chars:]


def settle_interrupted_run(settings) -> None:
    """A run the page left (Stop, a rerun, a settings change) keeps what finished: its sections
    become the result, the others say they did not finish."""
    partial = st.session_state.pop("run_partial", None)
    if not partial or partial["digest"] != st.session_state.get("doc_digest"):
        return
    from summarizer.model.results import Usage
    from summarizer.output.render import render_markdown
    from summarizer.run.engine import plan
    from summarizer.run.runner import stopped_summary

    previous = st.session_state.get("result") if partial["only"] is not None else None
    sections = list(previous.sections) if previous is not None else plan(partial["doc"])
    for index, r in partial["sections"].items():
        sections[index] = r
    seen = partial["sections"].values()
    usage = Usage(sum(r.tokens_in for r in seen), sum(r.tokens_out for r in seen), sum(r.attempts for r in seen))
    reason = "Stop pressed" if st.session_state.get("stop_run") else "the page was rerun"
    summary = stopped_summary(partial["doc"], partial["label"], sections, reason, usage)
    st.session_state["result"] = summary
    st.session_state["result_digest"] = partial["digest"]
    st.session_state["markdown"] = render_markdown(summary, settings.include_reasoning)


def show_result(settings) -> None:
    from summarizer.output.render import summary_filename
    from summarizer.run.engine import failure_groups, sections_to_run

    result = st.session_state["result"]
    markdown = st.session_state["markdown"]
    doc = result.document
    usage = result.usage
    cols = st.columns([3, 1])
    with cols[0]:
        st.subheader("Summary")
        st.caption(f"Backend: {result.backend}")
    empty = not any(r.ok for r in result.sections)
    groups = failure_groups(result.sections)
    if result.stopped and not any(g.cause == result.stopped for g in groups):  # a Stop, a time limit: said once
        (fail if empty else st.warning)(escape_text(result.overview_error))
    with cols[1]:
        if not empty:  # nothing summarized: nothing to download
            st.download_button("⬇️ Download Markdown", data=markdown.encode("utf-8"),
                               file_name=summary_filename(doc.title, doc.source), mime="text/markdown",
                               on_click="ignore", type="primary", key="download_md")
            from summarizer.output.provenance import Provenance
            from ui.exports import export_menu

            export_menu(st, result, key="download", provenance=ui_session.run_provenance(st) or Provenance.of(result, settings),
                        pdf=st.session_state.get("doc_pdf"), include_reasoning=settings.include_reasoning)
    if usage.requests:
        cost = f", ≈ ${usage.cost_usd:.4f}" if usage.cost_usd is not None else ""
        st.caption(f"{plural(usage.requests, 'request')} · {plural(usage.tokens_in, 'token')} in · "
                   f"{plural(usage.tokens_out, 'token')} out{cost}")
    failed = result.failed  # failed, and not run (a stopped run)
    not_run = [r for r in failed if r.not_run]
    if not_run:  # not failures: the run stopped (its reason was said once above)
        st.warning(f"Not run ({len(not_run)}), the run was stopped: " + escape_text(", ".join(r.title for r in not_run)))
    if groups:  # each reason once, however many sections it failed
        todo = sections_to_run(result.sections)
        (fail if empty else st.warning)("\n\n".join(escape_text(g.describe(todo)) for g in groups))
    if failed:
        again = f"Run the {len(failed)} section(s) not run" if len(not_run) == len(failed) \
            else f"Retry the {len(failed)} failed section(s)"
        if st.button(again, key="retry_failed"):
            try:
                run_summary(doc, settings, only={r.index for r in failed},
                            section_prompts=st.session_state.get("chosen_prompts"))
            except SummarizerError as exc:
                fail(str(exc))
            st.rerun()
    problems = result.needs_recheck()
    flagged = [r for r in result.sections if r.unverified_numbers or r.unverified_quotes]
    if flagged or result.overview_unverified:
        lines = [f"**{escape_text(r.title)}**: " + escape_text(", ".join(r.unverified_numbers + [f"“{q}”" for q in
                                                                                             r.unverified_quotes]))
                 for r in flagged]
        if result.overview_unverified:
            lines.append("**Overall summary**: " + escape_text(", ".join(result.overview_unverified)))
        st.warning("Not found in the source text — check these before you use them (marked in the Markdown):\n\n"
                   + "\n".join(f"- {line}" for line in lines))
        if problems and settings.backend == "llm" and st.button(f"Re-ask {plural(len(problems), 'section')}, naming the problem",
                                                                key="recheck"):
            try:
                run_summary(doc, settings, only=set(problems), section_prompts=st.session_state.get("chosen_prompts"),
                            feedback=problems)
            except SummarizerError as exc:
                fail(str(exc))
            st.rerun()
    from ui.ask import show_coverage

    show_coverage(st, result)
    if not empty:  # nothing summarized: the failures above say why, once (not once per section)
        show_summary(result, markdown, st.session_state.get("doc_pdf"))
    if doc.floats:
        show_floats(doc, st.session_state.get("doc_pdf"))
    reasoning = [r for r in result.sections if r.reasoning]
    if reasoning:
        with st.expander("The model's reasoning per section"):
            for r in reasoning:
                st.markdown(f"**{escape_text(r.title)}** — {safe_markdown(r.reasoning)}")


# -- tables and figures ------------------------------------------------------------------------------

#: doc digest -> the document's floats with their regions and cells (read once, when asked)
FLOATS_READ = "floats_read"


def located_floats(doc, pdf: bytes) -> list[dict] | None:
    """The document's tables and figures with their regions and cells, read from ``pdf`` once per document (kept in
    the session) and set on ``doc``; None when the PDF could not be read (said on the page)."""
    from summarizer.model.document import Float

    digest = st.session_state.get("doc_digest")
    read = st.session_state.get(FLOATS_READ, {}).get(digest)
    if read is None:
        from summarizer.pdf.floats import locate_floats

        with st.spinner("Reading tables and figures …"):
            copies = [Float.from_json(f.to_json()) for f in doc.floats]
            try:
                read = [f.to_json() for f in locate_floats(pdf, copies)]
            except SummarizerError as exc:
                fail(str(exc))
                return None
        st.session_state.setdefault(FLOATS_READ, {})[digest] = read
        st.session_state.pop("ask_asker", None)  # Ask the paper can now answer from the tables
    described = {f.label: f for f in doc.floats if f.description}
    doc.floats = [Float.from_json(f) for f in read]
    for f in doc.floats:  # a description written by a run before keeps its place
        if f.label in described:
            f.description, f.described_by = described[f.label].description, described[f.label].described_by
    return read


@st.fragment
def show_floats(doc, pdf: bytes | None) -> None:
    """The paper's tables and figures by section, read from the PDF only when the reader asks (find_tables costs
    hundreds of milliseconds a page): a table as a data frame with its page, a figure as its image, with the
    one-line description a model wrote of it where the run asked for one."""
    from summarizer.model.document import Float
    from summarizer.output.render import figure_description_line

    digest = st.session_state.get("doc_digest")
    described = {f.label: f for f in doc.floats if f.description}
    with st.expander(f"Tables and figures ({len(doc.floats)})", expanded=bool(st.session_state.get(FLOATS_READ, {}).get(digest))):
        read = st.session_state.get(FLOATS_READ, {}).get(digest)
        if read is None:
            st.caption(escape_text(", ".join(f"{f.label} (p. {f.page})" for f in doc.floats)))
            for f in described.values():  # a run reopened from History: its descriptions, without the PDF
                st.markdown(f"**{escape_text(f.label)}** — {figure_description_line(f)}")
            if not pdf:
                st.caption("Their cells and images need the PDF (uploaded in this session).")
                return
            if not st.button("Read the tables and show the figures", key="read_floats", icon=":material/table_chart:"):
                return
            read = located_floats(doc, pdf)
            if read is None:
                return

        titles = {i: s.title for i, s in enumerate(doc.sections)}
        for data in read:
            f = Float.from_json(data)
            where = f" · {escape_text(titles[f.section])}" if f.section in titles else ""
            st.markdown(f"**{escape_text(f.label)}** (p. {f.page}){where} — {escape_text(f.caption)}")
            show_float(f, pdf)
            if f.label in described:
                st.markdown(figure_description_line(described[f.label]))


# -- the summary and its page view -------------------------------------------------------------------

#: The page the page view shows: {"page": int, "highlight": str, "claim": str}.
PAGE_VIEW = "page_view"
#: One listener for the whole page: a click on a page mark (a ``#pm-…`` link in a section's Markdown) or on a
#: table or figure the summary names (``#fr-…``) is sent to Python as the trigger value ``mark``; the link itself
#: goes nowhere, so the page does not scroll or reload. Trusted code of ours; the only data it passes is the link's own fragment.
_PAGE_MARKS_JS = """
export default function (component) {
    window.__summarizerPageMark = component.setTriggerValue;
    if (!window.__summarizerPageMarkListener) {
        window.__summarizerPageMarkListener = (event) => {
            const link = event.target.closest && event.target.closest('a[href^="#pm-"], a[href^="#fr-"]');
            if (!link || !window.__summarizerPageMark) return;
            event.preventDefault();
            event.stopPropagation();
            window.__summarizerPageMark("mark", link.getAttribute("href").slice(1));
        };
        document.addEventListener("click", window.__summarizerPageMarkListener, true);
    }
    return () => {
        if (window.__summarizerPageMark === component.setTriggerValue) window.__summarizerPageMark = null;
    };
}
"""
page_marks = st.components.v2.component("summarizer.page_marks", js=_PAGE_MARKS_JS)


@st.fragment
def show_summary(result, markdown: str, pdf: bytes | None) -> None:
    """The summary, one Markdown block per section (a hundred bullets stay a few elements). With a PDF,
    each page mark is a link that opens that page in a dialog over the summary, where the reader is: a
    fragment, so a click reruns this block alone and nothing above it moves."""
    from summarizer.output.render import key_results_table, section_view
    from summarizer.pdf.page_view import float_anchor, float_target, mark_anchor, mark_target

    if not any(r.bullets for r in result.sections):
        with st.container(border=True):
            st.markdown(markdown)
        return
    with st.container(border=True):
        clicked = page_marks(key="page_marks", on_mark_change=lambda: None).mark if pdf else None
        overview = safe_markdown(result.overview) if result.overview else f"*{escape_text(result.overview_error or 'No overall summary.')}*"
        st.markdown(f"#### Overall summary\n\n{overview}")
        key_results = key_results_table(result)
        if key_results:  # the headline numbers, each citing its page or table (the model's only where checked)
            st.markdown("#### Key results\n\n" + "\n".join(key_results))
        labels = {f.label for f in result.document.floats} if pdf else set()
        for r in result.sections:
            if r.ok or r.status == "failed":
                st.markdown(section_view(r, (lambda line, i=r.index: mark_anchor(i, line)) if pdf else None,
                                         (lambda label: float_anchor(label) if label in labels else None) if labels
                                         else None))
    target = mark_target(result, clicked) if clicked else None
    if target is not None:
        st.session_state[PAGE_VIEW] = {"page": target.page, "highlight": target.sentence, "claim": target.claim}
        page_dialog(pdf)
    named = float_target(result.document.floats, clicked) if clicked and pdf else None
    if named is not None:
        float_dialog(named, pdf)


@st.dialog("Table or figure", width="large")
def float_dialog(named, pdf: bytes) -> None:
    """The table or figure a summary names, beside the summary: its caption and page, and its cells or its region
    cut from the page (found now, on its page alone), or why it cannot be shown."""
    from summarizer.model.document import Float
    from summarizer.pdf.floats import locate_floats

    f = Float.from_json(named.to_json())
    if f.bbox is None and not f.rows:
        try:
            locate_floats(pdf, [f])
        except SummarizerError as exc:
            fail(str(exc))
            return
    st.markdown(f"**{escape_text(f.label)}** (p. {f.page}) — {escape_text(f.caption)}")
    show_float(f, pdf)


def show_float(f, pdf: bytes) -> None:
    """A located table's cells, or a figure's (or an unread table's) region cut from its page; why, where neither
    can be shown (set sideways, an image, a region not found)."""
    from summarizer.model.document import FloatKind
    from summarizer.pdf.page_view import render_region

    if f.kind == FloatKind.TABLE and f.rows:
        width = max(len(r) for r in f.rows)
        rows = [r + [""] * (width - len(r)) for r in f.rows]
        st.dataframe([dict(zip([f"{i + 1}. {h}"[:40] for i, h in enumerate(rows[0])], r, strict=True))
                      for r in rows[1:]], hide_index=True)
    elif f.bbox is not None:
        try:
            st.image(render_region(pdf, f.page, f.bbox), caption=escape_text(f"{f.label}, page {f.page}"))
        except SummarizerError as exc:
            st.caption(escape_text(exc))
    if not f.rows and f.note:  # a table whose cells were not read: why (set sideways, an image, not found)
        st.caption(escape_text(f.note))
    elif f.bbox is None and not f.rows:
        st.caption("Its region was not found on the page; the caption and page are what the PDF shows.")


def _turn_page(page: int) -> None:
    st.session_state[PAGE_VIEW] = {**st.session_state[PAGE_VIEW], "page": page}


@st.dialog("Page view", width="large")
def page_dialog(pdf: bytes) -> None:
    """The page behind a claim, its supporting sentence highlighted, at a width that reads."""
    from summarizer.pdf.page_view import render_page

    view = st.session_state[PAGE_VIEW]
    key = (st.session_state.get("doc_digest"), view["page"], view["highlight"])
    cached = st.session_state.get("page_view_png")
    try:
        if not cached or cached[0] != key:
            cached = (key, render_page(pdf, view["page"], view["highlight"], zoom=2.0))
            st.session_state["page_view_png"] = cached
    except SummarizerError as exc:
        fail(str(exc))
        return
    image = cached[1]
    st.caption(f"The claim: {escape_text(view['claim'])}")
    nav = st.columns([1, 4, 1], vertical_alignment="center")
    nav[0].button("◀", key="page_prev", disabled=image.page <= 1, on_click=_turn_page, args=(image.page - 1,),
                  help="previous page")
    found = " · sentence highlighted" if image.highlighted else (" · sentence not located on the page"
                                                                  if view["highlight"] else "")
    nav[1].markdown(f"**Page {image.page} of {image.pages}**{found}")
    nav[2].button("▶", key="page_next", disabled=image.page >= image.pages, on_click=_turn_page,
                  args=(image.page + 1,), help="next page")
    st.image(image.png, width="stretch")


def main() -> None:
    if ui_session.shared_view(st):  # a share link: that one result, read-only, and nothing of any session
        return
    ui_session.init_session(st)
    settings = page_settings(st)
    if st.session_state.get(ENDPOINT_REFUSED):
        fail(st.session_state[ENDPOINT_REFUSED] + " Runs use the server's own endpoint until you change it on Settings.")
    st.title(":material/summarize: Summarizer")
    st.caption("Section-by-section Markdown summaries of research papers and news articles. "
               f"Backend in use: **{settings.backend_label}** — change it on the Settings page.")
    if settings.backend == "llm" and not settings.api_key and "127.0.0.1" not in settings.base_url \
            and "localhost" not in settings.base_url:
        st.info("The LLM backend has no API key yet: add one on the Settings page (it is kept for this session only).")
    if settings.backend == "llm":
        st.caption(f"Runs use {page_key_owner(st)}.")

    upload_tab, paste_tab, link_tab = st.tabs(["Upload a file", "Paste text", "From a link"])
    with upload_tab:
        upload = st.file_uploader(
            "A paper or article: PDF, Word (.docx), PowerPoint (.pptx), EPUB, OpenDocument (.odt), text, Markdown or HTML",
            type=["pdf", "docx", "pptx", "epub", "odt", "txt", "md", "html", "htm", "mmd"], key=ui_session.uploader_key(st),
            help="Up to 100 MB. If an upload fails with error 403 after the page sat idle (the server restarted and "
                 "your session token expired), reload the page and upload again.")
        if upload is None:
            st.session_state.pop(UPLOAD_TAKEN, None)  # the same file chosen again later is a new choice
        elif st.session_state.get(UPLOAD_TAKEN) != _upload_token(upload, settings):
            try:
                load_upload(upload, settings)
                st.session_state[UPLOAD_TAKEN] = _upload_token(upload, settings)
            except SummarizerError as exc:
                fail(f"{upload.name}: {exc}")
            except Exception as exc:  # never a traceback in the page; the traceback goes to the log
                logger.exception("reading the upload %s failed", upload.name)
                fail(f"{upload.name} could not be read ({exc.__class__.__name__}).")
    with paste_tab:
        with st.form("paste_form"):
            text = st.text_area("Article or paper text (Markdown headings are used as sections)", height=220,
                                key="paste_text")
            submitted = st.form_submit_button("Use this text")
        if submitted:
            try:
                load_paste(text)
            except SummarizerError as exc:
                fail(str(exc))

    with link_tab:
        with st.form("link_form"):
            link = st.text_input("A news article URL, or an arXiv id / URL (e.g. 2401.01234)", key="link_text")
            fetch_it = st.form_submit_button("Fetch")
        if fetch_it:
            load_link(link, settings)

    doc = st.session_state.get("doc")
    if doc is None:
        st.markdown("Upload a paper or paste an article to begin.")
        return
    st.subheader(escape_text(doc.title))
    meta = [doc.source, plural(len(doc.sections), "section"), "Chinese" if doc.language == "zh" else "English"]
    if doc.page_count:
        meta.insert(1, plural(doc.page_count, "page"))
    if doc.authors:
        meta.append(", ".join(doc.authors[:6]))
    st.caption(escape_text(" · ".join(meta)))
    for notice in doc.notices:
        st.info(escape_text(notice))
    with st.expander("Sections found — review before summarizing", expanded="result" not in st.session_state):
        reviewed, chosen = review_sections(doc, settings)
        settings = figure_choice(doc, reviewed, settings)
        if settings.backend == "llm":
            try:
                st.caption(f"Estimate before sending: {estimate(reviewed, settings, chosen)}")
            except SummarizerError as exc:
                fail(str(exc))
    if st.button("Summarize", type="primary", key="summarize"):
        st.session_state["chosen_prompts"] = chosen
        try:
            run_summary(reviewed, settings, section_prompts=chosen)
        except SummarizerError as exc:
            fail(str(exc))
        except Exception as exc:  # the traceback goes to the log
            logger.exception("the summary run failed")
            fail(f"The summary could not be made ({exc.__class__.__name__}); please try again.")
    settle_interrupted_run(settings)
    summarized = "result" in st.session_state and st.session_state.get("result_digest") == st.session_state.get("doc_digest")
    if summarized:
        ui_session.resume_offer(st, settings, run_summary)
        show_result(settings)
        ui_session.rating_panel(st)
        ui_session.share_panel(st)
    from ui.ask import VIEW, ask_panel

    # Under a summary, its page marks open their own dialog: the chat's page view is drawn only once a
    # citation asked for it (a page image on every reload slowed it down).
    ask_panel(st, doc, settings, st.session_state.get("doc_pdf"), with_view=not summarized or bool(st.session_state.get(VIEW)))


MAIN_PAGE = "main_page"


def summarize_page() -> None:
    """The main page, named "Summarize" in the sidebar (Streamlit names a file's page after the file: "app")."""
    main()
    ui_session.save_session(st)


# st.navigation instead of the pages/ folder's automatic list, only to name the main page; every file in
# pages/ is still a page, in the same order, with the same title and address (/Settings, /History …).
# A page that sends the reader back here (History's "Reopen") switches to MAIN_PAGE: a callable page has no
# file for st.switch_page("app.py") to find.
PAGES = [st.Page(summarize_page, title="Summarize", icon=":material/summarize:", default=True)]
PAGES += [st.Page(f"pages/{path.name}") for path in sorted((Path(__file__).parent / "pages").glob("*.py"))]
st.session_state[MAIN_PAGE] = PAGES[0]
st.navigation(PAGES).run()

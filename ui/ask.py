"""The main page's grounding and Q&A parts, as functions taking the ``streamlit`` module.

- ``show_coverage``: the coverage meter above the summary.
- ``ask_panel``: the chat under the summary — questions answered from the document's own text,
  streamed, cited ``[§3.2, p. 5]``; each citation opens its page.

The PDF view renders the page with PyMuPDF (a PNG with highlight annotations): it works offline,
needs no browser component, opens on any page, and can highlight the sentence, which neither
``st.pdf`` nor the PDF viewer components can do from Python.
"""

from __future__ import annotations

import logging
import re

from summarizer.model.errors import SummarizerError
from summarizer.output.escape import escape_text, safe_markdown

log = logging.getLogger(__name__)

VIEW = "ask_view"  # {"page": int, "highlight": str}
TURNS = "ask_turns"  # doc digest → list[Turn]
ASKER = "ask_asker"  # (doc digest, backend label) → Asker


def _show_page(st, page: int | None, highlight: str = "") -> None:
    if page:
        st.session_state[VIEW] = {"page": int(page), "highlight": highlight}


def show_coverage(st, result) -> None:
    from summarizer.verify.coverage import coverage

    st.info(f"**Coverage:** {coverage(result).describe()}", icon=":material/fact_check:")


def pdf_view(st, data: bytes | None) -> None:
    """The PDF page chosen by the last page mark or citation clicked (page 1 at first)."""
    from summarizer.pdf.page_view import render_page

    if not data:
        st.caption("The page view needs an uploaded PDF; page marks still name the page.")
        return
    view = st.session_state.get(VIEW) or {"page": 1, "highlight": ""}
    key = (st.session_state.get("doc_digest"), view["page"], view["highlight"])
    cached = st.session_state.get("ask_view_png")
    try:
        if not cached or cached[0] != key:
            cached = (key, render_page(data, view["page"], view["highlight"]))
            st.session_state["ask_view_png"] = cached
    except SummarizerError as exc:
        st.warning(str(exc))
        return
    image = cached[1]
    nav = st.columns([1, 2, 1], vertical_alignment="center")
    nav[0].button("◀", key="ask_prev", disabled=image.page <= 1, on_click=_show_page, args=(st, image.page - 1),
                  help="previous page")
    found = " · sentence highlighted" if image.highlighted else (" · sentence not located on the page"
                                                                  if view["highlight"] else "")
    nav[1].markdown(f"**Page {image.page} of {image.pages}**{found}")
    nav[2].button("▶", key="ask_next", disabled=image.page >= image.pages, on_click=_show_page,
                  args=(st, image.page + 1), help="next page")
    st.image(image.png, width="stretch", caption=f"PDF page {image.page}")


def _asker(st, doc, settings):
    from summarizer.ask.qa import Asker

    key = (st.session_state.get("doc_digest"), settings.backend_label, settings.prompts_dir)
    held = st.session_state.get(ASKER)
    if not held or held[0] != key:
        held = (key, Asker(doc, settings))
        st.session_state[ASKER] = held
    asker = held[1]
    asker.settings = settings  # the key may have changed; the index stays
    return asker


#: The marks that stand for a citation in an answer's text; its button carries the citation itself.
_MARKS = "¹²³⁴⁵⁶"  # six buttons fit one row; a seventh citation stays in the text


def numbered_citations(answer: str, citations: list) -> tuple[str, list[tuple[str, object]]]:
    """The answer with each checked citation (``[§3.2, p. 5]``) replaced by a numbered mark, and the
    (button label, passage) pairs for those marks: each citation is shown once, as its page button.

    A citation that was not among the passages sent has no button, so it stays in the text as written.
    """
    from summarizer.ask.qa import _CITATION, _key

    by_key = {}
    for p in citations[:len(_MARKS)]:
        by_key.setdefault(_key(p.citation), p)
    order: list[str] = []

    def mark(match) -> str:
        key = _key(match.group(0))
        if key not in by_key:
            return match.group(0)
        if key not in order:
            order.append(key)
        return _MARKS[order.index(key)]

    text = _CITATION.sub(mark, answer)
    text = re.sub(rf"[ \t]+([{_MARKS}])", r"\1", text)  # the mark sits on its word
    return text, [(f"{_MARKS[i]} {by_key[k].citation}", by_key[k]) for i, k in enumerate(order)]


def _citations(st, buttons: list[tuple[str, object]], n: int) -> None:
    """One page button per cited passage, in the order the answer cites them."""
    if not buttons:
        return
    cols = st.columns(len(buttons))
    for i, (label, p) in enumerate(buttons):
        # a label and a tooltip render Markdown (images too): the section title in them is escaped
        cols[i].button(escape_text(label), key=f"cite_{n}_{i}", type="tertiary", on_click=_show_page,
                       args=(st, p.page, _first_sentence(p.text)), help=escape_text(f"{p.section_title}: show this page"))


def _first_sentence(text: str) -> str:
    return " ".join(text.split()[:40])


def _save_with_run(st, turns) -> None:
    """Keep the conversation with the run: on the result (``DocumentSummary.qa``), and in History
    (``SQLiteHistory.save_qa``), so a run reopened later shows its questions and cited answers."""
    state = st.session_state
    result = state.get("result")
    if result is None or state.get("result_digest") != state.get("doc_digest"):
        return
    result.qa = [t.as_json() for t in turns]
    run_id = state.get("run_id")
    if not run_id:
        return
    try:
        from ui.browser_session import store

        store().save_qa(state.get("sid"), run_id, result.qa)
    except Exception as exc:  # History must never break the chat
        log.warning("ask: the conversation could not be saved to History (%s)", exc.__class__.__name__)


def ask_panel(st, doc, settings, pdf: bytes | None = None, with_view: bool = False) -> None:
    """The chat: past turns, then a streamed answer to a new question."""
    from summarizer.ask.qa import RESTART

    digest = st.session_state.get("doc_digest")
    all_turns = st.session_state.setdefault(TURNS, {})
    if digest not in all_turns:  # a run reopened from History brings its conversation back
        from summarizer.ask.qa import Turn

        result = st.session_state.get("result")
        stored = result.qa if result is not None and st.session_state.get("result_digest") == digest else []
        all_turns[digest] = [Turn.from_json(t) for t in stored or []]
    turns = all_turns[digest]
    st.subheader(":material/forum: Ask the paper")
    st.caption(f"Answers come only from this document's text, with the section and page they cite "
               f"(backend: {settings.backend_label}).")
    if with_view and pdf:
        with st.expander("PDF page", expanded=bool(st.session_state.get(VIEW))):
            pdf_view(st, pdf)
    for n, turn in enumerate(turns):
        with st.chat_message("user"):
            st.markdown(escape_text(turn.question))
        with st.chat_message("assistant"):
            _answer_body(st, turn, n)
    # In a container, the input is drawn here, under the conversation. At the page's root Streamlit pins it to
    # the window's bottom and makes the whole page stick to its end: a rerun that briefly shortened the page
    # (a page mark opening its dialog, a pop-over under load) threw the reader to the end of the summary.
    with st.container():
        question = st.chat_input("Ask a question about this document", key="ask_input")
    if not question:
        return
    with st.chat_message("user"):
        st.markdown(escape_text(question))
    with st.chat_message("assistant"):
        box = st.empty()
        try:
            answering = _asker(st, doc, settings).answer(question, turns)
            shown = ""
            for piece in answering.stream():
                shown = "" if piece == RESTART else shown + piece  # a retried call starts again
                box.markdown(safe_markdown(shown) + " ▌")
        except SummarizerError as exc:
            box.error(str(exc), icon="⚠️")
            return
        except Exception as exc:  # never a traceback in the page
            log.exception("ask failed")
            box.error(f"The question could not be answered ({exc.__class__.__name__}); please try again.")
            return
        box.empty()
    turns.append(answering.turn)
    _save_with_run(st, turns)
    st.rerun()


def _answer_body(st, turn, n: int) -> None:
    text, buttons = numbered_citations(turn.answer, turn.citations)
    if turn.found:
        st.markdown(safe_markdown(text))  # quoted passages are document text
    else:
        st.markdown(f":orange[{escape_text(text)}]")
    for notice in turn.notices:
        st.caption(f"⚠️ {notice}")
    _citations(st, buttons, n)
    if turn.tokens_in:
        cost = f", ≈ ${turn.cost_usd:.4f}" if turn.cost_usd is not None else ""
        st.caption(f"{turn.tokens_in:,} tokens in · {turn.tokens_out:,} tokens out{cost}")

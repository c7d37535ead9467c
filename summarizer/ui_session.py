"""Reload-proof browser sessions for the Streamlit pages, backed by the history store.

A session id lives in the URL (``?sid=…``) and in a cookie, so a reload, a bookmark or a new tab
reopens the same document, its section review, its last result and its settings. The API key is
kept only in the browser session unless the user ticks "Remember my API key". Runs are written to
the history as each section finishes (``recorded`` wraps the engine's events), so a reload in the
middle of a run shows what finished and offers to finish the rest.

Each page calls ``init_session(st)`` first and ``save_session(st)`` last; ``st`` is the streamlit module.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator

from .escape import escape_text
from .history import RunRecorder, SQLiteHistory, open_history, reopen
from .review import SectionChoice, default_choices
from .session import SETTINGS_KEY

log = logging.getLogger(__name__)

SID_PARAM = "sid"
COOKIE = "summarizer_sid"
KEEP_KEY = "hist_keep_key"
_SID = re.compile(r"^[0-9a-f]{32}$")


def store() -> SQLiteHistory:
    return open_history()


def session_id(st) -> str:
    """This browser's id: from the URL, else this session, else the cookie, else a new one."""
    state = st.session_state
    candidates = [st.query_params.get(SID_PARAM), state.get("sid")]
    try:
        candidates.append(st.context.cookies.get(COOKIE))
    except Exception:  # no request context (tests, bare mode)
        pass
    sid = next((c for c in candidates if isinstance(c, str) and _SID.match(c)), None) or uuid.uuid4().hex
    if state.get("sid") not in (None, sid):  # another id in the URL (a bookmark): that session now
        for key in ("doc", "doc_digest", "result", "markdown", "result_digest", "run_id", "hist_interrupted",
                    "hist_restored", "hist_saved", "run_digest", "review_saved", "review_current", SETTINGS_KEY):
            state.pop(key, None)
    state["sid"] = sid
    return sid


def _set_cookie(st, sid: str) -> None:
    """Remember the id in this browser (a year), so a new tab finds the same history."""
    if st.session_state.get("hist_cookie") == sid:
        return
    st.session_state["hist_cookie"] = sid
    with st.sidebar:
        st.html(f"<script>document.cookie = '{COOKIE}={sid}; path=/; max-age=31536000; SameSite=Lax';</script>",
                unsafe_allow_javascript=True)


def init_session(st) -> str:
    """Call first on every page: the session id in the URL, and the saved session restored once."""
    sid = session_id(st)
    if st.query_params.get(SID_PARAM) != sid:
        st.query_params[SID_PARAM] = sid
    _set_cookie(st, sid)
    try:
        history = store()
    except Exception as exc:  # the history must never take a page down
        log.error("history: cannot open the store (%s)", exc)
        st.session_state["hist_restored"] = True
        return sid
    if history.notice and not st.session_state.get("hist_notice_shown"):
        st.session_state["hist_notice_shown"] = True
        st.warning(history.notice, icon=":material/history:")
    if not st.session_state.get("hist_restored"):
        st.session_state["hist_restored"] = True
        try:
            _restore(st, history, sid)
        except Exception as exc:
            log.error("history: the saved session could not be restored (%s)", exc)
    st.sidebar.checkbox("Remember my API key", key=KEEP_KEY, on_change=save_session, args=(st,),
                        help="Off: the key stays in this browser session and a reload forgets it. On: it is saved "
                             "with this session on the server, so a reload or a bookmark keeps it.")
    return sid


def _restore(st, history: SQLiteHistory, sid: str) -> None:
    saved = history.load_session(sid)
    if not saved:
        return
    state = st.session_state
    settings = dict(saved.get("settings") or {})
    if saved.get("keep_key") and saved.get("api_key"):
        settings["api_key"] = saved["api_key"]
        state[KEEP_KEY] = True
    if settings and SETTINGS_KEY not in state:
        state[SETTINGS_KEY] = settings
    if saved.get("review"):
        state["review_saved"] = saved["review"]
    if saved.get("chosen_prompts"):
        state["chosen_prompts"] = {int(k): v for k, v in saved["chosen_prompts"].items()}
    digest = saved.get("doc_hash")
    if digest and "doc" not in state:
        document = history.load_document(digest)
        if document is not None:
            state["doc"], state["doc_digest"] = document, digest
            state["doc_pdf"] = history.load_source(digest)
    run_id = saved.get("run_id")
    if run_id and "result" not in state:
        show_run(st, history, sid, run_id, keep_document=True)
    state["hist_saved"] = _fingerprint(_snapshot(st))


def show_run(st, history: SQLiteHistory, sid: str, run_id: str, keep_document: bool = False) -> bool:
    """Put a stored run on the main page as if it had just run (its document too, unless kept)."""
    from .render import render_markdown

    opened = reopen(history, sid, run_id)
    if opened is None:
        return False
    record, summary = opened
    state = st.session_state
    if not (keep_document and state.get("doc_digest") == record.info.doc_hash and "doc" in state):
        state["doc"] = history.load_document(record.info.doc_hash) or summary.document
        state["doc_digest"] = record.info.doc_hash
        state["doc_pdf"] = history.load_source(record.info.doc_hash)  # the page view of the summary
    state["result"], state["result_digest"], state["run_id"] = summary, record.info.doc_hash, run_id
    state["run_digest"] = record.info.doc_hash
    state["markdown"] = record.markdown or render_markdown(summary, bool(record.settings.get("include_reasoning")))
    if record.info.status == "running" and record.unfinished:
        state["hist_interrupted"] = run_id
    else:
        state.pop("hist_interrupted", None)
    return True


def _snapshot(st) -> dict:
    state = st.session_state
    settings = dict(state.get(SETTINGS_KEY) or {})
    key = settings.pop("api_key", "")
    keep = bool(state.get(KEEP_KEY))
    snap = {"settings": settings, "keep_key": keep, "doc_hash": state.get("doc_digest") if "doc" in state else None,
            "run_id": state.get("run_id") if state.get("run_digest") == state.get("doc_digest") else None,
            "review": state.get("review_current") or state.get("review_saved"),
            "chosen_prompts": {str(k): v for k, v in (state.get("chosen_prompts") or {}).items()}}
    if keep and key:
        snap["api_key"] = key
    return snap


def _fingerprint(snap: dict) -> str:
    return hashlib.sha256(json.dumps(snap, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def save_session(st) -> None:
    """Call last on every page (and after a change): the session is saved when it changed."""
    state = st.session_state
    sid = state.get("sid")
    if not sid:
        return
    snap = _snapshot(st)
    mark = _fingerprint(snap)
    if state.get("hist_saved") == mark:
        return
    try:
        history = store()
        if snap["doc_hash"] and state.get("hist_doc_stored") != snap["doc_hash"]:
            history.save_document(snap["doc_hash"], state["doc"])
            if state.get("doc_pdf"):
                history.save_source(snap["doc_hash"], state["doc_pdf"])
            state["hist_doc_stored"] = snap["doc_hash"]
        history.save_session(sid, snap)
        state["hist_saved"] = mark
    except Exception as exc:
        log.error("history: the session could not be saved (%s)", exc)


# -- the section review ----------------------------------------------------------------------------


def review_defaults(st, document) -> list[SectionChoice]:
    """The review the user left for this document (after a reload), else the defaults."""
    saved = st.session_state.get("review_saved") or {}
    choices = saved.get("choices") if saved.get("digest") == st.session_state.get("doc_digest") else None
    if choices and len(choices) == len(document.sections):
        return [SectionChoice(bool(c[0]), str(c[1]), bool(c[2]), c[3] or None) for c in choices]
    return default_choices(document)


def remember_review(st, choices: list[SectionChoice]) -> None:
    st.session_state["review_current"] = {"digest": st.session_state.get("doc_digest"),
                                          "choices": [[c.include, c.title, c.merge_up, c.prompt] for c in choices]}


# -- recording runs --------------------------------------------------------------------------------


def recorded(st, events: Iterator, document, settings, only: set[int] | None = None) -> Iterator:
    """The engine's events, passed through unchanged, each written to the history as it comes.

    A full run starts a new history entry; a partial one (retry, re-ask, finish the rest) updates
    the run on screen. The Markdown stored is the one the page built (read after the last event).
    """
    state = st.session_state
    sid, digest = state.get("sid") or session_id(st), state.get("doc_digest") or "unknown"
    run_id = state.get("run_id") if only is not None and state.get("result_digest") == digest else None
    try:
        history = store()
    except Exception as exc:
        log.error("history: cannot open the store (%s)", exc)
        yield from events
        return
    recorder = RunRecorder(history, sid, document, digest, settings, origin="app", run_id=run_id)
    summary = None
    for event in events:
        recorder(event)
        if recorder.run_id and state.get("run_id") != recorder.run_id:
            state["run_id"], state["run_digest"] = recorder.run_id, digest
            save_session(st)
        if event.kind == "done":
            summary = event.summary
        yield event
    if summary is not None:
        from .render import render_markdown

        markdown = state.get("markdown") or render_markdown(summary, settings.include_reasoning)
        recorder.finish(summary, markdown)
        state.pop("hist_interrupted", None)
        save_session(st)


def resume_offer(st, settings, run_summary: Callable) -> None:
    """After a reload cut a run short: say what finished and offer to finish the rest."""
    state = st.session_state
    run_id = state.get("hist_interrupted")
    result = state.get("result")
    if not run_id or run_id != state.get("run_id") or result is None:
        return
    todo = {r.index for r in result.sections if r.status in ("queued", "running", "retrying")}
    if not todo:
        state.pop("hist_interrupted", None)
        return
    done = sum(r.ok for r in result.sections)
    st.warning(f"This run did not finish (the page was reloaded or closed while it ran): {done} section(s) are done, "
               f"{len(todo)} are not. Sections already answered come from the cache.", icon=":material/history:")
    if st.button(f"Finish the remaining {len(todo)} section(s)", key="hist_finish", type="primary"):
        run_summary(result.document, settings, only=todo, section_prompts=state.get("chosen_prompts"))
        st.rerun()


# -- ratings -----------------------------------------------------------------------------------


def _store_rating(sid: str, run_id: str, section: int | None, key: str, st) -> None:
    value = st.session_state.get(f"{key}_stars")
    try:
        store().rate(sid, run_id, section, None if value is None else int(value) + 1)
    except Exception as exc:
        log.error("history: the rating could not be saved (%s)", exc)


def _store_comment(sid: str, run_id: str, section: int | None, key: str, st) -> None:
    try:
        store().comment(sid, run_id, section, (st.session_state.get(f"{key}_comment") or "").strip())
    except Exception as exc:
        log.error("history: the comment could not be saved (%s)", exc)


def rating_widgets(st, run_id: str, section: int | None, rating: int | None, comment: str, where=None,
                   prefix: str = "rate") -> None:
    """Stars (1-5) and an optional comment for a run (``section=None``) or one of its sections."""
    where = where or st
    sid = st.session_state.get("sid", "")
    key = f"{prefix}_{run_id}_{'run' if section is None else section}"
    # Stored values seed the widgets once; the widgets' parameters never change, so their identity is stable.
    if f"{key}_stars" not in st.session_state and rating is not None:
        st.session_state[f"{key}_stars"] = rating - 1
    if f"{key}_comment" not in st.session_state:
        st.session_state[f"{key}_comment"] = comment
    with where.container():
        st.feedback("stars", key=f"{key}_stars", on_change=_store_rating, args=(sid, run_id, section, key, st))
        st.text_input("Comment", key=f"{key}_comment", label_visibility="collapsed", placeholder="Comment (optional)",
                      on_change=_store_comment, args=(sid, run_id, section, key, st))


def rating_panel(st) -> None:
    """On the main page under a result: rate the run and each of its sections."""
    state = st.session_state
    run_id = state.get("run_id")
    if not run_id or state.get("result_digest") != state.get("doc_digest"):
        return
    record = store().get_run(state.get("sid"), run_id)
    if record is None:
        return
    with st.expander("Rate this summary (stored with the run, included in comparisons)"):
        st.markdown("**The whole summary**")
        rating_widgets(st, run_id, None, record.info.rating, record.info.comment)
        for s in record.sections:
            if s.result.ok:
                st.markdown(f"**{escape_text(s.result.title)}**")
                rating_widgets(st, run_id, s.result.index, s.rating, s.comment)

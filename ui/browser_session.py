"""Reload-proof browser sessions for the Streamlit pages, backed by the history store.

A browser's session is named by an id the server issued, carried only in a cookie as ``id.signature``
(an HMAC under the server's secret, ``server_secret``), never in the address: a reload or a new tab of
the same browser reopens the same document, its section review, its last result and its settings, and
an id the server did not sign is never adopted (no one can choose, or fixate, a session). An old
``?sid=`` in the address is ignored and removed. Streamlit has no supported API to set an HttpOnly
cookie from the app, so the page sets it (``SameSite=Strict``, ``Secure`` over https); the signature is
what makes it unforgeable.

A result is shared through a separate read-only link (``?share=<token>``, the "Share link" button):
it shows that one result, nothing of the session (no History, no settings, no key).

The API key is kept only in the browser session unless the user ticks "Remember my API key"; then it
is stored sealed under the server's secret (never in plain text) and restored for this browser's
session cookie only, never into a shared view. Runs are written to the history as each section
finishes (``recorded`` wraps the engine's events), so a reload in the middle of a run shows what
finished and offers to finish the rest. Session ids are credentials: they are never logged.

Each page calls ``init_session(st)`` first and ``save_session(st)`` last; ``st`` is the streamlit module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from summarizer.config.secret import new_session_id, seal, server_secret, sign_session, unseal, verified_session
from summarizer.output.escape import escape_text
from summarizer.run.review import SectionChoice, default_choices
from summarizer.store.history import SQLiteHistory, open_history
from summarizer.store.recorder import RunRecorder, reopen
from ui.session_settings import SETTINGS_KEY

log = logging.getLogger(__name__)

LEGACY_SID_PARAM = "sid"  # the address carried the id once: ignored and removed now
SHARE_PARAM = "share"
COOKIE = "summarizer_session"
COOKIE_DAYS = 365
KEEP_KEY = "hist_keep_key"
SEALED_KEY = "api_key_sealed"
_SID = re.compile(r"^[0-9a-f]{32}$")
#: How many times a document that is not the uploader's file took its place on the main page (a paste, a link; a
#: run reopened from History needs none: leaving the main page drops its widgets). The uploader's key carries it,
#: so the uploader is emptied then: it never shows a file that is not the document, and choosing that file again
#: is a new choice, not one the uploader already holds.
UPLOAD_ROUND = "upload_round"


def store() -> SQLiteHistory:
    return open_history()


def _configured_secret(st) -> str:
    """``SUMMARIZER_SECRET_KEY`` from st.secrets, if the operator put it there ("" otherwise)."""
    try:
        return str(st.secrets.get("SUMMARIZER_SECRET_KEY", "") or "")
    except Exception:  # no secrets file, or a broken one: the environment or the secret file then
        return ""


def _cookie(st) -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # no request context (tests, bare mode)
        return None


def session_id(st) -> str:
    """This browser's id: the one this session holds, else the one in the signed cookie (only when this
    server signed it), else a new one issued now."""
    state = st.session_state
    sid = state.get("sid")
    if not (isinstance(sid, str) and _SID.match(sid)):
        sid = verified_session(_cookie(st), _configured_secret(st))
        if sid is None:
            sid = new_session_id()
            log.info("issued a new browser session")
    state["sid"] = sid
    return sid


def _set_cookie(st, sid: str) -> None:
    """Keep the signed id in this browser (a year), so a reload or a new tab finds the same session."""
    value = sign_session(sid, _configured_secret(st))
    if _cookie(st) == value:  # the browser sent it: nothing to set
        return
    with st.sidebar:
        st.html(f"<script>document.cookie = '{COOKIE}={value}; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Strict'"
                " + (location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)


def _drop_legacy_id(st) -> None:
    """An id in the address (``?sid=``, a link from before) is never adopted: remove it."""
    try:
        if LEGACY_SID_PARAM in st.query_params:
            del st.query_params[LEGACY_SID_PARAM]
    except Exception as exc:
        log.debug("could not drop the old id from the address (%s)", exc.__class__.__name__)


def init_session(st) -> str:
    """Call first on every page: this browser's session (from its signed cookie, or a new one), restored once."""
    from ui.pages import declared_pages_only

    declared_pages_only(st)  # app.py names the pages (the main page "Summarize"), also on a fresh server
    _drop_legacy_id(st)
    sid = session_id(st)
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
                        help="Off: the key stays in this browser session and a reload forgets it. On: it is saved on "
                             "this server, encrypted with the server's secret, and anyone who opens this app on this "
                             "server with this browser's session cookie can run with it (a share link never can).")
    return sid


def _restore(st, history: SQLiteHistory, sid: str) -> None:
    saved = history.load_session(sid)
    if not saved:
        return
    state = st.session_state
    settings = dict(saved.get("settings") or {})
    settings.pop("api_key", None)
    key = unseal(saved.get(SEALED_KEY), _configured_secret(st)) if saved.get("keep_key") else None
    if key:
        settings["api_key"] = key
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
    # a key stored in plain text by an older version is not restored, and the next save writes over it
    state["hist_saved"] = None if "api_key" in saved else _fingerprint(_snapshot(st), _key_mark(st))


def run_provenance(st):
    """How the result on the page was made, as History recorded it when it ran (its backend, model, host, prompts and
    cost: not the settings of today, which may have changed since, or be another run's); None when it is unrecorded."""
    state = st.session_state
    run_id = state.get("run_id")
    if not run_id or state.get("run_digest") != state.get("result_digest"):
        return None
    try:
        record = store().get_run(session_id(st), run_id)
    except Exception as exc:  # History unreadable: the export says what the page's settings say
        log.error("history: the run's provenance could not be read (%s)", exc)
        return None
    return record.provenance() if record is not None else None


def uploader_key(st) -> str:
    """The main page's file uploader's key in this round (see ``UPLOAD_ROUND``)."""
    n = st.session_state.get(UPLOAD_ROUND, 0)
    return f"upload_{n}" if n else "upload"


def release_upload(st) -> bool:
    """Empty the uploader from the next run on, where it holds a file: a document from elsewhere replaced that
    file. True when it held one (the caller reruns, so the page shows the uploader empty at once)."""
    held = st.session_state.get(uploader_key(st)) is not None
    if held:
        st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
    return held


def show_run(st, history: SQLiteHistory, sid: str, run_id: str, keep_document: bool = False) -> bool:
    """Put a stored run on the main page as if it had just run (its document too, unless kept)."""
    from summarizer.output.render import render_markdown

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
    """What is saved of the session: never the key itself (``save_session`` adds it sealed when kept)."""
    state = st.session_state
    settings = dict(state.get(SETTINGS_KEY) or {})
    settings.pop("api_key", None)
    return {"settings": settings, "keep_key": bool(state.get(KEEP_KEY)),
            "doc_hash": state.get("doc_digest") if "doc" in state else None,
            "run_id": state.get("run_id") if state.get("run_digest") == state.get("doc_digest") else None,
            "review": state.get("review_current") or state.get("review_saved"),
            "chosen_prompts": {str(k): v for k, v in (state.get("chosen_prompts") or {}).items()}}


def _kept_key(st) -> str:
    """The key to remember: this session's own key, when the box is ticked ("" otherwise)."""
    state = st.session_state
    return str((state.get(SETTINGS_KEY) or {}).get("api_key") or "") if state.get(KEEP_KEY) else ""


def _key_mark(st) -> str:
    """A keyed digest of the kept key: the fingerprint notices a new key without holding it."""
    key = _kept_key(st)
    return hmac.new(server_secret(_configured_secret(st)), key.encode("utf-8"), hashlib.sha256).hexdigest() if key else ""


def _fingerprint(snap: dict, key_mark: str = "") -> str:
    return hashlib.sha256(json.dumps({**snap, "key": key_mark}, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def save_session(st) -> None:
    """Call last on every page (and after a change): the session is saved when it changed."""
    state = st.session_state
    sid = state.get("sid")
    if not sid or _share_token(st):
        return
    snap = _snapshot(st)
    mark = _fingerprint(snap, _key_mark(st))
    if state.get("hist_saved") == mark:
        return
    try:
        history = store()
        if snap["doc_hash"] and state.get("hist_doc_stored") != snap["doc_hash"]:
            history.save_document(snap["doc_hash"], state["doc"])
            if state.get("doc_pdf"):
                history.save_source(snap["doc_hash"], state["doc_pdf"])
            state["hist_doc_stored"] = snap["doc_hash"]
        key = _kept_key(st)
        history.save_session(sid, {**snap, SEALED_KEY: seal(key, _configured_secret(st))} if key else snap)
        state["hist_saved"] = mark
    except Exception as exc:
        log.error("history: the session could not be saved (%s)", exc)


# -- share links: one result, read-only --------------------------------------------------------------


def _share_token(st) -> str:
    try:
        token = st.query_params.get(SHARE_PARAM)
    except Exception:
        return ""
    return token if isinstance(token, str) else ""


def share_url(st, token: str) -> str:
    """The address that opens a shared result: this app's root with ``?share=<token>`` (no session id)."""
    try:
        here = urlsplit(st.context.url or "")
        root = f"{here.scheme}://{here.netloc}" if here.scheme and here.netloc else ""
    except Exception:
        root = ""
    return f"{root}/?{SHARE_PARAM}={token}"


def share_panel(st) -> None:
    """Under a result: make a read-only link to it (a new token each time)."""
    state = st.session_state
    run_id = state.get("run_id")
    if not run_id or state.get("result_digest") != state.get("doc_digest"):
        return
    if st.button("Share link", key="share_link", icon=":material/link:",
                 help="A read-only link to this result alone: it shows the summary, never your History, settings or key."):
        try:
            token = store().share_run(state.get("sid"), run_id)
        except Exception as exc:
            log.error("history: the share link could not be made (%s)", exc)
            token = None
        if token is None:
            st.error("This result cannot be shared (it is not in your History).")
        else:
            state["share_made"] = share_url(st, token)
    if state.get("share_made"):
        st.caption("Anyone with this link can read this one result (read-only):")
        st.code(state["share_made"], language=None)


def shared_view(st) -> bool:
    """When the address holds a share token: show that one result read-only and return True (the page
    then shows nothing else: no session is opened, restored or saved, no key is used)."""
    token = _share_token(st)
    if not token:
        return False
    try:
        record = store().shared_run(token)
    except Exception as exc:
        log.error("history: the shared result could not be read (%s)", exc)
        record = None
    if record is None or not record.markdown:
        st.error("This share link does not open anything (it was mistyped, or the result was deleted).")
        return True
    st.caption(f"A shared summary (read-only) · {escape_text(record.info.label)}")
    with st.container(border=True):
        st.markdown(record.markdown)
    from summarizer.output.render import summary_filename

    st.download_button("⬇️ Download Markdown", data=record.markdown.encode("utf-8"), on_click="ignore",
                       file_name=summary_filename(record.info.title, record.info.source), mime="text/markdown",
                       key="share_download")
    from ui.exports import export_menu

    document = store().load_document(record.body_hash)  # this one run's document, which its link opens
    if document is not None:
        export_menu(st, record.to_summary(document), key="share", provenance=record.provenance(),
                    pdf=store().load_source(record.info.doc_hash))  # the paper's record reads its first pages too
    return True


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
        from summarizer.output.render import render_markdown

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

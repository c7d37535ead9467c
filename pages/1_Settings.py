"""Settings: backend, model endpoint, key (this session only), language, length and workers.

Values are kept in this browser session's ``st.session_state``; nothing here is shared with
other sessions or written to disk.
"""

from __future__ import annotations

import streamlit as st

from summarizer.errors import ConfigError
from summarizer.nougat_parser import nougat_available
from summarizer.session import SETTINGS_KEY, settings_from_session
from summarizer.settings import LANGUAGES, LENGTHS

st.set_page_config(page_title="Summarizer · Settings", page_icon="⚙️", layout="wide")


def _secrets():
    try:
        return st.secrets
    except Exception:
        return None


current = settings_from_session(st.session_state, _secrets())
stored = dict(st.session_state.get(SETTINGS_KEY, {}) or {})

st.title("⚙️ Settings")
st.caption(f"Backend in use: **{current.backend_label}**")

with st.form("settings_form"):
    backend = st.radio("Backend", ["extractive", "llm"], index=["extractive", "llm"].index(current.backend),
                       horizontal=True, key="set_backend",
                       help="extractive: built in, offline, no key. llm: any OpenAI-compatible endpoint.")
    st.markdown("**Model endpoint** (OpenAI, DeepSeek, Qwen, a local vLLM or Ollama …)")
    base_url = st.text_input("Base URL", value=current.base_url, key="set_base_url",
                             help="e.g. https://api.openai.com/v1, https://api.deepseek.com/v1, http://localhost:11434/v1")
    model = st.text_input("Model", value=current.model, key="set_model")
    hint = "•••••• (set; leave empty to keep)" if stored.get("api_key") else "kept for this browser session only"
    api_key = st.text_input("API key", value="", type="password", key="set_api_key", placeholder=hint)
    clear_key = st.checkbox("Forget the key", value=False, key="set_clear_key")
    cols = st.columns(3)
    language = cols[0].selectbox("Output language", list(LANGUAGES), index=list(LANGUAGES).index(current.language),
                                 format_func=lambda k: {"auto": "same as source", "en": "English", "zh": "中文 (Chinese)"}[k],
                                 key="set_language")
    length = cols[1].selectbox("Summary length", list(LENGTHS), index=list(LENGTHS).index(current.length), key="set_length")
    workers = cols[2].number_input("Parallel requests", min_value=1, max_value=64, value=int(current.workers), key="set_workers")
    context = st.number_input("Context window (tokens; 0 = from the model table)", min_value=0, max_value=2_000_000,
                              value=int(current.context_window or 0), step=1024, key="set_context")
    st.markdown("**Reading PDFs**")
    pcols = st.columns(2)
    parsers = ["pymupdf", "nougat"] if nougat_available() else ["pymupdf"]
    parser = pcols[0].selectbox("PDF parser", parsers, index=parsers.index(current.parser) if current.parser in parsers else 0,
                                key="set_parser", help="Nougat (OCR for scanned papers) appears here once "
                                "requirements-nougat.txt is installed; it is slow on a CPU.")
    nougat_ckpt = pcols[1].text_input("Nougat checkpoint folder", value=current.nougat_checkpoint or "",
                                      key="set_nougat", disabled=len(parsers) == 1,
                                      help="A local folder with Nougat's config.json and weights; never downloaded by the app.")
    max_pages = st.number_input("Page limit per PDF", min_value=1, max_value=5000, value=int(current.max_pages),
                                key="set_max_pages")
    use_cache = st.checkbox("Reuse cached answers", value=current.use_cache, key="set_cache")
    reasoning = st.checkbox("Include the model's reasoning in the downloaded Markdown", value=current.include_reasoning,
                            key="set_reasoning")
    saved = st.form_submit_button("Save settings", type="primary")

if saved:
    new = {**stored, "backend": backend, "base_url": base_url.strip(), "model": model.strip(), "language": language,
           "length": length, "workers": int(workers), "context_window": int(context) or None,
           "use_cache": use_cache, "include_reasoning": reasoning, "parser": parser,
           "nougat_checkpoint": nougat_ckpt.strip() or None, "max_pages": int(max_pages)}
    if clear_key:
        new["api_key"] = ""
    elif api_key.strip():
        new["api_key"] = "".join(api_key.split())
    st.session_state[SETTINGS_KEY] = new
    try:
        settings_from_session(st.session_state, _secrets()).validate()
        st.success(f"Saved. Backend in use: {settings_from_session(st.session_state, _secrets()).backend_label}")
    except ConfigError as exc:
        st.error(str(exc))

effective = settings_from_session(st.session_state, _secrets())
st.caption(f"Effective endpoint: {effective.base_url} · model {effective.model} · context "
           f"{effective.effective_context} tokens · key {'set' if effective.api_key else 'not set'}")

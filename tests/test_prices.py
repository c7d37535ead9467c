"""True prices: the estimate follows the model chosen on Settings (the maintained table), an unknown
model has no price until the user enters one, and a custom price belongs to its model name only.
Settings page and main page run as AppTests sharing one browser session's state."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from summarizer.config.prices import TABLE_FILE, price_for, price_table
from summarizer.config.settings import Settings
from ui.session_settings import SETTINGS_KEY

APP = str(ROOT / "app.py")
SETTINGS_PAGE = str(ROOT / "pages" / "1_Settings.py")


def _save_settings(state: dict, model: str, price: tuple[float, float] | None = None) -> dict:
    """On the Settings page: type ``model`` (and a price), press Save; returns the session state."""
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.radio(key="set_backend").set_value("llm")
    at.text_input(key="set_model").input(model)
    if price is not None:
        next(n for n in at.number_input if n.key.startswith("set_price_in_")).set_value(price[0])
        next(n for n in at.number_input if n.key.startswith("set_price_out_")).set_value(price[1])
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    return {SETTINGS_KEY: at.session_state[SETTINGS_KEY]}


def _estimate(state: dict, paper_pdf: bytes, app: AppTest | None = None) -> tuple[str, AppTest]:
    if app is None:
        app = AppTest.from_file(APP, default_timeout=60)
        for k, v in state.items():
            app.session_state[k] = v
        app.run()
        app.file_uploader(key="upload").set_value(("sparrow.pdf", paper_pdf, "application/pdf"))
    else:
        app.session_state[SETTINGS_KEY] = state[SETTINGS_KEY]
    app.run()
    assert not app.exception
    return next(c.value for c in app.caption if c.value.startswith("Estimate before sending")), app


def _dollars(text: str) -> float:
    return float(re.search(r"≈ \$([0-9.]+)", text).group(1))


def test_estimate_follows_the_model_and_its_table_price(paper_pdf):
    state = _save_settings({}, "gpt-4o-mini")
    mini, app = _estimate(state, paper_pdf)
    state = _save_settings(state, "gpt-4o")  # the price fields still showed gpt-4o-mini's price
    big, _ = _estimate(state, paper_pdf, app)  # the same page, rerun: the cached estimate must not stick
    tokens = [int(x.replace(",", "")) for x in re.findall(r"~([0-9,]+) tokens", mini)]
    want = {m: (tokens[0] * price_table()[m][0] + tokens[1] * price_table()[m][1]) / 1e6 for m in ("gpt-4o-mini", "gpt-4o")}
    assert _dollars(mini) == pytest.approx(want["gpt-4o-mini"], abs=1e-4)
    assert _dollars(big) == pytest.approx(want["gpt-4o"], abs=1e-4)
    assert state[SETTINGS_KEY].get("custom_prices", {}) == {}


def test_unknown_model_has_no_price_until_entered_and_the_price_stays_with_it(paper_pdf):
    state = _save_settings({}, "gpt-4o-mini")
    state = _save_settings(state, "my-local-model")
    text, app = _estimate(state, paper_pdf)
    assert "no price known for my-local-model" in text and "$" not in text
    state = _save_settings(state, "my-local-model", (1.0, 2.0))
    text, _ = _estimate(state, paper_pdf, app)
    assert "≈ $" in text
    assert state[SETTINGS_KEY]["custom_prices"] == {"my-local-model": (1.0, 2.0)}
    state = _save_settings(state, "gpt-4o")  # the custom price does not follow to another model
    assert Settings(model="gpt-4o", prices={**price_table(), **state[SETTINGS_KEY]["custom_prices"]}).price == (2.5, 10.0)
    state = _save_settings(state, "my-local-model-2")
    text, _ = _estimate(state, paper_pdf, app)
    assert "no price known for my-local-model-2" in text


@pytest.mark.parametrize("model,expected", [
    ("gpt-4o", (2.5, 10.0)), ("gpt-4o-2024-08-06", (2.5, 10.0)), ("openai/gpt-4o-mini", (0.15, 0.6)),
    ("gpt-4o-audio-preview", None), ("gpt-4", (30.0, 60.0)), ("gpt-4.5-preview", None), ("my-model", None),
    ("deepseek-chat", (0.28, 0.42)), ("qwen-plus-latest", (0.4, 1.2)), ("qwen-plus-2025-07-28", (0.4, 1.2)),
])
def test_a_model_gets_its_own_price_or_none(model, expected):
    assert price_for(model, price_table()) == expected


def test_price_table_is_documented_and_covers_the_providers():
    data = json.loads(TABLE_FILE.read_text())
    assert data["checked"] and set(data["sources"]) >= {"openai", "deepseek", "qwen"}
    names = set(data["models"])
    assert {"gpt-4o", "gpt-4o-mini", "deepseek-chat", "deepseek-reasoner", "qwen-plus", "qwen-max"} <= names
    assert all(len(p) == 2 and p[0] > 0 and p[1] > 0 for p in data["models"].values())

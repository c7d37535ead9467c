"""Model prices: the maintained table in ``prices.json`` (with its sources and the date it was
checked), and the one rule for finding a model's price in it.

A model matches only its own name, or its name plus a date/version suffix (``gpt-4o-2024-08-06``,
``qwen-plus-latest``); a provider prefix (``openai/gpt-4o``) is ignored. Anything else has no known
price, rather than the price of a model whose name it happens to start with (``gpt-4o-audio-preview``
is not ``gpt-4o``, ``my-model`` is not ``gpt-4o-mini``).
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

TABLE_FILE = Path(__file__).resolve().parent / "prices.json"
_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{2}-\d{2}|latest)$")

Price = tuple[float, float]


@lru_cache(maxsize=1)
def price_table() -> dict[str, Price]:
    """The shipped table: model name → (USD per 1M input tokens, USD per 1M output tokens)."""
    try:
        data = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
        return {name.lower(): (float(p[0]), float(p[1])) for name, p in data["models"].items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:  # a broken table: tokens only
        log.error("the price table %s cannot be read (%s); no prices are known", TABLE_FILE, exc)
        return {}


def table_checked() -> str:
    try:
        return str(json.loads(TABLE_FILE.read_text(encoding="utf-8")).get("checked", "?"))
    except (OSError, ValueError):
        return "?"


def model_key(model: str) -> str:
    """The name a price is stored under: lower case, without a provider prefix."""
    return model.strip().lower().split("/")[-1]


def price_for(model: str, table: dict[str, Price]) -> Price | None:
    """The model's price from ``table``, or None when it is not known."""
    name = model_key(model)
    while name:
        if name in table:
            price = table[name]
            return price if (price[0] or price[1]) else None
        stripped = _SUFFIX.sub("", name)
        if stripped == name:
            return None
        name = stripped
    return None


def cost_usd(tokens_in: int, tokens_out: int, price: Price | None) -> float | None:
    """What ``tokens_in`` sent and ``tokens_out`` received cost at ``price`` (US$ per million tokens, in and
    out), or None when the price is not known. The one place the price formula is written."""
    if not price:
        return None
    return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000

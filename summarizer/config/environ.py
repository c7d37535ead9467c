"""Settings from the environment without the settings model: variable names, raw values, and what
reading a document needs.

``Settings.from_env`` reads every field through ``env_value``; a command that only reads documents
(``sections``) takes its three settings from ``ReadOptions.from_env`` without importing the settings
model and what it imports (prices, the section-group rules). Both read the same variables by the same
rules, so the environment means one thing everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from summarizer.model.errors import ConfigError

ENV_PREFIX = "SUMMARIZER_"
#: the page limit per PDF: its default and the largest value allowed
MAX_PAGES = 600
MAX_PAGES_LIMIT = 100_000
#: the variables that name a Nougat checkpoint, ours first
NOUGAT_CHECKPOINT_VARS = ("SUMMARIZER_NOUGAT_CHECKPOINT", "NOUGAT_CHECKPOINT")


def env_names(field: str, choices: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The variables a setting is read from: the upper-case ones among its alias ``choices`` in their
    order, else ``SUMMARIZER_<FIELD>``."""
    named = [c for c in choices if isinstance(c, str) and c.isupper()]
    return named or [ENV_PREFIX + field.upper()]


def env_value(names: list[str]) -> tuple[str, str] | None:
    """(variable, value) of the first of ``names`` set in the environment, in any case; else None."""
    env = {k.upper(): v for k, v in os.environ.items()}
    found = next((n for n in names if n in env), None)
    return None if found is None else (found, env[found])


def page_limit(value: object) -> int:
    """A page limit as an int from 1 to ``MAX_PAGES_LIMIT``; else ``ConfigError`` naming the setting."""
    from summarizer.config.typed_model import convert  # the settings model's own reading of an int ("600.0" is 600)

    try:
        pages = convert(value, int)
    except ValueError:
        pages = 0
    if not 1 <= pages <= MAX_PAGES_LIMIT:
        raise ConfigError(f"Invalid setting 'max_pages' (got {str(value)[:60]!r}): "
                          f"a whole number of pages from 1 to {MAX_PAGES_LIMIT} is needed.")
    return pages


@dataclass(frozen=True)
class ReadOptions:
    """What reading a document takes from the settings."""

    #: PDF parser: ``pymupdf`` or ``nougat``
    parser: str = "pymupdf"
    #: page limit per PDF
    max_pages: int = MAX_PAGES
    #: a local Nougat checkpoint folder
    nougat_checkpoint: str | None = None

    @classmethod
    def from_env(cls, parser: str | None = None, max_pages: int | None = None) -> ReadOptions:
        """Defaults, then ``SUMMARIZER_PARSER``, ``SUMMARIZER_MAX_PAGES`` and the checkpoint variables,
        then the arguments that are not None."""
        env_parser = env_value(env_names("parser"))
        env_pages = env_value(env_names("max_pages"))
        checkpoint = env_value(list(NOUGAT_CHECKPOINT_VARS))
        chosen = parser or (env_parser[1] if env_parser else "pymupdf")
        if chosen not in ("pymupdf", "nougat"):
            raise ConfigError(f"Invalid setting 'parser' (got {chosen[:60]!r}): choose 'pymupdf' or 'nougat'.")
        pages = page_limit(max_pages if max_pages is not None else env_pages[1] if env_pages else MAX_PAGES)
        return cls(chosen, pages, checkpoint[1] if checkpoint else None)

"""Logging setup for the CLI and the app: one place that decides handlers, levels and format.

The library only creates loggers (``logging.getLogger(__name__)``, one per module) and never
configures them. The CLI calls ``configure_cli`` (``-v`` → INFO, ``-vv`` → DEBUG, ``--log-file``);
the app calls ``configure_app``, which writes a rotating file in the data folder. Every handler
carries ``RedactSecrets``, so an API key or a bearer token that reaches a message is masked; the
library still never logs the key or document text at INFO.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

from summarizer.config.paths import data_dir

logger = logging.getLogger(__name__)

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
_OURS = "summarizer"
_MARK = "_summarizer_handler"
#: Key-shaped strings: OpenAI/DeepSeek style ``sk-…``, other providers' long ``…-key`` tokens, bearer headers.
_SECRET = re.compile(r"(?i)(\bsk-[A-Za-z0-9_\-]{6,}|\bBearer\s+[A-Za-z0-9._\-]{6,}|\bapi[_-]?key[\"']?\s*[:=]\s*[\"']?[^\s\"',]{6,})")


class RedactSecrets(logging.Filter):
    """Masks key-shaped strings (and any key registered with ``add_secret``) in every record."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must not break logging; logging prints its own report
            return True
        clean = _SECRET.sub("***", message)
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != message:
            record.msg, record.args = clean, None
        return True


REDACT = RedactSecrets()


def add_secret(value: str) -> None:
    """Mask this exact value in every log line from now on (keys that do not look like ``sk-…``)."""
    value = (value or "").strip()
    if len(value) >= 6:
        REDACT.secrets.add(value)


class _Brief(logging.Formatter):
    """Without -v: 'warning: message' on stderr, no tracebacks (those go to the log file)."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.levelname
        record.exc_info, record.exc_text, record.levelname = None, None, record.levelname.lower()
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.levelname = saved


def _skip_tracebacks(record: logging.LogRecord) -> bool:
    return record.exc_info is None  # an unexpected error: the CLI prints its own one line


def _attach(handler: logging.Handler, level: int) -> logging.Handler:
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(REDACT)
    setattr(handler, _MARK, True)
    logging.getLogger(_OURS).addHandler(handler)
    return handler


def _remove_ours() -> None:
    root = logging.getLogger(_OURS)
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()


def configure_cli(verbose: int = 0, log_file: str | Path | None = None) -> None:
    """stderr gets warnings as one short line each (``-v``: info, ``-vv``: debug, with tracebacks);
    ``log_file`` gets everything from INFO up (DEBUG with ``-vv``), with tracebacks."""
    _remove_ours()
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.getLogger(_OURS).setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    stderr = _attach(logging.StreamHandler(sys.stderr), level)
    if verbose <= 0:
        stderr.setFormatter(_Brief())
        stderr.addFilter(_skip_tracebacks)
    if log_file:
        path = Path(log_file).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        _attach(logging.FileHandler(path, encoding="utf-8"), logging.DEBUG if verbose >= 2 else logging.INFO)
    logging.getLogger(_OURS).propagate = False


def app_log_path() -> Path:
    return data_dir() / "logs" / "summarizer.log"


def configure_app(level: int = logging.INFO) -> Path:
    """A rotating log file in the data folder (5 × 2 MB), set up once per process."""
    path = app_log_path()
    root = logging.getLogger(_OURS)
    for handler in root.handlers:
        if getattr(handler, _MARK, False) and getattr(handler, "baseFilename", None) == str(path):
            return path
    _remove_ours()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _attach(logging.handlers.RotatingFileHandler(path, maxBytes=2 * 1024 * 1024, backupCount=5, encoding="utf-8"),
                level)
    except OSError as exc:  # a read-only data folder: log to stderr instead of failing the app
        _attach(logging.StreamHandler(sys.stderr), level)
        logger.warning("cannot write the log file %s (%s); logging to stderr", path, exc)
    root.setLevel(level)
    root.propagate = False
    return path

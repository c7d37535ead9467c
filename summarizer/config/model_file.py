"""Whether a path names a model file llama.cpp can read (a GGUF file): checked when the settings choose the
local backend, before any server starts."""

from __future__ import annotations

from pathlib import Path

from summarizer.model.errors import ConfigError


def check_model_file(path: str) -> Path:
    """The model file, or a one-line reason it cannot be used."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"There is no model file at '{path}'; point to a GGUF file on this machine.")
    with p.open("rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise ConfigError(f"'{p.name}' is not a GGUF model file (llama.cpp reads .gguf files).")
    return p.resolve()

"""Our own exception types. Every one carries a one-line message meant for a person.

The UI and the CLI show ``str(error)`` and nothing else: no traceback ever reaches a user.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Base class: ``str(err)`` is a single human sentence."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
        self.message = str(self)


class InputError(SummarizerError):
    """The input cannot be read or holds nothing to summarize."""

    exit_code = 2


class ScannedPdfError(InputError):
    """The PDF has pages but no text layer."""


class EncryptedPdfError(InputError):
    """The PDF needs a password we do not have."""


class ConfigError(SummarizerError):
    """A setting is invalid (base URL, model, worker count, prompt folder ...)."""

    exit_code = 2


class BackendError(SummarizerError):
    """A summarization backend failed for one section or one call."""


class PromptError(SummarizerError):
    """A prompt file is invalid; carries the file name and line where known."""

    exit_code = 2


class GarbledPdfError(ScannedPdfError):
    """The PDF has a text layer, but it extracts as meaningless codes (fonts without a character map)."""


class ContextOverflow(BackendError):
    """The request did not fit the model's context window; ``limit`` is the real window when the
    server named it ("maximum context length is N", llama.cpp's ``n_ctx``), else None."""

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class Cancelled(BackendError):
    """The run was stopped (Stop, rerun, closed tab, time limit): no new request is sent."""


class EndpointUnavailable(BackendError):
    """The endpoint cannot serve this run (unreachable, wrong URL, key rejected, asked to wait
    longer than the cap); every queued call fails at once with the same reason."""


class ImagesRefused(BackendError):
    """The endpoint refused a request that carried an image (a text-only model or server): learned once per
    endpoint, after which no image is sent to it again; what needed the image is skipped, never failed."""

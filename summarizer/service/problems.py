"""Errors as RFC 9457 problem documents: ``type``, ``title``, ``status``, ``detail`` (one clear sentence),
and headers such as ``Retry-After``. Routes raise ``Problem``; ``app.py`` turns it (and every other error,
never with a traceback) into ``application/problem+json``."""

from __future__ import annotations

from http import HTTPStatus

PROBLEM_TYPE = "https://summarizer.invalid/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An error a client gets: ``status``, a short ``slug`` naming its kind, one sentence of ``detail``."""

    def __init__(self, status: int, slug: str, detail: str, headers: dict[str, str] | None = None,
                 **extra: object) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str = "") -> dict:
        out = {"type": PROBLEM_TYPE + self.slug, "title": HTTPStatus(self.status).phrase, "status": self.status,
               "detail": self.detail}
        if instance:
            out["instance"] = instance
        out.update(self.extra)
        return out


def not_found(what: str, ident: str) -> Problem:
    """Unknown, or another client's: the same answer, so ids cannot be probed."""
    return Problem(404, "not-found", f"There is no {what} '{ident[:80]}' for this API key.")

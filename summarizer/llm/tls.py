"""The TLS trust store, loaded once per process. httpx builds a fresh SSL context (the CA bundle parsed
again) for every client, ~70 ms of CPU; a client per run made that a third of the HTTP service's CPU per
news article. One context serves every client and thread (``ssl.SSLContext`` is safe to share)."""

from __future__ import annotations

import functools
import ssl


@functools.lru_cache(maxsize=1)
def trust_context() -> ssl.SSLContext:
    """httpx's own default context (its CA bundle, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` as set at first use)."""
    import httpx2

    return httpx2.create_ssl_context()

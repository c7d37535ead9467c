"""The HTTP service (``summarizer serve``, ``summarizer worker``): a ``/v1`` API over the same library the
app and the CLI call. One job model for every request (``jobs.py``), kept in a store that outlives the
process (``store.py``: SQLite beside History; ``redis_store.py``: Redis, for API replicas and workers on
several machines); jobs run in the server's own thread pool or on ``summarizer worker`` processes fed by a
Redis-backed queue (``dispatch.py``, ``worker.py``). Clients hold API keys (``keys.py``) with limits
(``quotas.py``); every error is an RFC 9457 problem (``problems.py``).

The top floor but one: it may import every floor below it (``run``, ``ask``, ``store`` …), never ``cli``."""

"""Putting the service together: the store and dispatcher its settings choose, whether it may start without
keys (on a loopback address only; it needs them once one is created), the lines it says when it starts, and
uvicorn serving it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from summarizer.config.settings import Settings
from summarizer.inputs.netguard import is_loopback_host
from summarizer.model.errors import ConfigError
from summarizer.service.keys import KeyGate
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)

MISSING = "The HTTP service needs its packages: pip install -r requirements-service.txt"


def open_store(service: ServiceSettings):
    """The store the settings choose: Redis for the Redis queue, else SQLite in the data folder."""
    if service.queue == "redis":
        from summarizer.service.redis_store import RedisServiceStore

        return RedisServiceStore(service.redis_url, service.redis_prefix)
    from summarizer.service.store import DB_NAME, SQLiteServiceStore

    return SQLiteServiceStore(Path(service.data_dir) / DB_NAME if service.data_dir else None)


def build_service(service: ServiceSettings, base: Settings | None = None):
    """The ``Service`` the routes share; ``ConfigError`` for a server that would be open to others without keys."""
    try:
        from summarizer.service.app import Service
        from summarizer.service.metrics import ServiceMetrics
    except ImportError as exc:
        raise ConfigError(f"{MISSING} ({exc.name} is missing).") from None
    base = base or Settings.from_env()
    base.validate()
    store = open_store(service)
    keys = KeyGate(store)
    if not keys.needed and not is_loopback_host(service.host):
        raise ConfigError(f"Listening on {service.host} serves other machines, so this server needs API keys: "
                          "create one with 'summarizer keys create NAME' first.")
    metrics = ServiceMetrics(store)
    if service.queue == "redis":
        from summarizer.service.redis_queue import RedisDispatcher

        dispatcher = RedisDispatcher(store, service)
    else:
        from summarizer.service.dispatch import ThreadDispatcher

        dispatcher = ThreadDispatcher(store, base, service, observe=metrics.observe_job)
    return Service(store=store, base=base, settings=service, dispatcher=dispatcher, keys=keys, metrics=metrics)


def startup_lines(built) -> list[str]:
    """What the server says when it starts: where, which backend, where jobs run, and whether keys are needed."""
    s = built.settings
    lines = [f"Summarizer API on http://{s.host}:{s.port} (docs at /docs) with backend {built.base.backend_label}; "
             + ("jobs run on summarizer worker processes via Redis." if s.queue == "redis" else
                (f"jobs run in its {s.processes} processes ({s.job_threads} at once in each)." if s.processes > 1 else
                 f"jobs run in this process ({s.job_threads} at once)."))]
    if not built.keys.needed:
        lines.append("No API keys exist, so requests need none: allowed because it listens on loopback only. "
                     "Once a key is created ('summarizer keys create NAME'), every request needs one, without a restart.")
    return lines


def serve(service: ServiceSettings, base: Settings | None = None, announce=None) -> None:
    """Run the API until interrupted (in ``service.processes`` processes)."""
    built = build_service(service, base)
    try:
        import uvicorn

        from summarizer.service.app import BodyLimit, create_app
    except ImportError as exc:
        raise ConfigError(f"{MISSING} ({exc.name} is missing).") from None
    from summarizer.config.logs import add_secret

    add_secret(built.base.clean_key())  # the provider's key never reaches a log line
    for line in startup_lines(built):
        if announce is not None:
            announce(line)
        else:
            log.info(line)
    options = dict(host=service.host, port=service.port, log_level="warning", access_log=False,
                   timeout_graceful_shutdown=5, proxy_headers=False)
    if service.processes > 1:  # each process builds its own service from the same settings
        os.environ.update(service.environment())
        uvicorn.run("summarizer.service.serve:app_from_environment", factory=True, workers=service.processes, **options)
        return
    uvicorn.run(BodyLimit(create_app(built), service.max_upload_bytes), **options)


def app_from_environment():
    """The app of one of several server processes (uvicorn's factory), from ``SUMMARIZER_SERVICE_*``."""
    from summarizer.config.logs import add_secret
    from summarizer.service.app import BodyLimit, create_app

    service = ServiceSettings.from_env()
    built = build_service(service)
    add_secret(built.base.clean_key())
    return BodyLimit(create_app(built), service.max_upload_bytes)

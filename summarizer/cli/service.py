"""``summarizer serve`` (the HTTP API), ``summarizer worker`` (a process running the API's jobs from the
Redis queue) and ``summarizer keys create|list|revoke`` (the API's client keys, stored as hashes)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from summarizer.model.errors import InputError

EXIT_OK = 0


def _service_settings(args):
    from summarizer.service.settings import ServiceSettings

    return ServiceSettings.from_env(host=getattr(args, "host", None), port=getattr(args, "port", None),
                                    queue=getattr(args, "queue", None), redis_url=getattr(args, "redis_url", None),
                                    job_threads=getattr(args, "threads", None) if args.command == "serve" else None,
                                    worker_threads=getattr(args, "threads", None) if args.command == "worker" else None,
                                    data_dir=getattr(args, "data_dir", None),
                                    worker_metrics_port=getattr(args, "metrics_port", None),
                                    processes=getattr(args, "processes", None))


def _add_where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queue", choices=["thread", "redis"],
                        help="where jobs run: this process (thread, the default) or worker processes via Redis")
    parser.add_argument("--redis-url", help="Redis for --queue redis (default redis://127.0.0.1:6379/0)")
    parser.add_argument("--data-dir", help="folder of the job store for --queue thread (default: the data folder)")


def cmd_serve(args) -> int:
    from summarizer.service.serve import serve

    serve(_service_settings(args), announce=lambda line: print(line, file=sys.stderr, flush=True))
    return EXIT_OK


def cmd_worker(args) -> int:
    from summarizer.config.settings import Settings
    from summarizer.service.redis_queue import run_worker

    args.queue = "redis"
    service = _service_settings(args)
    base = Settings.from_env()
    base.validate()
    print(f"Summarizer worker: {service.worker_threads} job(s) at once, backend {base.backend_label}, "
          f"Redis {service.redis_url.split('@')[-1]}", file=sys.stderr, flush=True)
    run_worker(service, base)
    return EXIT_OK


def cmd_keys(args) -> int:
    from summarizer.service.keys import create_key
    from summarizer.service.serve import open_store

    service = _service_settings(args)
    store = open_store(service)
    if args.action == "create":
        token, key = create_key(store, args.name, service, args.rpm, args.concurrent_jobs, args.tokens_per_day,
                                args.expires_days)
        if args.json:
            print(json.dumps({"key": token, **key.public()}))
        else:
            print(token)
            print(f"Key {key.id} ('{key.name}'): {key.rpm} requests/min, {key.concurrent_jobs} jobs at once, "
                  f"{key.tokens_per_day:,} tokens/day. It is shown only now; the server keeps its hash.", file=sys.stderr)
        return EXIT_OK
    if args.action == "list":
        keys = store.list_keys()
        if args.json:
            print(json.dumps([k.public() for k in keys], indent=2))
            return EXIT_OK
        for k in keys:
            state = "revoked" if k.revoked else ("expired" if k.expires and k.expires < time.time() else "active")
            made = time.strftime("%Y-%m-%d", time.localtime(k.created))
            print(f"{k.id}\t{k.name}\t{state}\tcreated {made}\t{k.rpm}/min\t{k.concurrent_jobs} jobs\t{k.tokens_per_day:,} tokens/day")
        if not keys:
            print("No API keys: the server runs without keys, on loopback only.", file=sys.stderr)
        return EXIT_OK
    if not store.revoke_key(args.id):
        raise InputError(f"There is no active key '{args.id}' (see summarizer keys list).")
    print(f"Revoked {args.id}: requests with it now get 401.", file=sys.stderr)
    return EXIT_OK


def add_service_commands(sub, log_flags) -> None:
    """``serve``, ``worker`` and ``keys``, added to the CLI's subparsers."""
    s = sub.add_parser("serve", help="run the HTTP API (/v1; docs at /docs)")
    log_flags(s, argparse.SUPPRESS)
    s.add_argument("--host", help="address to listen on (default 127.0.0.1; another needs API keys)")
    s.add_argument("--port", type=int, help="port (default 8000)")
    s.add_argument("--threads", type=int, help="jobs run at once in each server process (default 16)")
    s.add_argument("--processes", type=int, help="server processes (default 1; about one per core)")
    _add_where(s)
    s.set_defaults(func=cmd_serve)

    w = sub.add_parser("worker", help="run the API's jobs from the Redis queue (any number of machines)")
    log_flags(w, argparse.SUPPRESS)
    w.add_argument("--threads", type=int, help="jobs run at once by this worker (default 4; one worker per core)")
    w.add_argument("--redis-url", help="Redis (default redis://127.0.0.1:6379/0)")
    w.add_argument("--metrics-port", type=int, help="serve this worker's /metrics on this port (default: none)")
    w.set_defaults(func=cmd_worker)

    k = sub.add_parser("keys", help="create, list or revoke the API's client keys")
    log_flags(k, argparse.SUPPRESS)
    _add_where(k)
    actions = k.add_subparsers(dest="action", required=True)
    c = actions.add_parser("create", help="a new key, printed once")
    c.add_argument("name", help="who the key is for")
    c.add_argument("--rpm", type=int, help="requests per minute (default 120)")
    c.add_argument("--concurrent-jobs", type=int, help="unfinished jobs at once (default 8)")
    c.add_argument("--tokens-per-day", type=int, help="model tokens per UTC day (default 2,000,000)")
    c.add_argument("--expires-days", type=float, help="days until the key stops working (default: never)")
    c.add_argument("--json", action="store_true")
    ls = actions.add_parser("list", help="the keys, without their secrets")
    ls.add_argument("--json", action="store_true")
    r = actions.add_parser("revoke", help="stop a key from working")
    r.add_argument("id", help="the key's id (key_…, from keys list)")
    k.set_defaults(func=cmd_keys)

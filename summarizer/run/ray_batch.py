"""Batches on Ray (``batch --engine ray``): the same documents in and the same files out as the local
engine (``run_batch``), with parsing and summarizing spread over a Ray cluster's workers.

* The driver reads the inputs, skips what an earlier run finished (content hash and settings, as the
  local engine does), and writes every result itself as it arrives (``BatchOutput``: Markdown and JSON
  atomically, then the index line). A worker killed mid-run is restarted by Ray; its document is written
  once, when a result comes back, so a kill loses nothing and duplicates nothing, and a re-run asks only
  for the documents that have no result.
* Documents go in batches (``map_batches``) to a pool of Ray actors, at most one per CPU and no more than
  ``workers``; an actor runs its batch's documents concurrently through one client that lives as long as it
  does (model calls wait on the network). ``workers`` (model calls in flight) and the endpoint's ceilings
  (``requests_per_minute``, ``tokens_per_minute``) are the whole batch's: each actor holds its share, and its
  rate window lasts across its batches, so together they stay under the ceiling wherever the actors land.
* A document that fails is a result with its reason (``process_item`` never raises); a failure of Ray
  itself (the cluster gone, an actor dead past its restarts) fails the documents it left without a result,
  each with one line, and the traceback goes to the log.
* On a local Ray (started for the run) the workers read the files where they are and write History;
  on an existing cluster (``address``) the driver sends each file's bytes, and History is not written
  (the store is a file on this machine).

Ray is an optional install (``requirements-ray.txt``).
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Callable
from pathlib import Path

from summarizer.config.settings import Settings
from summarizer.model.errors import ConfigError
from summarizer.run.batch import (
    BatchItem,
    BatchOutput,
    BatchReport,
    BatchResult,
    BatchStatus,
    drive_batch,
    process_item,
    shared_client,
)

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 5.0  # seconds to reach a cluster's address before saying it is not there
#: Restarts of an actor whose process died (and retries of its batch): a document that kills its worker
#: every time fails after these, with its batch, instead of being retried for ever (Ray's default).
ACTOR_RESTARTS = 2


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ConfigError("The Ray engine needs Ray: pip install -r requirements-ray.txt "
                          "(or run without --engine ray).") from None
    return ray


def start_ray(address: str | None, num_cpus: int | None) -> bool:
    """Connect to ``address``, or start a local Ray with ``num_cpus``; True when this call started it
    (and the caller shuts it down). Ray's own logging stays in its log files."""
    ray = _ray()
    if ray.is_initialized():
        return False
    _quiet()
    if address:
        _check_reachable(address)
    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        log.exception("ray.init failed")
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise ConfigError(f"Could not start {where} ({str(exc).splitlines()[0][:160]}).") from None
    _quiet()
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return True


def _check_reachable(address: str) -> None:
    """A cluster address of the form host:port (or ray://host:port) that nothing answers on is said at once:
    Ray itself retries a dead address for minutes."""
    import socket

    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms are Ray's to resolve
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ConfigError(f"Could not start the Ray cluster at {address} (nothing answers there: "
                          f"{exc.strerror or exc.__class__.__name__}); check --ray-address.") from None


def _quiet() -> None:
    """Ray's notes and progress lines stay out of our stderr (they would cut through the batch's progress)."""
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


def shared_settings(settings: Settings, parallel: int) -> Settings:
    """The settings one of ``parallel`` actors runs with: its share of the endpoint's ceilings and of the
    model calls in flight (``workers`` is the whole batch's, as with the local engine)."""
    changes: dict = {"workers": max(1, settings.workers // parallel)}
    for name in ("requests_per_minute", "tokens_per_minute"):
        ceiling = getattr(settings, name)
        if ceiling:
            changes[name] = max(1, math.floor(ceiling / parallel))
    return settings.replace(**changes)


def _row(item: BatchItem, send_bytes: bool) -> dict:
    data = item.data
    if data is None and send_bytes and item.text is None and Path(item.source).is_file():
        data = Path(item.source).read_bytes()
    return {"id": item.id, "source": Path(item.source).name if data is not None and item.data is None else item.source,
            "text": item.text, "title": item.title, "data": data}


class _SummarizeBatch:
    """One Ray actor's work: batches of documents summarized ``settings.workers`` at a time (model calls
    wait on the network), through one client that lives as long as the actor, so its concurrency limit and
    rate window hold across batches. Returned as columns, each document's JSON as text (the rows of a column
    must share a type)."""

    def __init__(self, settings: Settings, history: str | None) -> None:
        self.settings, self.history = settings, history  # the driver's History store (None: not written)
        self.client = shared_client(settings)

    def __call__(self, batch) -> dict[str, list]:
        from concurrent.futures import ThreadPoolExecutor

        from summarizer.store.recorder import batch_recorder

        columns = batch.to_pydict()  # Arrow keeps a missing value None (numpy makes an empty bytes column NaN)
        items = [BatchItem(i, s, t, title, d) for i, s, t, title, d in
                 zip(columns["id"], columns["source"], columns["text"], columns["title"], columns["data"], strict=True)]
        record = batch_recorder(path=self.history) if self.history else None
        with ThreadPoolExecutor(max_workers=max(1, min(len(items), self.settings.workers)), thread_name_prefix="doc") as pool:
            results = list(pool.map(lambda item: process_item(item, self.settings, self.client, record), items))
        return {"id": [r.id for r in results], "status": [r.status.value for r in results],
                "file": [r.file for r in results], "title": [r.title for r in results],
                "error": [r.error for r in results], "unverified_numbers": [r.unverified_numbers for r in results],
                "markdown": [r.markdown for r in results],
                "data": [json.dumps(r.data, ensure_ascii=False) if r.data else "" for r in results]}


def _result(row: dict) -> BatchResult:
    return BatchResult(row["id"], BatchStatus(row["status"]), row["file"], row["title"], row["error"],
                       int(row["unverified_numbers"]), row["markdown"], json.loads(row["data"]) if row["data"] else {})


def run_batch_ray(source: str | Path, outdir: str | Path, settings: Settings,
                  on_progress: Callable[[BatchResult, int, int], None] | None = None, history: bool = True,
                  address: str | None = None, num_cpus: int | None = None, formats: tuple = ()) -> BatchReport:
    """``run_batch`` on Ray: a local Ray with ``num_cpus`` (default: this machine's), or the cluster at
    ``address``; same outputs (``formats``: the same exports, made on the driver from each run's JSON), same resume."""
    ray = _ray()
    if settings.is_local:
        raise ConfigError("--backend local runs one model on this machine; every Ray worker would load its own. "
                          "Run this batch with the local engine, or give an endpoint the workers can share.")
    if address:
        _check_for_cluster(settings)

    def work(todo: list[BatchItem], output: BatchOutput, report: BatchReport, total: int) -> None:
        _run(ray, todo, output, report, settings, total, on_progress, history, address, num_cpus)

    return drive_batch(source, outdir, settings, work, formats)


def _run(ray, todo: list[BatchItem], output: BatchOutput, report: BatchReport, settings: Settings, total: int,
         on_progress, history: bool, address: str | None, num_cpus: int | None) -> None:
    started_here = start_ray(address, num_cpus)
    by_id = {item.id: item for item in todo}
    try:
        # one actor per CPU, but no more actors than model calls may be in flight (--workers, the whole batch's)
        cpus = int(num_cpus or ray.cluster_resources().get("CPU", 1))
        parallel = max(1, min(cpus, settings.workers, len(todo)))
        remote = address is not None
        share = shared_settings(settings, parallel)
        dataset = ray.data.from_items([_row(item, remote) for item in todo],
                                      override_num_blocks=math.ceil(len(todo) / share.workers))
        with warnings.catch_warnings():  # Ray warns that retry limits passed this way will move; they still apply
            warnings.simplefilter("ignore")
            results = dataset.map_batches(
                _SummarizeBatch, fn_constructor_kwargs={"settings": share,
                                                        "history": _history_path() if history and not remote else None},
                batch_size=share.workers, batch_format="pyarrow", num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=parallel), max_restarts=ACTOR_RESTARTS,
                max_task_retries=ACTOR_RESTARTS)
        for row in results.iter_rows():
            item = by_id.pop(row["id"], None)
            if item is None:  # a retried task's second answer for a document already written
                continue
            report.record(output.write(item, _result(row)), total, on_progress)
    except ConfigError:
        raise
    except Exception as exc:  # Ray's own failure: the documents without a result fail, each with one line
        log.exception("the Ray batch stopped")
        reason = f"The Ray batch stopped before this document came back ({_one_line(exc)})."
        for item in list(by_id.values()):
            report.record(output.write(item, BatchResult(item.id, BatchStatus.FAILED, error=reason)), total, on_progress)
    finally:
        if started_here:
            ray.shutdown()


def _check_for_cluster(settings: Settings) -> None:
    """What a cluster's workers cannot share with this machine is refused before the run: prompt files of
    this machine (the workers would use the defaults, and the index would record these), and an endpoint on
    loopback (each worker would ask its own machine)."""
    from urllib.parse import urlparse

    from summarizer.llm.prompts import load_prompts

    if load_prompts(settings.prompts_dir).overridden:
        raise ConfigError("Your own prompt files are not sent to a Ray cluster's workers yet; run this batch with "
                          "the local engine, or without them.")
    host = (urlparse(settings.base_url).hostname or "") if settings.backend == "llm" else ""
    if host in ("localhost", "::1") or host.startswith("127."):
        raise ConfigError(f"The endpoint {settings.base_url} is on this machine: a cluster's workers would each ask "
                          "their own. Give an address the workers can reach.")


def _history_path() -> str:
    """The driver's History store: the workers of a local Ray write there, whatever their environment."""
    from summarizer.config.paths import data_dir
    from summarizer.store.history import DB_NAME

    return str(data_dir() / DB_NAME)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (f"{exc.__class__.__name__}: {text[-1]}" if text else exc.__class__.__name__)[:200]

"""Jobs on ``summarizer worker`` processes, through Redis, with Dramatiq as the queue.

Why Dramatiq: its Redis broker acknowledges a message only after the job ran, keeps each worker's
unacknowledged messages under that worker's heartbeat, and puts them back on the queue when the heartbeat
stops — so a worker killed with SIGKILL mid-job loses no job (RQ marks such a job failed as "abandoned";
arq is asyncio while our pipeline is threads; Celery brings far more than a queue). The job's state and
events stay in our own store (``redis_store.py``), so a job that runs again resumes where it was.

A job is stored before it is queued (a worker must find it): ``RedisServiceStore.create_job`` writes it in
one step together with its place in the store's unsent set, and sending it to the queue takes it out. A job the
API stored and never queued (the process died in between, or the queue was away) is queued by the sweep
(``requeue_unsent``) that every API process and every worker runs, so a stored job is always either on
the queue or finished. A job sent twice runs once: its lease and status decide.

A cancel is stored on the job and published; the worker running it stops its client and confirms, and
``RedisDispatcher.cancel`` returns once that confirmation (or the job's end) is seen."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from summarizer.config.settings import Settings
from summarizer.service.execute import RunningJobs, execute
from summarizer.service.redis_store import PatientStore, RedisServiceStore
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)

QUEUE = "summaries"
ACTOR = "summarizer_job"
#: Chance, per million broker commands, that a command also puts a dead worker's messages back on the queue
#: (Dramatiq's default is 1,000: minutes between looks on a quiet queue; 100,000 makes it seconds).
MAINTENANCE_CHANCE = 100_000
#: Seconds a stored job may wait for its API to queue it before a sweep queues it (the API does so within
#: milliseconds: this only has to outlast a slow moment), and seconds between sweeps.
UNSENT_GRACE = 10.0
SWEEP_EVERY = 2.0


def make_broker(service: ServiceSettings):
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(url=service.redis_url, namespace=f"{service.redis_prefix}-queue",
                       heartbeat_timeout=int(service.heartbeat_seconds * 1000), maintenance_chance=MAINTENANCE_CHANCE)


class _WorkerContext:
    """What the actor needs in a worker process (set by ``run_worker``)."""

    store: PatientStore | None = None
    base: Settings | None = None
    service: ServiceSettings | None = None
    running = RunningJobs()
    observe = None  # the worker's metrics (sections, tokens, cache hits of the jobs it ran)


def _run_job(job_id: str) -> None:
    ctx = _WorkerContext
    if ctx.store is None:
        raise RuntimeError("this process is not a summarizer worker")
    import dramatiq

    try:
        done = execute(job_id, ctx.store, ctx.base, ctx.service, ctx.running, ctx.observe)
    except BaseException as exc:  # Dramatiq's time limit interrupts with a BaseException: the job must not stay running
        log.error("job %s interrupted (%s)", job_id, exc.__class__.__name__)
        try:
            ctx.store.update_job(job_id, status="failed", finished=time.time(),
                                 error=f"The job was interrupted ({exc.__class__.__name__}).",
                                 event=("end", {"status": "failed", "error": "interrupted"}))
        except Exception:
            log.exception("job %s: could not record the interruption", job_id)
        raise
    if not done:  # another worker holds its lease: ask again once it could have lapsed, in case that one died
        raise dramatiq.Retry(f"job {job_id} runs elsewhere", delay=int(ctx.service.lease_seconds * 500))


def declare_actor(broker, service: ServiceSettings):
    """The one actor, declared the same way by the API (to send) and the workers (to run)."""
    import dramatiq

    # the engine keeps the run's own time limit; this one only catches a job stuck past it and a Redis outage
    limit_ms = int((max(Settings.from_env().run_timeout, 60) + service.store_outage + 600) * 1000)
    return dramatiq.Actor(_run_job, actor_name=ACTOR, queue_name=QUEUE, priority=0, broker=broker,
                          options={"time_limit": limit_ms, "retry_when": _held_elsewhere})


def _held_elsewhere(_retries: int, exc: BaseException) -> bool:
    """Retry a message only when its job runs on another worker (``dramatiq.Retry``); a job's own failures are
    its status, never a second run."""
    import dramatiq

    return isinstance(exc, dramatiq.Retry)


def requeue_unsent(store: RedisServiceStore, send: Callable[[str], object], grace: float = UNSENT_GRACE) -> int:
    """Queue (``send``) the unfinished jobs stored more than ``grace`` seconds ago that no one queued; how many.
    A send that fails raises; its job is tried again by a sweep ``grace`` seconds later."""
    claimed = store.claim_unsent(grace)
    for job_id in claimed:
        send(job_id)
        store.sent(job_id)
    if claimed:
        log.warning("queued %d job(s) that were stored but never queued (their API process stopped in between?)",
                    len(claimed))
    return len(claimed)


class UnsentSweep:
    """``requeue_unsent`` every ``SWEEP_EVERY`` seconds on a thread, until ``stop``."""

    def __init__(self, store: RedisServiceStore, send: Callable[[str], object]) -> None:
        self.store, self.send = store, send
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="unsent-sweep")

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(SWEEP_EVERY):
            try:
                requeue_unsent(self.store, self.send)
            except Exception as exc:  # Redis or the queue away for a moment: the next sweep tries again
                log.warning("unsent-job sweep failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()


class RedisDispatcher:
    """The API side: a job is a message on the queue; a cancel waits for the worker's confirmation."""

    watch = None  # jobs end on the workers: a waiting request reads the store

    def __init__(self, store: RedisServiceStore, service: ServiceSettings) -> None:
        self.store, self.service = store, service
        self.broker = make_broker(service)
        self.actor = declare_actor(self.broker, service)
        self.sweep = UnsentSweep(store, self.actor.send)

    def start(self) -> None:
        self.sweep.start()  # the workers run what is on the queue; this process only queues what it stored

    def submit(self, job_id: str) -> None:
        self.actor.send(job_id)
        try:
            self.store.sent(job_id)
        except Exception as exc:  # queued all the same: a sweep sends it again, and a job sent twice runs once
            log.warning("job %s: queued, but not marked so (%s)", job_id, exc)

    def cancel(self, job_id: str) -> None:
        """The cancel flag is stored and published (``request_cancel``); wait until the worker confirms it
        stopped the job's client, or the job ended, or it never started."""
        deadline = time.monotonic() + self.service.cancel_wait
        while time.monotonic() < deadline:
            job = self.store.get_job(job_id)
            if job is None or job.status.finished or job.status == "queued":
                return  # a queued job sees its cancel flag before its first request
            if self.store.redis.exists(self.store.k("cancelled", job_id)):
                return
            time.sleep(0.02)
        log.warning("job %s: no worker confirmed its cancel within %.0f s", job_id, self.service.cancel_wait)

    def stop(self) -> None:
        self.sweep.stop()
        self.broker.close()


def _listen_for_cancels(store: RedisServiceStore, running: RunningJobs, stop: threading.Event) -> None:
    """Stop the client of a job this worker runs as soon as its cancel is published, then confirm."""
    while not stop.is_set():
        try:
            pubsub = store.redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(store.cancel_channel)
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message.get("type") == "message":
                    job_id = message["data"]
                    if running.cancel(job_id):
                        store.redis.set(store.k("cancelled", job_id), "1", ex=3600)
                        log.info("job %s: cancelled by its client", job_id)
        except Exception as exc:  # Redis away: try again, the tick check still sees the flag
            log.warning("cancel listener: %s; reconnecting", exc)
            time.sleep(1.0)


def run_worker(service: ServiceSettings, base: Settings, ready: threading.Event | None = None) -> None:
    """A worker process: take jobs from the queue and run ``service.worker_threads`` of them at once, until
    SIGTERM or SIGINT."""
    import dramatiq

    from summarizer.config.logs import add_secret

    add_secret(base.clean_key())  # the provider's key never reaches a log line
    store = RedisServiceStore(service.redis_url, service.redis_prefix)
    broker = make_broker(service)
    dramatiq.set_broker(broker)
    actor = declare_actor(broker, service)
    ctx = _WorkerContext
    ctx.store, ctx.base, ctx.service = PatientStore(store, service.store_outage), base, service
    if service.worker_metrics_port:
        from prometheus_client import start_http_server

        from summarizer.service.metrics import ServiceMetrics

        metrics = ServiceMetrics(store)
        ctx.observe = metrics.observe_job
        start_http_server(service.worker_metrics_port, addr=service.host, registry=metrics.registry)
        log.info("worker metrics on http://%s:%d/metrics", service.host, service.worker_metrics_port)
    stop = threading.Event()
    listener = threading.Thread(target=_listen_for_cancels, args=(store, ctx.running, stop), daemon=True,
                                name="cancel-listener")
    listener.start()
    # holding no more jobs than it runs: a job prefetched by a busy worker would wait while another worker idles
    worker = dramatiq.Worker(broker, worker_threads=service.worker_threads, worker_timeout=1000)
    worker.queue_prefetch = service.worker_threads  # Dramatiq's default holds twice as many as it runs
    worker.start()
    sweep = UnsentSweep(store, actor.send)  # an API that died between storing a job and queueing it
    sweep.start()
    log.info("worker started: %d job thread(s) on %s", service.worker_threads, service.redis_url.split("@")[-1])
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if ready is not None:
        ready.set()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("worker stopping: jobs in progress finish; queued ones stay on the queue")
        sweep.stop()
        worker.stop(timeout=int(service.cancel_wait * 1000))
        broker.close()

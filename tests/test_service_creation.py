"""Creating a job is one step, whatever store holds it: many clients sending the same ``Idempotency-Key``, or
the same request while it is in flight, at the same moment, get one job; and a job that is stored is always
either on the queue or finished (a crash between storing it and queueing it leaves no job that never runs); a job
and its event (the first "queued", the last "end") are one write.
Against a real ``redis-server`` and the SQLite file; the HTTP tests run a real uvicorn API and worker."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarizer.service.jobs import Job, JobStatus, new_id
from tests.api_server import ApiServer, RedisServer, service_env
from tests.test_service import NEWS

#: Threads racing at once: each round lets them all go together at a barrier.
RACERS = 24
ROUNDS = 4


def _need_redis() -> None:
    import os

    if not RedisServer.available():
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing; .ci/run installs the Debian package")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    pytest.importorskip("redis")


@pytest.fixture
def redis_url(tmp_path):
    _need_redis()
    server = RedisServer(tmp_path / "redis").start()
    yield server.url
    server.stop()


def _race(create, idempotency_key: str, fingerprint_of) -> list[str]:
    """``RACERS`` threads store a job each at the same moment; the ids they were answered with."""
    barrier = threading.Barrier(RACERS)

    def one(i: int) -> str:
        job = Job(id=new_id("sum"), client="desk", document_id="doc_1", options={"n": i},
                  fingerprint=fingerprint_of(i), idempotency_key=idempotency_key)
        barrier.wait()
        return create(job).id

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def _assert_one_job_per_race(create, stored_ids) -> None:
    for round_ in range(ROUNDS):
        same_key = _race(create, f"idem-{round_}", lambda i, r=round_: f"fp-{r}-{i}")  # only the key is shared
        assert len(set(same_key)) == 1, f"{len(set(same_key))} jobs for one Idempotency-Key"
        same_body = _race(create, "", lambda i, r=round_: f"fp-shared-{r}")  # identical requests, in flight
        assert len(set(same_body)) == 1, f"{len(set(same_body))} jobs for one request in flight"
    assert len(stored_ids()) == 2 * ROUNDS, "a loser's job was stored besides the winner's"


def test_redis_concurrent_creates_with_one_idempotency_key_or_one_body_make_one_job(redis_url):
    from summarizer.service.redis_store import RedisServiceStore

    store = RedisServiceStore(redis_url)
    _assert_one_job_per_race(store.create_job, lambda: store.redis.keys(store.k("job", "*")))


def test_sqlite_concurrent_creates_from_two_processes_stores_make_one_job(tmp_path):
    """Two store objects on one file stand for two server processes (each has its own in-process write lock):
    the look-up and the insert are one ``BEGIN IMMEDIATE`` transaction, so they still make one job."""
    import sqlite3

    from summarizer.service.store import SQLiteServiceStore

    path = tmp_path / "service.sqlite3"
    stores = [SQLiteServiceStore(path), SQLiteServiceStore(path)]
    turn = iter(range(10**6))
    lock = threading.Lock()

    def create(job: Job) -> Job:
        with lock:
            store = stores[next(turn) % 2]
        return store.create_job(job)

    def stored_ids() -> list[str]:
        with sqlite3.connect(path) as db:
            return [r[0] for r in db.execute("SELECT id FROM jobs")]

    _assert_one_job_per_race(create, stored_ids)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_job_and_its_event_are_one_write_and_a_coalesced_request_adds_no_event(kind, tmp_path, request):
    from summarizer.service.redis_store import RedisServiceStore
    from summarizer.service.store import SQLiteServiceStore

    store = SQLiteServiceStore(tmp_path / "s.sqlite3") if kind == "sqlite" else \
        RedisServiceStore(request.getfixturevalue("redis_url"))
    queued = ("status", {"status": "queued"})
    job = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_1", idempotency_key="k"), queued)
    again = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_1", idempotency_key="k"), queued)
    assert again.id == job.id
    assert [(e.seq, e.type, e.data) for e in store.events_after(job.id, 0)] == [(1, "status", {"status": "queued"})]
    store.update_job(job.id, status=JobStatus.DONE, finished=1.0, event=("end", {"status": "done", "error": ""}))
    assert store.get_job(job.id).status == JobStatus.DONE
    assert [(e.seq, e.type) for e in store.events_after(job.id, 1)] == [(2, "end")]
    store.update_job(job.id, event=("note", {}))  # an event alone
    assert len(store.events_after(job.id, 0)) == 3


def test_sqlite_a_job_is_never_finished_without_its_end_event(tmp_path):
    """The store cannot write the "end" event (here a trigger refuses it, as a full disk would): the job is not
    marked finished either, so a client following its events is never left without an end."""
    import sqlite3

    from summarizer.service.store import SQLiteServiceStore

    path = tmp_path / "s.sqlite3"
    store = SQLiteServiceStore(path)
    job = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_1"), ("status", {"status": "queued"}))
    store.update_job(job.id, status=JobStatus.RUNNING)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TRIGGER no_end BEFORE INSERT ON events WHEN NEW.type = 'end' "
                   "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.Error):
        store.update_job(job.id, status=JobStatus.DONE, finished=1.0, event=("end", {"status": "done", "error": ""}))
    assert store.get_job(job.id).status == JobStatus.RUNNING


def test_a_redis_job_stored_but_never_queued_is_queued_by_the_sweep(redis_url):
    """The API stores a job, then queues it: a crash in between leaves the job in the store's unsent set, and the
    next sweep (in any API process or worker) queues it; a queued or finished job is never queued again."""
    from summarizer.service.redis_queue import requeue_unsent
    from summarizer.service.redis_store import RedisServiceStore

    store = RedisServiceStore(redis_url)
    orphan = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_1"))  # ... and then the crash
    queued = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_2"))
    store.sent(queued.id)  # queued as the API does
    ended = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_3"))
    store.update_job(ended.id, status=JobStatus.FAILED, finished=time.time())
    batch = store.create_job(Job(id=new_id("batch"), client="desk", kind="batch"))

    sent: list[str] = []
    assert requeue_unsent(store, sent.append, grace=60.0) == 0, "a job the API is about to queue is left to it"
    assert requeue_unsent(store, sent.append, grace=0.0) == 1
    assert sent == [orphan.id], "only the job that was never queued; never a finished job or a batch"
    assert requeue_unsent(store, sent.append, grace=0.0) == 0, "queued once"
    assert batch.id not in sent

    def failing(_job_id: str) -> None:
        raise ConnectionError("the queue is away")

    lost = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_4"))
    store.redis.zadd(store.k("unsent"), {lost.id: 0})  # stored long ago
    with pytest.raises(ConnectionError):
        requeue_unsent(store, failing, grace=0.0)
    assert requeue_unsent(store, sent.append, grace=5.0) == 0, "the failed sweep holds the job for its grace"
    store.redis.zadd(store.k("unsent"), {lost.id: 0})  # as if that grace ran out
    assert requeue_unsent(store, sent.append, grace=5.0) == 1 and sent[-1] == lost.id, "a failed send is tried again"


def test_concurrent_posts_to_a_redis_api_make_one_job_and_every_job_runs(app_home, tmp_path):
    """Through the real API on --queue redis, in two processes (no worker yet, so every job stays in flight): 24
    clients at once with one Idempotency-Key get one job, 24 with one body get one job, round after round. A job
    stored but never queued (its API killed in between) is queued by the API's sweep; once every API is gone, by
    the worker's; the worker then runs them all."""
    import subprocess
    import sys

    import httpx2

    _need_redis()
    pytest.importorskip("dramatiq")
    from summarizer.service.redis_store import RedisServiceStore

    redis = RedisServer(tmp_path / "redis").start()
    env = service_env(app_home, SUMMARIZER_SERVICE_QUEUE="redis", SUMMARIZER_SERVICE_REDIS_URL=redis.url)
    api = ApiServer(env, "--processes", "2").start()
    worker = None
    store = RedisServiceStore(redis.url)
    try:
        def post(body: dict, headers: dict) -> str:
            with httpx2.Client(base_url=api.url, timeout=30) as http:
                answer = http.post("/v1/summaries", json=body, headers={"Prefer": "respond-async", **headers})
                assert answer.status_code == 202, answer.text
                return answer.json()["id"]

        def race(body: dict, headers: dict) -> set[str]:
            barrier = threading.Barrier(RACERS)

            def one(_i: int) -> str:
                barrier.wait()
                return post(body, headers)

            with ThreadPoolExecutor(RACERS) as pool:
                return set(pool.map(one, range(RACERS)))

        made: list[str] = []
        for round_ in range(ROUNDS):  # one round alone often misses the moment: the requests arrive spread out
            keyed = race({"text": NEWS + f" Told first ({round_}).", "backend": "extractive"},
                         {"Idempotency-Key": f"key-{round_}"})
            alike = race({"text": NEWS + f" Told again ({round_}).", "backend": "extractive"}, {})
            assert len(keyed) == 1 and len(alike) == 1, (round_, len(keyed), len(alike))
            made += [*keyed, *alike]
        assert len(store.redis.keys(store.k("job", "*"))) == len(made)
        assert store.redis.zcard(store.k("unsent")) == 0, "the API marks each job it queued"
        document_id = store.get_job(made[0]).document_id

        def orphan() -> str:
            """A job stored long ago and never queued: its API died between the two."""
            job = store.create_job(Job(id=new_id("sum"), client="local", document_id=document_id,
                                       options={"backend": "extractive"}))
            store.redis.zadd(store.k("unsent"), {job.id: 0})
            made.append(job.id)
            return job.id

        swept_by_api = orphan()
        deadline = time.monotonic() + 20
        while store.redis.zscore(store.k("unsent"), swept_by_api) is not None:
            assert time.monotonic() < deadline, "the API's sweep did not queue the job"
            time.sleep(0.1)
        api.stop()  # every API gone: the workers' own sweep queues what was left
        orphan()
        worker = subprocess.Popen([sys.executable, "-m", "summarizer", "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "worker.log", "wb"))
        deadline = time.monotonic() + 60
        for job_id in made:
            while not store.get_job(job_id).status.finished:
                assert time.monotonic() < deadline, (job_id, (tmp_path / "worker.log").read_text()[-1500:])
                time.sleep(0.1)
            assert store.get_job(job_id).status == JobStatus.DONE, store.get_job(job_id).error
    finally:
        if worker is not None:
            worker.kill()
        api.stop()
        redis.stop()

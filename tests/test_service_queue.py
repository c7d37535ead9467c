"""The HTTP service on the Redis queue as a team runs it across machines: a real ``redis-server``, real
``summarizer worker`` processes (one killed with SIGKILL mid-job), a real uvicorn API, and the stand-in model
server. Kept apart from tests/test_service.py so the two run in parallel."""

from __future__ import annotations

import time

import pytest

from tests.api_server import ApiServer, service_env, wait_job
from tests.llm_server import LLMServer
from tests.pdf_factory import make_paper
from tests.test_service import NEWS, _after_a_section, _cancelled_after_a_section, _prompts_sent

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


@pytest.fixture
def model():
    with LLMServer() as server:
        yield server


def _need_redis() -> None:
    import os

    from tests.api_server import RedisServer

    if not RedisServer.available():
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing; .ci/run installs the Debian package")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    pytest.importorskip("dramatiq")


def test_redis_queue_two_workers_one_killed_mid_job_loses_nothing_and_pays_nothing_twice(app_home, model, tmp_path):
    from tests.api_server import RedisServer, free_port

    _need_redis()
    import subprocess
    import sys

    from summarizer.service.redis_store import RedisServiceStore

    redis = RedisServer(tmp_path / "redis").start()
    model.state.reset(latency=0.6)
    env = service_env(app_home, model.base_url, SUMMARIZER_WORKERS="1", SUMMARIZER_USE_CACHE="0",
                      SUMMARIZER_SERVICE_QUEUE="redis", SUMMARIZER_SERVICE_REDIS_URL=redis.url,
                      SUMMARIZER_SERVICE_HEARTBEAT_SECONDS="3", SUMMARIZER_SERVICE_WORKER_THREADS="1",
                      SUMMARIZER_SERVICE_LEASE_SECONDS="3")
    workers = [subprocess.Popen([sys.executable, "-m", "summarizer", "worker"], env=env, stdout=subprocess.DEVNULL,
                                stderr=open(tmp_path / f"worker{i}.log", "wb")) for i in range(2)]
    api = ApiServer(env).start()
    other_api = ApiServer(env)
    other_api.port = free_port()
    store = RedisServiceStore(redis.url)
    try:
        with api.client() as http:
            job = http.post("/v1/summaries", files={"file": ("p.pdf", make_paper(), "application/pdf")},
                            headers={"Prefer": "respond-async"}).json()
            deadline = time.monotonic() + 60
            while not any(e.type == "section" and e.data.get("status") == "done" for e in store.events_after(job["id"], 0)):
                assert time.monotonic() < deadline, (tmp_path / "worker0.log").read_text()[-2000:]
                time.sleep(0.1)
            running = [e.data["worker"] for e in store.events_after(job["id"], 0) if e.type == "status" and e.data["status"] == "running"]
            pid = int(running[-1].rsplit(":", 1)[1])
            victim = next(w for w in workers if w.pid == pid)
            victim.kill()  # SIGKILL mid-job
            victim.wait(10)
            asked_before = _prompts_sent(model)
            final = wait_job(http, job["id"], timeout=90)
        assert final["status"] == "done", final["error"]
        asked = _prompts_sent(model)
        answered_before = set(asked_before[:-1])
        assert not [p for p in asked[len(asked_before):] if p in answered_before], "a finished section was asked again"
        running = [e.data["worker"] for e in store.events_after(job["id"], 0) if e.type == "status" and e.data["status"] == "running"]
        assert len(running) == 2 and running[0] != running[1], "the other worker took the job up"
        other_api.start()  # a second API replica knows the job: nothing lives in an API process
        with other_api.client() as http:
            assert http.get(f"/v1/summaries/{job['id']}").json()["status"] == "done"
            news = http.post("/v1/summaries", json={"text": NEWS, "backend": "extractive"}, headers={"Prefer": "wait=20"})
            assert news.status_code == 200 and news.json()["status"] == "done"
    finally:
        for w in workers:
            w.kill()
        api.stop()
        other_api.stop()
        redis.stop()


def test_redis_queue_cancel_stops_the_workers_requests_before_it_answers(app_home, model, tmp_path):
    import subprocess
    import sys

    import httpx2

    from tests.api_server import RedisServer, free_port

    _need_redis()

    redis = RedisServer(tmp_path / "redis").start()
    model.state.reset(latency=0.8)
    env = service_env(app_home, model.base_url, SUMMARIZER_WORKERS="1", SUMMARIZER_SERVICE_QUEUE="redis",
                      SUMMARIZER_SERVICE_REDIS_URL=redis.url)
    metrics_port = free_port()
    worker = subprocess.Popen([sys.executable, "-m", "summarizer", "worker", "--metrics-port", str(metrics_port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = ApiServer(env).start()
    try:
        with api.client() as http:
            _cancelled_after_a_section(http, model)
            worker_metrics = httpx2.get(f"http://127.0.0.1:{metrics_port}/metrics").text
            assert 'summarizer_sections_total{model="test-model",status="done"}' in worker_metrics
            assert 'summarizer_jobs{status="cancelled"} 1.0' in worker_metrics
    finally:
        worker.kill()
        api.stop()
        redis.stop()


def test_redis_going_away_mid_job_pauses_it_and_loses_nothing(app_home, model, tmp_path):
    """Redis restarts while a worker runs a paper: the job waits for it and finishes; the API answers 503 with a
    sentence meanwhile, never a traceback; no finished section is asked again."""
    _need_redis()
    import subprocess
    import sys

    from tests.api_server import RedisServer

    redis = RedisServer(tmp_path / "redis", persistent=True).start()
    model.state.reset(latency=0.6)
    env = service_env(app_home, model.base_url, SUMMARIZER_WORKERS="1", SUMMARIZER_USE_CACHE="0",
                      SUMMARIZER_SERVICE_QUEUE="redis", SUMMARIZER_SERVICE_REDIS_URL=redis.url,
                      SUMMARIZER_SERVICE_HEARTBEAT_SECONDS="60")
    worker = subprocess.Popen([sys.executable, "-m", "summarizer", "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "worker.log", "wb"))
    api = ApiServer(env).start()
    try:
        with api.client() as http:
            job = http.post("/v1/summaries", files={"file": ("p.pdf", make_paper(), "application/pdf")},
                            headers={"Prefer": "respond-async"}).json()
            _after_a_section(http, job["id"])
            redis.stop()
            away = http.get(f"/v1/summaries/{job['id']}")
            assert away.status_code == 503 and away.headers["retry-after"] and "retry" in away.json()["detail"]
            time.sleep(2)
            redis.start()
            final = wait_job(http, job["id"], timeout=90)
        assert final["status"] == "done", (final["error"], (tmp_path / "worker.log").read_text()[-1500:])
        asked = _prompts_sent(model)
        assert len(asked) == len(set(asked)), "a section was asked twice"
    finally:
        worker.kill()
        api.stop()
        redis.stop()

"""The HTTP service as another program uses it: ``summarizer serve`` (real uvicorn) on loopback, an HTTP
client, and the stand-in model server (tests/llm_server.py) for the model. Jobs, events, cancel, keys,
quotas, restart, problems."""

from __future__ import annotations

import json
import time

import pymupdf
import pytest

from tests.api_server import PROVIDER_KEY, ApiServer, read_events, service_env, summarizer_cli, wait_job
from tests.llm_server import LLMServer
from tests.pdf_factory import make_paper

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

NEWS = ("The city council approved a new budget on Monday after a long debate. The budget raises spending on "
        "schools by 5 percent and on roads by 2 percent. Officials said the plan would be reviewed next year. "
        "Critics argued that the increase was too small to make up for years of cuts. The mayor defended the "
        "plan in a speech, saying it balanced the city's needs.")


@pytest.fixture
def model():
    with LLMServer() as server:
        yield server


@pytest.fixture
def api(app_home, model):
    server = ApiServer(service_env(app_home, model.base_url)).start()
    yield server
    server.stop()


def test_a_waiting_request_is_woken_when_its_job_ends():
    """JobWatch: a POST waiting on a job is woken by the job's end (not by its wait running out)."""
    import asyncio
    import threading

    from summarizer.service.dispatch import JobWatch

    watch = JobWatch()

    async def wait() -> bool:
        ended = watch.register("sum_x")
        threading.Timer(0.05, watch.notify, ["sum_x"]).start()
        try:
            await asyncio.wait_for(ended.wait(), 10)
            return True
        except TimeoutError:
            return False
        finally:
            watch.forget("sum_x", ended)

    assert asyncio.run(wait())
    assert not watch._waiters  # noqa: SLF001 - nothing left behind


def _prompts_sent(model: LLMServer) -> list[str]:
    """Each chat request's messages, as text (the same section asked again sends the same messages)."""
    return [json.dumps(r.body.get("messages", []), sort_keys=True) for r in model.state.chat_requests]


def test_a_paper_and_a_news_article_are_summarized_followed_and_fetched(api, model):
    with api.client() as http:
        paper = http.post("/v1/summaries", files={"file": ("sparrow.pdf", make_paper(), "application/pdf")},
                          headers={"Prefer": "respond-async"})
        assert paper.status_code == 202, paper.text
        job = paper.json()
        assert paper.headers["location"] == f"/v1/summaries/{job['id']}"
        events = read_events(http, job["id"])
        kinds = [e["event"] for e in events]
        assert kinds[-1] == "end" and "overview" in kinds
        started = [e["data"]["index"] for e in events if e["event"] == "section" and e["data"]["status"] == "running"]
        finished = [e["data"]["index"] for e in events if e["event"] == "section" and "result" in e["data"]
                    and e["data"]["status"] != "skipped"]
        assert started and sorted(started) == sorted(finished)
        assert [int(e["id"]) for e in events] == list(range(1, len(events) + 1))
        done = http.get(f"/v1/summaries/{job['id']}").json()
        assert done["status"] == "done", done["error"]
        result = done["result"]
        assert result["summary"] and result["coverage"] and result["usage"]["requests"] >= 2
        ok = [s for s in result["sections"] if s["status"] == "done"]
        assert ok and all(s["bullets"] for s in ok) and any(b["pages"] for s in ok for b in s["bullets"])
        markdown = http.get(f"/v1/summaries/{job['id']}.md")
        assert markdown.status_code == 200 and markdown.text.startswith("# Sparrow")
        assert markdown.headers["content-type"].startswith("text/markdown")

        news = http.post("/v1/summaries", json={"text": NEWS, "backend": "extractive"}, headers={"Prefer": "wait=10"})
        assert news.status_code == 200, news.text
        assert news.json()["status"] == "done" and "budget" in news.json()["result"]["summary"]
    assert PROVIDER_KEY not in api.output()


def test_a_client_that_reconnects_with_last_event_id_misses_nothing(api, model):
    model.state.reset(latency=0.3)
    with api.client() as http:
        job = http.post("/v1/summaries", files={"file": ("p.pdf", make_paper(), "application/pdf")},
                        headers={"Prefer": "respond-async"}).json()
        first = read_events(http, job["id"], stop_after=3)  # the client goes away after three events
        running = http.get(f"/v1/summaries/{job['id']}").json()
        assert running["status"] == "running" and running["progress"], running
        assert {p["status"] for p in running["progress"]} <= {"running", "done", "skipped", "failed", "cached"}
        rest = read_events(http, job["id"], last_event_id=int(first[-1]["id"]))
        whole = read_events(http, job["id"])
    assert [e["id"] for e in first + rest] == [e["id"] for e in whole]
    assert whole[-1]["event"] == "end"


def _after_a_section(http, job_id: str) -> None:
    """Follow the job's events until one of its sections is done."""
    events = read_events(http, job_id, stop_after=1)
    while not any(e["event"] == "section" and e["data"]["status"] == "done" for e in events):
        events = read_events(http, job_id, stop_after=len(events) + 1)


def _cancelled_after_a_section(http, model: LLMServer) -> dict:
    """Submit a paper, cancel it once a section is done, and check that the model gets no request after the
    cancel answered; the job as it ended."""
    job = http.post("/v1/summaries", files={"file": ("p.pdf", make_paper(), "application/pdf")},
                    headers={"Prefer": "respond-async"}).json()
    _after_a_section(http, job["id"])
    cancelled = http.delete(f"/v1/summaries/{job['id']}")
    sent_at_answer = len(model.state.chat_requests)
    assert cancelled.status_code == 200, cancelled.text
    time.sleep(2.5)  # several model latencies: a request that was going to leave has left
    assert len(model.state.chat_requests) == sent_at_answer
    final = wait_job(http, job["id"])
    assert final["status"] == "cancelled"
    return final


def test_cancel_stops_every_model_request_before_it_answers(app_home, model):
    model.state.reset(latency=0.8)
    server = ApiServer(service_env(app_home, model.base_url, SUMMARIZER_WORKERS="1")).start()
    try:
        with server.client() as http:
            final = _cancelled_after_a_section(http, model)
            kept = [s for s in final["result"]["sections"] if s["status"] == "done"]
            assert kept, "the section finished before the cancel is kept"
            again = http.delete(f"/v1/summaries/{final['id']}")
            assert again.status_code == 409 and again.json()["detail"]
    finally:
        server.stop()


def test_two_keys_never_see_each_others_jobs_and_a_bad_key_is_refused(app_home):
    env = service_env(app_home)
    keys = []
    for name in ("desk", "lab"):
        made = summarizer_cli(env, "keys", "create", name, "--json")
        assert made.returncode == 0, made.stderr
        keys.append(json.loads(made.stdout))
    expired = json.loads(summarizer_cli(env, "keys", "create", "old", "--expires-days", "0.000001", "--json").stdout)
    listed = summarizer_cli(env, "keys", "list", "--json")
    assert all(k["key"] not in listed.stdout for k in keys) and "hash" not in listed.stdout
    server = ApiServer(env).start()
    try:
        with server.client(keys[0]["key"]) as desk, server.client(keys[1]["key"]) as lab, server.client() as anon:
            job = desk.post("/v1/summaries", json={"text": NEWS}, headers={"Prefer": "wait=10"}).json()
            assert desk.get(f"/v1/summaries/{job['id']}").status_code == 200
            theirs = lab.get(f"/v1/summaries/{job['id']}")
            assert theirs.status_code == 404 and theirs.headers["content-type"] == "application/problem+json"
            assert lab.get(f"/v1/summaries/{job['id']}.md").status_code == 404
            assert lab.delete(f"/v1/summaries/{job['id']}").status_code == 404
            assert lab.post("/v1/ask", json={"document_id": job["document_id"], "question": "What rose?"}).status_code == 404
            assert lab.post("/v1/summaries", json={"document_id": job["document_id"]}).status_code == 404
            missing = anon.post("/v1/summaries", json={"text": NEWS})
            assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
            time.sleep(0.1)
            with server.client(expired["key"]) as old:
                gone = old.get(f"/v1/summaries/{job['id']}")
                assert gone.status_code == 401 and "expired" in gone.json()["detail"]
            revoked = summarizer_cli(env, "keys", "revoke", keys[1]["id"])
            assert revoked.returncode == 0, revoked.stderr
            assert lab.get("/v1/summaries/x").json()["detail"].startswith("This API key was revoked")
    finally:
        server.stop()


def test_a_key_past_its_requests_per_minute_gets_429_with_retry_after(app_home):
    env = service_env(app_home)
    key = json.loads(summarizer_cli(env, "keys", "create", "tight", "--rpm", "2", "--json").stdout)["key"]
    server = ApiServer(env).start()
    try:
        with server.client(key) as http:
            answers = [http.post("/v1/sections", json={"text": NEWS}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        refused = answers[-1]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["type"].endswith("quota-exceeded") and "2 requests" in refused.json()["detail"]
    finally:
        server.stop()


def test_a_server_killed_mid_job_finishes_it_after_a_restart_without_paying_twice(app_home, model):
    model.state.reset(latency=0.7)
    # no answer cache: the job's own record must keep a finished section from being asked again (a worker on
    # another machine has no share of this one's cache)
    env = service_env(app_home, model.base_url, SUMMARIZER_WORKERS="1", SUMMARIZER_USE_CACHE="0",
                      SUMMARIZER_SERVICE_LEASE_SECONDS="3")
    server = ApiServer(env).start()
    with server.client() as http:
        job = http.post("/v1/summaries", files={"file": ("p.pdf", make_paper(), "application/pdf")},
                        headers={"Prefer": "respond-async"}).json()
        deadline = time.monotonic() + 30
        while not any(e["event"] == "section" and e["data"]["status"] == "done" for e in _events_now_from(env, server.port, job["id"])):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    server.kill()
    asked_before = _prompts_sent(model)
    assert not any(e["event"] == "end" for e in _events_now_from(env, server.port, job["id"])), "killed mid-job"
    restarted = ApiServer(env)
    restarted.port = server.port
    restarted.start()
    try:
        with restarted.client() as http:
            final = wait_job(http, job["id"])
        assert final["status"] == "done", final["error"]
        asked = _prompts_sent(model)
        answered_before = set(asked_before[:-1])  # the last request may have been cut by the kill
        again = [p[:200] for p in asked[len(asked_before):] if p in answered_before]
        assert not again, f"asked again after the restart: {again}"
        assert len(asked) > len(asked_before), "the rest of the job was asked after the restart"
        assert sum(1 for s in final["result"]["sections"] if s["status"] == "done") >= 3
    finally:
        restarted.stop()


def _events_now_from(env: dict, port: int, job_id: str) -> list[dict]:
    """The job's events as stored, read from the server's store file (WAL: readers never wait)."""
    import sqlite3
    from pathlib import Path

    db = sqlite3.connect(Path(env["SUMMARIZER_HOME"]) / "data" / "service.sqlite3")
    rows = db.execute("SELECT type, data FROM events WHERE job_id = ? ORDER BY seq", (job_id,)).fetchall()
    db.close()
    return [{"event": r[0], "data": json.loads(r[1])} for r in rows]


def test_two_servers_on_one_data_folder_never_run_a_job_twice(app_home, model):
    """A second server started beside a running one (or a restart while the old process still finishes its
    jobs) leaves alone the jobs the first one runs: each holds a lease it renews."""
    model.state.reset(latency=0.5)
    env = service_env(app_home, model.base_url, SUMMARIZER_WORKERS="1", SUMMARIZER_USE_CACHE="0",
                      SUMMARIZER_SERVICE_LEASE_SECONDS="2")
    first = ApiServer(env).start()
    second = ApiServer(env)
    try:
        with first.client() as http:
            job = http.post("/v1/summaries", files={"file": ("p.pdf", make_paper(), "application/pdf")},
                            headers={"Prefer": "respond-async"}).json()
            _after_a_section(http, job["id"])
            second.start()  # sweeps at once, then every second: the job's lease is held
            assert wait_job(http, job["id"])["status"] == "done"
        asked = _prompts_sent(model)
        assert len(asked) == len(set(asked)), "a section was asked by both servers"
        running = [e for e in _events_now_from(env, first.port, job["id"]) if e["event"] == "status"
                   and e["data"]["status"] == "running"]
        assert len(running) == 1
    finally:
        first.stop()
        second.stop()


def test_an_idempotency_key_returns_the_first_job_and_identical_requests_in_flight_are_one(api, model):
    model.state.reset(latency=0.5)
    with api.client() as http:
        body = {"text": NEWS, "backend": "llm"}
        a = http.post("/v1/summaries", json=body, headers={"Idempotency-Key": "abc", "Prefer": "respond-async"}).json()
        b = http.post("/v1/summaries", json=body, headers={"Idempotency-Key": "abc", "Prefer": "respond-async"}).json()
        c = http.post("/v1/summaries", json=body, headers={"Prefer": "respond-async"}).json()
        assert a["id"] == b["id"] == c["id"]
        wait_job(http, a["id"])
        d = http.post("/v1/summaries", json=body, headers={"Idempotency-Key": "abc"}).json()
        assert d["id"] == a["id"] and d["status"] == "done"


def test_bad_input_gets_one_sentence_and_the_right_status(app_home, model, tmp_path):
    env = service_env(app_home, model.base_url, SUMMARIZER_SERVICE_MAX_UPLOAD_MB="1")
    server = ApiServer(env).start()
    encrypted = pymupdf.open(stream=make_paper(), filetype="pdf")
    locked = encrypted.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    try:
        with server.client() as http:
            cases = {
                "malformed": http.post("/v1/summaries", content=b"{not json", headers={"content-type": "application/json"}),
                "unknown field": http.post("/v1/summaries", json={"text": NEWS, "colour": "red"}),
                "two documents": http.post("/v1/summaries", json={"text": NEWS, "arxiv": "2401.01234"}),
                "nothing": http.post("/v1/summaries", json={}),
                "too large": http.post("/v1/summaries", files={"file": ("big.pdf", b"%PDF-1.7" + b"0" * 2_000_000)}),
                "not a pdf": http.post("/v1/summaries", files={"file": ("x.pdf", b"%PDF-1.7 this is not one", "application/pdf")}),
                "encrypted": http.post("/v1/summaries", files={"file": ("locked.pdf", locked, "application/pdf")}),
                "private url": http.post("/v1/summaries", json={"url": "http://127.0.0.1:9/secret"}),
                "unknown job": http.get("/v1/summaries/sum_doesnotexist"),
                "bad section": http.post("/v1/summaries", json={"text": NEWS, "include": [99]}),
                "bad model": http.post("/v1/summaries", json={"text": NEWS, "model": "gpt-9-ultra"}),
                "xml": http.post("/v1/summaries", content=b"<a/>", headers={"content-type": "application/xml"}),
            }
        expected = {"malformed": 422, "unknown field": 422, "two documents": 422, "nothing": 422, "too large": 413,
                    "not a pdf": 422, "encrypted": 422, "private url": 422, "unknown job": 404, "bad section": 422,
                    "bad model": 422, "xml": 415}
        for name, response in cases.items():
            assert response.status_code == expected[name], (name, response.text)
            problem = response.json()
            assert response.headers["content-type"] == "application/problem+json", name
            assert set(problem) >= {"type", "title", "status", "detail"}, name
            assert problem["detail"].count(". ") == 0 and "\n" not in problem["detail"], (name, problem["detail"])
            assert "Traceback" not in response.text and PROVIDER_KEY not in response.text
        assert "password" in cases["encrypted"].json()["detail"].lower()
        assert "network" in cases["private url"].json()["detail"].lower()
    finally:
        server.stop()


def test_a_model_endpoint_that_is_down_fails_the_job_with_a_sentence_not_a_5xx(app_home):
    env = service_env(app_home, "http://127.0.0.1:9/v1")  # nothing listens there
    server = ApiServer(env).start()
    try:
        with server.client() as http:
            answer = http.post("/v1/summaries", json={"text": NEWS}, headers={"Prefer": "wait=20"})
            assert answer.status_code == 200, answer.text
            job = answer.json()
            assert job["status"] == "failed" and job["result"]["overview_error"]
            ready = http.get("/health/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["model_endpoint"].startswith("unreachable")
            # the built-in summarizer needs no endpoint
            offline = http.post("/v1/summaries", json={"text": NEWS, "backend": "extractive"}, headers={"Prefer": "wait=10"})
            assert offline.json()["status"] == "done"
    finally:
        server.stop()


def test_a_batch_in_the_openai_format_answers_by_custom_id(api):
    lines = [{"custom_id": "a-1", "method": "POST", "url": "/v1/summaries", "body": {"text": NEWS, "backend": "extractive"}},
             {"custom_id": "b-2", "method": "POST", "url": "/v1/summaries",
              "body": {"text": NEWS.replace("council", "board"), "backend": "extractive"}},
             {"custom_id": "c-3", "method": "POST", "url": "/v1/summaries", "body": {"url": "http://10.0.0.1/x"}}]
    jsonl = "\n".join(json.dumps(x) for x in lines).encode()
    with api.client() as http:
        made = http.post("/v1/batches", files={"file": ("batch.jsonl", jsonl, "application/jsonl")})
        assert made.status_code == 202, made.text
        batch = made.json()
        assert batch["request_counts"]["total"] == 3
        deadline = time.monotonic() + 30
        while http.get(f"/v1/batches/{batch['id']}").json()["status"] != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        out = [json.loads(line) for line in http.get(f"/v1/batches/{batch['id']}/output").text.splitlines()]
        by_id = {o["custom_id"]: o for o in out}
        assert set(by_id) == {"a-1", "b-2", "c-3"}
        assert by_id["a-1"]["response"]["status_code"] == 200 and "council" in by_id["a-1"]["response"]["body"]["result"]["summary"]
        assert by_id["c-3"]["error"] and by_id["c-3"]["response"] is None
        with http.stream("GET", f"/v1/summaries/{by_id['c-3']['id']}/events", timeout=10) as events:
            told = "".join(events.iter_text())  # the line that could not run: its events end, never hang
        assert "event: end" in told and '"failed"' in told
        bad = http.post("/v1/batches", content=b'{"custom_id": 1}\n', headers={"content-type": "application/jsonl"})
        assert bad.status_code == 422 and "Line 1" in bad.json()["detail"]


def test_sections_then_ask_with_citations_and_a_streamed_answer(api):
    with api.client() as http:
        parsed = http.post("/v1/sections", files={"file": ("p.pdf", make_paper(), "application/pdf")}).json()
        titles = [s["title"] for s in parsed["sections"]]
        assert any("Experiments" in t for t in titles) and parsed["document_id"].startswith("doc_")
        answer = http.post("/v1/ask", json={"document_id": parsed["document_id"], "backend": "extractive",
                                            "question": "Which collections are used in the experiments?"}).json()
        assert answer["found"] and answer["citations"] and "PubMed" in answer["answer"]
        assert answer["citations"][0]["page"]
        with http.stream("POST", "/v1/ask", json={"document_id": parsed["document_id"], "backend": "extractive",
                                                  "question": "How many queries?", "stream": True}) as streamed:
            text = "".join(streamed.iter_text())
        assert "event: delta" in text and "event: answer" in text and "10,000" in text
        only = http.post("/v1/summaries", json={"document_id": parsed["document_id"], "backend": "extractive",
                                                "include": [i for i, t in enumerate(titles) if "Experiments" in t]},
                         headers={"Prefer": "wait=10"}).json()
        summarized = [s["title"] for s in only["result"]["sections"] if s["status"] == "done"]
        assert summarized and all("Experiments" in t for t in summarized)


def test_health_metrics_and_the_openapi_document(api):
    with api.client() as http:
        assert http.get("/health/live").json() == {"status": "ok"}
        http.post("/v1/summaries", json={"text": NEWS, "backend": "extractive"}, headers={"Prefer": "wait=10"})
        metrics = http.get("/metrics").text
        assert 'summarizer_http_requests_total{method="POST",route="/v1/summaries",status="200"}' in metrics
        assert 'summarizer_jobs{status="done"}' in metrics
        assert 'summarizer_sections_total{model="extractive",status="done"}' in metrics
        spec = http.get("/openapi.json").json()
        assert {"/v1/summaries", "/v1/summaries/{job_id}/events", "/v1/batches", "/v1/ask"} <= set(spec["paths"])
        assert http.get("/docs").status_code == 200


def test_without_keys_the_server_refuses_to_listen_beyond_loopback(app_home):
    refused = summarizer_cli(service_env(app_home), "serve", "--host", "0.0.0.0", "--port", "0", timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "API keys" in refused.stderr and "Traceback" not in refused.stderr


def test_what_a_review_found_stays_fixed(api, model):
    """Alike batch lines stay separate requests; a batch larger than the job limit is accepted; a reused
    Idempotency-Key with another body is refused; bad addresses and numbers are 422s; a reconnect after the end
    closes the stream; a huge Last-Event-ID is harmless."""
    with api.client() as http:
        line = {"method": "POST", "url": "/v1/summaries", "body": {"text": NEWS, "backend": "extractive"}}
        jsonl = "\n".join(json.dumps({**line, "custom_id": f"same-{i}"}) for i in range(10)).encode()
        batch = http.post("/v1/batches", content=jsonl, headers={"content-type": "application/jsonl"})
        assert batch.status_code == 202 and batch.json()["request_counts"]["total"] == 10
        first = http.post("/v1/summaries", json={"text": NEWS}, headers={"Idempotency-Key": "k1", "Prefer": "wait=10"})
        reused = http.post("/v1/summaries", json={"text": NEWS + " More."}, headers={"Idempotency-Key": "k1"})
        assert first.status_code == 200 and reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
        for url in ("http://example.com:99999/", "http://[::1/x"):
            bad = http.post("/v1/summaries", json={"url": url})
            assert bad.status_code == 422, (url, bad.text)
        huge = http.post("/v1/summaries", files={"file": ("a.txt", NEWS.encode())}, data={"include": "9" * 5000})
        assert huge.status_code == 422
        job_id = first.json()["id"]
        events = read_events(http, job_id)
        again = read_events(http, job_id, last_event_id=int(events[-1]["id"]), timeout=10)
        assert again == []
        assert read_events(http, job_id, last_event_id=10**30, timeout=10)[-1]["event"] == "end"


def test_several_server_processes_share_one_store(app_home, model):
    """serve --processes 2: requests land on either process; every job is found and finished by both."""
    server = ApiServer(service_env(app_home, model.base_url), "--processes", "2").start()
    try:
        from concurrent.futures import ThreadPoolExecutor

        def post(i: int) -> dict:
            with server.client() as http:  # a connection of its own: either process may accept it
                return http.post("/v1/summaries", json={"text": NEWS + f" Story {i}.", "backend": "llm"},
                                 headers={"Prefer": "respond-async"}).json()

        with ThreadPoolExecutor(8) as pool:
            jobs = list(pool.map(post, range(16)))
        with server.client() as http:
            finals = [wait_job(http, j["id"]) for j in jobs]
        assert all(f["status"] == "done" for f in finals), [f["error"] for f in finals]
        from pathlib import Path

        children = [p for p in Path("/proc").glob("[0-9]*/stat")
                    if p.read_text().rsplit(")", 1)[1].split()[1] == str(server.proc.pid)]
        assert len(children) >= 2, "two server processes under uvicorn's manager"
        for j in jobs:  # each job ran once, in one of them
            runs = [e for e in _events_now_from(server.env, server.port, j["id"])
                    if e["event"] == "status" and e["data"]["status"] == "running"]
            assert len(runs) == 1, runs
    finally:
        server.stop()

"""What a key spends on ``/v1/ask`` counts like what its summaries spend: the answer's model tokens go to the
key's tokens for today (also when the client leaves mid-answer), the answer reports them as a summary does,
and a key past its tokens is refused Ask with the same problem as a summary. Real uvicorn (``summarizer serve``)
and the stand-in model server; the key's counter is read from the server's store."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.api_server import ApiServer, service_env, summarizer_cli
from tests.test_service import NEWS

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


def _key(env: dict, name: str, *limits: str) -> dict:
    made = summarizer_cli(env, "keys", "create", name, *limits, "--json")
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


def _used_today(env: dict, key_id: str) -> int:
    """The key's tokens for today as the quota reads them, from the server's store."""
    from summarizer.service.quotas import day_start
    from summarizer.service.store import SQLiteServiceStore

    store = SQLiteServiceStore(Path(env["SUMMARIZER_HOME"]) / "data" / "service.sqlite3")
    return store.tokens_since(key_id, day_start(time.time()))


def _streamed_answer(http, body: dict) -> dict:
    with http.stream("POST", "/v1/ask", json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        text = "".join(response.iter_text())
    block = text.split("event: answer\n", 1)[1]
    return json.loads(block.split("data: ", 1)[1].split("\n", 1)[0])


@contextmanager
def _serving(app_home, llm_server, name: str = "reader", *limits: str):
    """A real ``summarizer serve`` on the stand-in model, a key (with ``limits``) and a client holding it, and the
    news article's document: (env, key, http, document id)."""
    env = service_env(app_home, llm_server.base_url)
    key = _key(env, name, *limits)
    server = ApiServer(env).start()
    try:
        with server.client(key["key"]) as http:
            yield env, key, http, http.post("/v1/sections", json={"text": NEWS}).json()["document_id"]
    finally:
        server.stop()


def test_ask_counts_its_tokens_toward_the_key_and_reports_them_like_a_summary(app_home, llm_server):
    with _serving(app_home, llm_server) as (env, reader, http, doc):
        assert _used_today(env, reader["id"]) == 0
        asked = http.post("/v1/ask", json={"document_id": doc, "question": "What did the council approve?"})
        assert asked.status_code == 200, asked.text
        usage = asked.json()["usage"]
        summary = http.post("/v1/summaries", json={"document_id": doc}, headers={"Prefer": "wait=20"}).json()
        assert set(usage) == set(summary["result"]["usage"]), "the same usage fields as a summary's"
        assert usage["tokens_in"] > 0 and usage["tokens_out"] > 0 and usage["requests"] == 1
        spent = usage["tokens_in"] + usage["tokens_out"]
        summary_spent = summary["result"]["usage"]["tokens_in"] + summary["result"]["usage"]["tokens_out"]
        assert _used_today(env, reader["id"]) == spent + summary_spent

        streamed = _streamed_answer(http, {"document_id": doc, "question": "How much more goes to schools?"})
        assert streamed["usage"]["tokens_in"] > 0 and streamed["usage"]["requests"] == 1
        spent += streamed["usage"]["tokens_in"] + streamed["usage"]["tokens_out"]
        assert _used_today(env, reader["id"]) == spent + summary_spent

        offline = http.post("/v1/ask", json={"document_id": doc, "backend": "extractive",
                                             "question": "Who defended the plan?"}).json()
        assert offline["usage"]["requests"] == 0 and offline["usage"]["tokens_in"] == 0
        assert _used_today(env, reader["id"]) == spent + summary_spent


def test_a_client_that_leaves_mid_answer_is_charged_what_was_spent(app_home, llm_server):
    llm_server.state.reset(tokens_per_second=8)  # a piece every half second
    with _serving(app_home, llm_server, "reader") as (env, reader, http, doc):
        body = {"document_id": doc, "question": "What did the council approve?", "stream": True}
        with http.stream("POST", "/v1/ask", json=body) as response:
            for line in response.iter_lines():
                if line.startswith("event: delta"):
                    break  # the client goes away after the first piece
        deadline = time.monotonic() + 20  # the server, still running, counts what the left answer spent
        while _used_today(env, reader["id"]) == 0:
            assert time.monotonic() < deadline, "the tokens of an answer its client left were never counted"
            time.sleep(0.2)
    assert len(llm_server.state.chat_requests) == 1


def test_a_key_past_its_tokens_is_refused_ask_with_the_same_problem_as_a_summary(app_home, llm_server):
    # one answer spends more than 50 tokens
    with _serving(app_home, llm_server, "tight", "--tokens-per-day", "50") as (env, tight, http, doc):
        first = http.post("/v1/ask", json={"document_id": doc, "question": "What did the council approve?"})
        assert first.status_code == 200, first.text
        assert _used_today(env, tight["id"]) >= 50
        ask = http.post("/v1/ask", json={"document_id": doc, "question": "Who defended the plan?"})
        summary = http.post("/v1/summaries", json={"document_id": doc})
    assert ask.status_code == summary.status_code == 429, (ask.text, summary.text)
    assert ask.headers["content-type"] == summary.headers["content-type"] == "application/problem+json"
    assert ask.headers["retry-after"] == summary.headers["retry-after"]
    same = ("type", "title", "status", "detail")
    assert {k: ask.json()[k] for k in same} == {k: summary.json()[k] for k in same}
    assert "50 model tokens" in ask.json()["detail"]
    assert len(llm_server.state.chat_requests) == 1, "the refused ask sent nothing to the model"


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_both_stores_count_usage_outside_jobs_toward_the_keys_tokens_for_today(kind, tmp_path):
    from summarizer.service.jobs import Job, new_id
    from summarizer.service.quotas import day_start

    if kind == "redis":
        from tests.api_server import RedisServer

        if not RedisServer.available():
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        from summarizer.service.redis_store import RedisServiceStore

        redis = RedisServer(tmp_path / "redis").start()
        store = RedisServiceStore(redis.url)
    else:
        from summarizer.service.store import SQLiteServiceStore

        redis, store = None, SQLiteServiceStore(tmp_path / "service.sqlite3")
    try:
        today = day_start(time.time())
        job = store.create_job(Job(id=new_id("sum"), client="desk", document_id="doc_1"))
        store.update_job(job.id, status="done", tokens=300)
        store.add_usage("desk", "ask", 120, 0.001)
        store.add_usage("lab", "ask", 999, None)
        assert store.tokens_since("desk", today) == 420
        assert store.tokens_since("lab", today) == 999
    finally:
        if redis is not None:
            redis.stop()


def test_an_answer_is_given_even_when_its_tokens_cannot_be_counted(app_home, llm_server):
    """The store fails as the answer's tokens are counted (here: SQLite refuses the write): the client still gets
    the answer it paid for, plain and streamed; the log says the count was lost."""
    import sqlite3

    with _serving(app_home, llm_server, "reader") as (env, reader, http, doc):
        with sqlite3.connect(Path(env["SUMMARIZER_HOME"]) / "data" / "service.sqlite3") as db:
            db.execute("CREATE TRIGGER refuse BEFORE INSERT ON usage BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        asked = http.post("/v1/ask", json={"document_id": doc, "question": "What did the council approve?"})
        assert asked.status_code == 200, asked.text
        assert asked.json()["usage"]["tokens_in"] > 0
        assert _streamed_answer(http, {"document_id": doc, "question": "Who defended the plan?"})["usage"]["requests"] == 1

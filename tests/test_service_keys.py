"""Keys count while the server runs: a key created with ``summarizer keys create`` while a server that started
without keys runs makes it refuse requests without a key within a second or two, no restart; the key works, and
once revoked it is refused. Real uvicorn (``summarizer serve``) and the real command line."""

from __future__ import annotations

import json
import time

import pytest

from tests.api_server import ApiServer, service_env, summarizer_cli
from tests.test_service import NEWS

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

#: How soon a key created or revoked must count: the server looks again every second.
PROMPTLY = 3.0


def _status_within(request, wanted: int, seconds: float = PROMPTLY):
    """The first answer of ``request()`` with status ``wanted``, asked again until ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        answer = request()
        if answer.status_code == wanted or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def test_a_key_created_while_a_keyless_server_runs_is_needed_at_once_and_its_revoke_counts_too(app_home):
    env = service_env(app_home)
    server = ApiServer(env).start()
    try:
        assert "No API keys exist" in server.output()
        with server.client() as anon:
            assert anon.post("/v1/sections", json={"text": NEWS}).status_code == 200, "open while no key exists"
            made = summarizer_cli(env, "keys", "create", "desk", "--json")
            assert made.returncode == 0, made.stderr
            key = json.loads(made.stdout)
            refused = _status_within(lambda: anon.post("/v1/sections", json={"text": NEWS}), 401)
            assert refused.status_code == 401, "a request without a key is still let in after a key was created"
            assert "Bearer" in refused.json()["detail"] and refused.headers["www-authenticate"].startswith("Bearer")
            with server.client(key["key"]) as desk:
                assert desk.post("/v1/sections", json={"text": NEWS}).status_code == 200
                revoked = summarizer_cli(env, "keys", "revoke", key["id"])
                assert revoked.returncode == 0, revoked.stderr
                gone = _status_within(lambda: desk.post("/v1/sections", json={"text": NEWS}), 401)
                assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
            assert anon.post("/v1/sections", json={"text": NEWS}).status_code == 401, "revoking the last key opens nothing"
        assert "now refuses every request without one" in server.output()
    finally:
        server.stop()


def test_the_key_gate_looks_again_at_most_every_interval_and_never_opens_again(tmp_path):
    from summarizer.service.keys import KeyGate, create_key
    from summarizer.service.settings import ServiceSettings
    from summarizer.service.store import SQLiteServiceStore

    store = SQLiteServiceStore(tmp_path / "service.sqlite3")
    looks = []
    has_keys = store.has_keys
    store.has_keys = lambda: looks.append(1) or has_keys()  # counts the store's look-ups
    gate = KeyGate(store, every=0.3)
    assert not gate.needed and not gate.needed and len(looks) == 1, "one look per interval, not one per request"
    _token, key = create_key(store, "desk", ServiceSettings())
    time.sleep(0.35)
    assert gate.needed
    store.revoke_key(key.id)
    time.sleep(0.35)
    assert gate.needed and len(looks) == 2, "once keys are needed, the store is not asked again"

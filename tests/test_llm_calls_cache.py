"""A cache that keeps working: a store that opens but fails every write (partly corrupted sqlite)
is moved aside and rebuilt, the run says so once, and the next run is served from the new store."""

from __future__ import annotations

import os

from conftest import llm_settings

from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend
from summarizer.llm.cache import AnswerCache
from summarizer.llm.client import ChatClient
from summarizer.run.engine import summarize_document

PAPER = ("# A study\n\n## 1 Method\nThe method builds an index of documents.\n\n"
         "## 2 Results\nRecall rose on both corpora we tried.")


def corrupt_store(folder) -> None:
    """A diskcache store whose data pages are garbage: it opens and reads, every write fails."""
    import diskcache

    cache = diskcache.Cache(str(folder))
    for i in range(300):
        cache.set(f"old-{i}", {"fields": {"summary": "x" * 500}})
    cache.close()
    db = folder / "cache.db"
    with open(db, "r+b") as f:  # the last page: reads still work, every write fails
        f.seek(os.path.getsize(db) - 4096)
        f.write(b"\xff" * 4096)
    broken = diskcache.Cache(str(folder))
    assert broken.get("old-5") is not None  # the damage shows only when writing
    broken.close()


def test_a_store_that_fails_writes_is_rebuilt_and_said_once(tmp_path):
    folder = tmp_path / "answers"
    corrupt_store(folder)
    cache = AnswerCache(folder)
    cache.set("a", {"ok": True})
    cache.set("b", {"ok": True})
    assert cache.get("a") == {"ok": True} and cache.get("b") == {"ok": True}
    notices = cache.take_notices()
    assert len(notices) == 1 and "moved aside" in notices[0]
    assert cache.take_notices() == []
    assert [p.name.startswith("answers.broken-") for p in tmp_path.iterdir()].count(True) == 1


def test_a_run_on_a_damaged_cache_is_cached_for_the_next_run(tmp_path, llm_server):
    folder = tmp_path / "answers"
    corrupt_store(folder)
    settings = llm_settings(llm_server, workers=2)
    first = summarize_document(parse_text(PAPER), settings,
                               backend=LLMBackend(settings, client=ChatClient(settings), cache=AnswerCache(folder)))
    assert sum("moved aside" in n for n in first.notices) == 1
    sent = len(llm_server.state.chat_requests)
    second = summarize_document(parse_text(PAPER), settings,
                                backend=LLMBackend(settings, client=ChatClient(settings), cache=AnswerCache(folder)))
    assert len(llm_server.state.chat_requests) == sent  # every answer came from the rebuilt store
    assert all(s.cached for s in second.sections if s.status != "skipped")
    assert not any("moved aside" in n for n in second.notices)


def test_answers_are_reused_only_under_the_key_that_paid(tmp_path, llm_server):
    """One server, one answer cache, two users with their own keys: the second user's run is asked (and
    paid) with their key, never served the first user's answers; the same key's re-run is free."""
    folder = tmp_path / "answers"

    def run(key: str):
        settings = llm_settings(llm_server, api_key=key, workers=2)
        return summarize_document(parse_text(PAPER), settings,
                                  backend=LLMBackend(settings, client=ChatClient(settings), cache=AnswerCache(folder)))

    run("sk-user-a-1111")
    paid_by_a = len(llm_server.state.chat_requests)
    again = run("sk-user-a-1111")
    assert len(llm_server.state.chat_requests) == paid_by_a and all(s.cached for s in again.sections if s.ok)
    other = run("sk-user-b-2222")
    assert len(llm_server.state.chat_requests) == 2 * paid_by_a  # asked again, under B's key
    assert not any(s.cached for s in other.sections)
    auths = {r.headers.get("authorization") for r in llm_server.state.chat_requests[paid_by_a:]}
    assert auths == {"Bearer sk-user-b-2222"}
    stored = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert b"sk-user-a" not in stored and b"sk-user-b" not in stored  # the key itself is never stored

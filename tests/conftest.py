"""Shared fixtures: an isolated app home, the local LLM server, generated and corpus PDFs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
#: The shared corpus: SUMMARIZER_CORPUS if set, else ../shared/corpus next to the checkout. Tests that need it
#: skip with that reason when it is absent; tests that merely prefer it name their fallback (see test_browser).
CORPUS = Path(os.environ.get("SUMMARIZER_CORPUS") or ROOT.parent / "shared" / "corpus").expanduser()
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(ROOT))

from llm_server import LLMServer  # noqa: E402
from pdf_factory import make_paper  # noqa: E402

#: The files that take longest (a real model, browsers), run first: with pytest-xdist giving each worker one
#: file at a time, a long file started last would run alone at the end. Every other file keeps its order.
#: Ordered by their times in a full run on 2 cores (``--durations=0``, summed per file), except that the files running
#: llama.cpp (CPU-bound, one thread each) are kept apart: test_llamacpp_server.py started beside test_real_model.py
#: (three llama.cpp servers of its own) took 273-294 s instead of 110 s.
LONGEST_FIRST = ("test_real_model.py", "test_browser_history.py", "test_browser.py", "test_browser_sessions.py",
                 "test_ray_batch.py", "test_llamacpp_server.py", "test_browser_table.py", "test_service.py",
                 "test_service_queue.py", "test_browser_ask.py", "test_package.py", "test_browser_settings.py",
                 "test_browser_inert.py", "test_browser_exports.py", "test_browser_page_view.py", "test_ask_local.py",
                 "test_browser_stop.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))


#: With SUMMARIZER_CORPUS_USERS=FILE (.ci/run), the ids of the tests that read the corpus (or the fragment tool
#: beside it) are appended to FILE, to be run again with the corpus absent (tests/corpus_users.py).
_CORPUS_USERS = None
if os.environ.get("SUMMARIZER_CORPUS_USERS"):
    from corpus_users import install

    _CORPUS_USERS = install([CORPUS, CORPUS.parent / "tools"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    if _CORPUS_USERS is not None:
        _CORPUS_USERS.current = item.nodeid
    try:
        return (yield)
    finally:
        if _CORPUS_USERS is not None:
            _CORPUS_USERS.current = None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A module that reads the corpus while it is imported (e.g. to parametrize) is rerun whole."""
    if _CORPUS_USERS is not None and isinstance(collector, pytest.Module):
        _CORPUS_USERS.current = collector.nodeid
    try:
        return (yield)
    finally:
        if _CORPUS_USERS is not None:
            _CORPUS_USERS.current = None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """A module- or class-wide fixture that reads the corpus serves every test there: all of them run again."""
    if _CORPUS_USERS is None or fixturedef.scope not in ("module", "class") or not request.node.nodeid:
        return (yield)
    test, _CORPUS_USERS.current = _CORPUS_USERS.current, request.node.nodeid
    try:
        return (yield)
    finally:
        _CORPUS_USERS.current = test


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _CORPUS_USERS is not None:
        _CORPUS_USERS.write(os.environ["SUMMARIZER_CORPUS_USERS"])


@pytest.fixture(autouse=True)
def app_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own data/cache folder, and no key or endpoint from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("SUMMARIZER_HOME", str(home))
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_MODEL", "SUMMARIZER_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    for var in ("NO_PROXY", "no_proxy"):  # a proxy set for the machine never carries the loopback test servers
        monkeypatch.setenv(var, "127.0.0.1,localhost,::1")
    from summarizer.text.tokens import get_tokenizer

    get_tokenizer.cache_clear()
    return home


@pytest.fixture(autouse=True)
def endpoints_looked_at_afresh():
    """A good look at an endpoint is trusted by later runs of the process for a minute
    (``llm/endpoint_check.py``); each test starts with none remembered, so no test depends on the one before."""
    from summarizer.llm.endpoint_check import forget_endpoints

    forget_endpoints()
    yield


@pytest.fixture(autouse=True)
def library_logging_as_found():
    """A CLI run in-process (``cli.main``) configures the ``summarizer`` logger for a terminal: its own handlers,
    and no propagation to the root logger, where ``caplog`` listens. Each test gets the logger back as it
    found it, so whether a test sees the library's log does not depend on which test ran before it."""
    import logging

    log = logging.getLogger("summarizer")
    handlers, propagate, level = list(log.handlers), log.propagate, log.level
    yield
    for handler in [h for h in log.handlers if h not in handlers]:
        log.removeHandler(handler)
        handler.close()
    log.propagate, log.level = propagate, level


def stop_process(proc) -> None:
    """End a server the test started: terminate, then kill if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def llm_server():
    with LLMServer() as server:
        yield server


@pytest.fixture
def paper_pdf() -> bytes:
    return make_paper()


def corpus_papers() -> Path:
    folder = CORPUS / "papers"
    if not folder.is_dir():
        pytest.skip(f"the shared corpus is not at {folder}")
    return folder


@pytest.fixture
def corpus_dir() -> Path:
    return corpus_papers()


def llm_settings(server: LLMServer, **changes):
    from summarizer.config.settings import Settings

    base = dict(backend="llm", model="test-model", base_url=server.base_url, api_key="sk-test-0000",
                workers=4, max_attempts=4, timeout=10)
    base.update(changes)
    return Settings(**base)


def llm_settings_per_section(server: LLMServer, **changes):
    """``llm_settings`` for tests of how each section is asked (its own prompt, groups of neighbours, one
    overall-summary request): no short paper asked whole in one request (tests/test_whole_paper.py)."""
    return llm_settings(server, **{"whole_paper_below": 0, **changes})


@pytest.fixture
def env_clean():
    return dict(os.environ)

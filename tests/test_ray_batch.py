"""``batch --engine ray`` on a real local Ray (``ray.init(num_cpus=2)``, started once for this file) with the
loopback stand-in model server: 20 articles with a Ray worker SIGKILLed mid-run lose nothing and are written
once; a re-run asks only for what has no result; the outputs equal the local engine's; a bad document is a
result with its reason, not a stopped batch."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import llm_settings
from llm_server import LLMServer

ray = pytest.importorskip("ray", reason="Ray is not installed (optional: pip install -r requirements-ray.txt)")

from summarizer.config.settings import Settings  # noqa: E402
from summarizer.run.batch import run_batch  # noqa: E402
from summarizer.run.ray_batch import run_batch_ray, shared_settings, start_ray  # noqa: E402

CITIES = ["Hangzhou", "Lyon", "Porto", "Tartu", "Leeds", "Graz", "Turku", "Gdansk", "Bergen", "Malmo"]


def _articles(path: Path, n: int = 20) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            city = CITIES[i % len(CITIES)]
            text = (f"The council of {city} approved a budget of {i + 3} million euros for district {i} on Monday. "
                    f"The mayor of {city} said the money will repair roads and schools before winter. Critics said "
                    f"the plan ignores buses and cycle lanes. A vote on transit in district {i} is expected in May. "
                    f"Residents of district {i} will be asked for their views at two public meetings.")
            f.write(json.dumps({"id": f"a{i:02d}", "title": f"{city} budget {i}", "text": text}) + "\n")
    return path


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """One local Ray for the module; its workers' data and caches in a folder of the test run, never the
    machine's own (they keep the environment Ray started with)."""
    home = os.environ.get("SUMMARIZER_HOME")
    os.environ["SUMMARIZER_HOME"] = str(tmp_path_factory.mktemp("ray-home"))
    started = start_ray(None, 2)
    if home is None:
        os.environ.pop("SUMMARIZER_HOME")
    else:
        os.environ["SUMMARIZER_HOME"] = home
    yield ray
    if started:
        ray.shutdown()


def _asked(server: LLMServer) -> set[str]:
    """The articles the model was asked about (by their district number)."""
    import re

    found = set()
    for r in server.state.chat_requests:
        text = r.body["messages"][-1]["content"]
        m = re.search(r"for district (\d+) on Monday", text)
        if m:
            found.add(f"a{int(m.group(1)):02d}")
    return found


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether ``pid`` is ``ancestor``'s child, grandchild …: the Ray this test started, not another suite's."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = (Path("/proc") / str(pid) / "stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the command name: the parent's pid
    return False


def _map_workers() -> list[int]:
    """Ray worker processes running our task now (their command line names the task), of this test's own Ray: a
    second suite on the machine has Ray workers of its own, which are not ours to kill."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("ray::") and "IDLE" not in cmdline and "Map" in cmdline \
                and _descends_from(int(entry.name), os.getpid()):
            pids.append(int(entry.name))
    return pids


def unstamped(text: str) -> str:
    """``text`` without the minute it was written: a Ray run and a local run may straddle a minute's turn."""
    return re.sub(r"\*\*Generated:\*\* \d{4}-\d\d-\d\d \d\d:\d\d UTC", "**Generated:** (when)", text)


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing_and_a_rerun_asks_only_the_missing(local_ray, tmp_path,
                                                                                                   monkeypatch):
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    source, out = _articles(tmp_path / "articles.jsonl"), tmp_path / "out"
    with LLMServer(latency=0.3) as server:
        settings = llm_settings(server, use_cache=False, workers=2)
        killed: list[int] = []

        finished = threading.Event()

        def kill_one() -> None:
            # until the batch returns, however long Ray takes to start on a loaded machine (a 60 s limit from the
            # start ran out before the fourth request in a loaded full run, and nothing was killed)
            while not finished.is_set() and not killed:
                if len(server.state.chat_requests) >= 4:
                    for pid in _map_workers()[:1]:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                time.sleep(0.05)

        killer = threading.Thread(target=kill_one, daemon=True)
        killer.start()
        try:
            report = run_batch_ray(source, out, settings, history=False, num_cpus=2)
        finally:
            finished.set()
        killer.join(5)
        assert killed, "no Ray worker was running our task to kill"
        assert report.done == 20 and not report.failed, [(r.id, r.error) for r in report.results]
        lines = (out / "index.jsonl").read_text(encoding="utf-8").splitlines()
        assert sorted(json.loads(line)["id"] for line in lines) == [f"a{i:02d}" for i in range(20)]  # once each
        for i in range(20):
            data = json.loads((out / f"a{i:02d}.summary.json").read_text(encoding="utf-8"))
            assert data["status"] == "done" and data["summary"] and (out / f"a{i:02d}.summary.md").read_text()

        server.state.reset()  # a re-run of a finished batch asks nothing
        again = run_batch_ray(source, out, settings, history=False, num_cpus=2)
        assert again.skipped == 20 and not server.state.chat_requests

        # three documents without a result (their run cut before they were written): only they are asked
        keep = [line for line in lines if json.loads(line)["id"] not in ("a03", "a11", "a17")]
        (out / "index.jsonl").write_text("\n".join(keep) + "\n", encoding="utf-8")
        server.state.reset()
        resumed = run_batch_ray(source, out, settings, history=False, num_cpus=2)
        assert resumed.done == 3 and resumed.skipped == 17
        assert _asked(server) == {"a03", "a11", "a17"}


def test_ray_writes_what_the_local_engine_writes_for_the_extractive_backend(local_ray, tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    source = _articles(tmp_path / "articles.jsonl", 8)
    settings = Settings(backend="extractive")
    run_batch(source, tmp_path / "local", settings, history=False)
    run_batch_ray(source, tmp_path / "ray", settings, history=True, num_cpus=2)  # a local Ray reaches the store
    from summarizer.store.history import open_history

    assert sorted(r.title for r in open_history().list_runs("batch")) == sorted(f"{c} budget {i}" for i, c in
                                                                              zip(range(8), CITIES, strict=False))
    for i in range(8):
        name = f"a{i:02d}.summary"
        assert unstamped((tmp_path / "ray" / f"{name}.md").read_text(encoding="utf-8")) == \
            unstamped((tmp_path / "local" / f"{name}.md").read_text(encoding="utf-8"))
        local, remote = (json.loads(unstamped((tmp_path / d / f"{name}.json").read_text())) for d in ("local", "ray"))
        local.pop("seconds"), remote.pop("seconds")
        assert local == remote
    assert (tmp_path / "ray" / "index.md").read_text() == (tmp_path / "local" / "index.md").read_text()


def test_a_bad_document_is_a_result_with_its_reason_and_the_batch_goes_on(local_ray, tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path / "home"))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 this is not a PDF at all")
    (folder / "note.txt").write_text("The harbour of Bergen reopened on Friday after a storm closed it for three days. "
                                     "Ferries to the islands run again on the normal timetable.", encoding="utf-8")
    report = run_batch_ray(folder, tmp_path / "out", Settings(backend="extractive"), history=False, num_cpus=2)
    by_id = {r.id: r for r in report.results}
    assert by_id["note"].status == "done"
    assert by_id["broken"].status == "failed" and by_id["broken"].error and "Traceback" not in by_id["broken"].error
    assert "\n" not in by_id["broken"].error


def test_each_task_gets_its_share_of_the_endpoints_ceilings():
    settings = Settings(backend="extractive", requests_per_minute=100, tokens_per_minute=90_000, workers=8)
    shared = shared_settings(settings, 4)
    assert (shared.requests_per_minute, shared.tokens_per_minute, shared.workers) == (25, 22_500, 2)
    assert shared_settings(Settings(backend="extractive"), 4).requests_per_minute is None


def test_a_parquet_file_of_articles_is_read_like_a_jsonl_one(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from summarizer.model.errors import InputError
    from summarizer.run.batch import read_items

    rows = [json.loads(line) for line in _articles(tmp_path / "a.jsonl", 3).read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    items = read_items(tmp_path / "a.parquet")
    assert [(i.id, i.title, i.text) for i in items] == [(r["id"], r["title"], r["text"]) for r in rows]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_items(tmp_path / "bad.parquet")


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (a cluster's own token: its processes and theirs only)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.fixture
def ray_cluster(tmp_path):
    """A real Ray cluster started as an operator starts one (``ray start --head``, token authentication), on
    loopback; stopped by killing its own processes (``ray stop`` would stop every Ray on the machine)."""
    import secrets
    import shutil
    import socket
    import subprocess
    import sys

    ray_cli = shutil.which("ray") or str(Path(sys.executable).with_name("ray"))
    token = secrets.token_hex(16)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token, "PYTHONPATH": str(Path(__file__).parents[1])}
    import tempfile

    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: its sockets' paths must fit 107 bytes
    started = subprocess.run([ray_cli, "start", "--head", "--port", str(port), "--num-cpus", "2", "--include-dashboard",
                              "false", "--disable-usage-stats", "--temp-dir", temp],
                             env=env, capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        yield f"127.0.0.1:{port}", env
    finally:
        ours = _processes_with(f"RAY_AUTH_TOKEN={token}\0")
        for raylet in [pid for pid in ours if b"raylet" in _cmdline(pid)]:  # its agents carry its pid, not the token
            ours += _processes_with(f"RAY_RAYLET_PID={raylet}\0")
        for pid in set(ours):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(temp, ignore_errors=True)


def test_a_batch_on_an_existing_cluster_sends_the_files_and_writes_the_same_outputs(ray_cluster, tmp_path):
    """``--ray-address`` to a cluster started apart (its workers do not share the driver's folder: the driver
    sends each file's bytes), through the CLI as a user runs it; the outputs are the local engine's."""
    import subprocess
    import sys

    address, env = ray_cluster
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"n{i}.txt").write_text(f"The harbour of Bergen reopened on day {i} after a storm closed it. Ferries run "
                                          f"again on the normal timetable. Repairs cost {i + 1} million crowns.", encoding="utf-8")
    env = {**env, "SUMMARIZER_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "summarizer", "batch", str(folder), "-o", str(tmp_path / "out"),
                           "--engine", "ray", "--ray-address", address, "-q"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    run_batch(folder, tmp_path / "local", Settings(backend="extractive"), history=False)
    for i in range(3):
        name = f"n{i}.summary.md"
        assert unstamped((tmp_path / "out" / name).read_text(encoding="utf-8")) == \
            unstamped((tmp_path / "local" / name).read_text(encoding="utf-8"))
    wrong = subprocess.run([sys.executable, "-m", "summarizer", "batch", str(folder), "-o", str(tmp_path / "o2"),
                            "--engine", "ray", "--ray-address", "127.0.0.1:9", "-q"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert wrong.returncode == 2 and "Could not start the Ray cluster at 127.0.0.1:9" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    loopback = subprocess.run([sys.executable, "-m", "summarizer", "batch", str(folder), "-o", str(tmp_path / "o3"),
                               "--engine", "ray", "--ray-address", address, "--backend", "llm", "--base-url",
                               "http://127.0.0.1:8080/v1", "--model", "m", "-q"], env={**env, "OPENAI_API_KEY": "sk-x"},
                              capture_output=True, text=True, timeout=300)
    assert loopback.returncode == 2 and "each ask their own" in loopback.stderr, loopback.stderr[-800:]


def test_the_local_model_backend_is_refused_before_ray_starts(tmp_path):
    """Every Ray worker would start its own llama.cpp server with the model: refused in one sentence."""
    from summarizer.model.errors import ConfigError

    (tmp_path / "m.gguf").write_bytes(b"GGUF" + b"\0" * 64)
    settings = Settings(backend="llm", model_path=str(tmp_path / "m.gguf"), api_key="")
    with pytest.raises(ConfigError, match="every Ray worker would load its own"):
        run_batch_ray(_articles(tmp_path / "a.jsonl", 2), tmp_path / "out", settings, history=False)
    assert not (tmp_path / "out").exists()

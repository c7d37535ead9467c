"""The HTTP service as a user runs it, for tests and benchmarks: ``summarizer serve`` (real uvicorn) and
``summarizer worker`` as child processes on loopback, a real ``redis-server`` on a free port, and a
reader of server-sent events."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(home: Path, llm_base_url: str | None = None, **extra: str) -> dict:
    """The environment of a server process: its own data folder; with ``llm_base_url``, the LLM backend on
    that endpoint, one section per request and a provider key the tests look for in every answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "OPENAI_"))}
    env.update(SUMMARIZER_HOME=str(home), NO_PROXY="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    if llm_base_url:
        env.update(SUMMARIZER_BACKEND="llm", SUMMARIZER_BASE_URL=llm_base_url, SUMMARIZER_MODEL="test-model",
                   SUMMARIZER_API_KEY=PROVIDER_KEY, SUMMARIZER_WHOLE_PAPER_BELOW="0", SUMMARIZER_MAX_ATTEMPTS="2",
                   SUMMARIZER_BACKOFF_BASE="0.05", SUMMARIZER_TIMEOUT="10")
    env.update(extra)
    return env


PROVIDER_KEY = "sk-provider-SECRET-0123456789"


class ApiServer:
    """``summarizer serve`` on a free loopback port; ``client()`` an HTTP client for it."""

    def __init__(self, env: dict, *args: str, prefix: tuple[str, ...] = ()) -> None:
        self.env, self.args, self.prefix = env, args, prefix  # prefix: e.g. ("taskset", "-c", "1")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = Path(env["SUMMARIZER_HOME"]) / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ApiServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([*self.prefix, sys.executable, "-m", "summarizer", "serve", "--port", str(self.port), *self.args],
                                     cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health/live", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def client(self, key: str | None = None, timeout: float = 30) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def summarizer_cli(env: dict, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "summarizer", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def read_events(client: httpx.Client, job_id: str, last_event_id: int | None = None, stop_after: int | None = None,
                timeout: float = 60) -> list[dict]:
    """The job's server-sent events as dicts (id, event, data), to ``end`` or ``stop_after`` events."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    events, current = [], {}
    with client.stream("GET", f"/v1/summaries/{job_id}/events", headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    current["data"] = json.loads(current["data"])
                    events.append(current)
                    if current.get("event") == "end" or (stop_after and len(events) >= stop_after):
                        return events
                current = {}
            elif line.startswith(":"):
                continue
            else:
                name, _, value = line.partition(":")
                current[name] = value[1:] if value.startswith(" ") else value
    return events


def wait_job(client: httpx.Client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/summaries/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job['status']}")


class RedisServer:
    """A real ``redis-server`` (the Debian package) on a free loopback port, nothing saved to disk."""

    def __init__(self, folder: Path, persistent: bool = False) -> None:
        self.folder, self.port, self.persistent = folder, free_port(), persistent
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        keep = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      *keep, "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

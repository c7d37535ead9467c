"""The service's store in Redis, for API replicas and ``summarizer worker`` processes on several machines:
every job, event, document, key and quota count lives in Redis, so an API process holds no state of its own
and any replica answers for any job. Keys are ``<prefix>:…``; a job is a hash of JSON-encoded fields, its
events a list (an event's ``seq`` is its position), a cancel is also published on ``<prefix>:cancel``.

Creating a job is one Lua script (``_CREATE_JOB``): the look-ups of its Idempotency-Key and of an identical
request in flight, and every key the new job writes, happen with nothing in between, so two requests at the same
moment make one job and a crash leaves all of it or none. A new job is also put in the unsent set (a sorted set
by time), which the queue empties once the job is sent (``redis_queue.requeue_unsent``)."""

from __future__ import annotations

import json
import logging
import time
import uuid

from summarizer.service.jobs import ApiKey, Event, Job, JobEvent, JobStatus
from summarizer.service.store import StoreUnavailable

log = logging.getLogger(__name__)
_FINISHED = {str(s) for s in JobStatus if s.finished}
#: Seconds an identical request's job is remembered for coalescing (it is looked up only while in flight).
INFLIGHT_SECONDS = 86400

#: ``create_job`` in one step. KEYS: the Idempotency-Key's, the fingerprint's, the job's hash, the status
#: counts, the unfinished set, the client's active set, the parent's children, the unsent set, the job's events.
#: ARGV: the job keys' prefix, the id, the Idempotency-Key, the fingerprint, the status, 1 when unfinished, 1 when
#: it is to be queued, the parent, now, its first event ('' for none), then the hash's fields and values.
#: Returns the id of the job that answers instead, or false when this one was stored.
_CREATE_JOB = f"""
local prefix, id, idem, fp = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if idem ~= '' then
  local other = redis.call('GET', KEYS[1])
  if other and redis.call('EXISTS', prefix .. other) == 1 then return other end
end
if fp ~= '' then
  local other = redis.call('GET', KEYS[2])
  if other then
    local state = redis.call('HMGET', prefix .. other, 'status', 'cancel_requested')
    if (state[1] == '"queued"' or state[1] == '"running"') and state[2] ~= 'true' then return other end
  end
end
redis.call('HSET', KEYS[3], unpack(ARGV, 11))
if ARGV[10] ~= '' then redis.call('RPUSH', KEYS[9], ARGV[10]) end
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
if ARGV[6] == '1' then
  redis.call('SADD', KEYS[5], id)
  if ARGV[7] == '1' then
    redis.call('SADD', KEYS[6], id)
    redis.call('ZADD', KEYS[8], ARGV[9], id)
  end
end
if ARGV[8] ~= '' then redis.call('RPUSH', KEYS[7], id) end
if idem ~= '' then redis.call('SET', KEYS[1], id) end
if fp ~= '' then redis.call('SET', KEYS[2], id, 'EX', {INFLIGHT_SECONDS}) end
return false
"""

#: The unsent jobs older than ARGV[1] (KEYS[1], by when stored or last sent), each claimed for one sender by
#: moving its time to now (ARGV[2]); a finished or vanished one is dropped. ARGV[3]: the job keys' prefix.
_CLAIM_UNSENT = """
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)) do
  local status = redis.call('HGET', ARGV[3] .. id, 'status')
  if status == '"queued"' or status == '"running"' then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    table.insert(out, id)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""


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
        self._create = self.redis.register_script(_CREATE_JOB)
        self._claim_unsent = self.redis.register_script(_CLAIM_UNSENT)

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
    def create_job(self, job: Job, event: Event | None = None) -> Job:
        """One Lua script, so Redis runs it whole or not at all and nothing runs between its steps: the same
        Idempotency-Key's job or an identical request's job in flight is answered; else the job, its keys and its
        place in the unsent set are written together (the sweep queues a job whose API died before queueing it)."""
        row = job.to_row()
        fields = [item for name, value in row.items() for item in (name, json.dumps(value, ensure_ascii=False))]
        keys = [self.k("idem", job.client, job.idempotency_key), self.k("inflight", job.client, job.fingerprint),
                self.k("job", job.id), self.k("status-counts"), self.k("unfinished"), self.k("active", job.client),
                self.k("children", job.parent), self.k("unsent"), self.k("events", job.id)]
        queued = not job.status.finished and job.kind == "summary"
        other = self._create(keys=keys, args=[self.k("job", ""), job.id, job.idempotency_key, job.fingerprint,
                                              str(job.status), int(not job.status.finished), int(queued),
                                              job.parent, time.time(), self._event_text(event) if event else "",
                                              *fields])
        if not other:
            return job
        found = self.get_job(other)
        return found if found is not None else job  # jobs are never deleted: found

    def sent(self, job_id: str) -> None:
        """The job is on the queue: the sweep leaves it alone."""
        self.redis.zrem(self.k("unsent"), job_id)

    def claim_unsent(self, older_than: float, now: float | None = None) -> list[str]:
        """Unfinished jobs stored (or last sent by a sweep) more than ``older_than`` seconds ago and not known to
        be on the queue, each claimed for this caller for the next ``older_than`` seconds, so two sweeps do not
        both send it."""
        now = time.time() if now is None else now
        return list(self._claim_unsent(keys=[self.k("unsent")], args=[now - older_than, now, self.k("job", "")]))

    def get_job(self, job_id: str, client: str | None = None) -> Job | None:
        raw = self.redis.hgetall(self.k("job", job_id))
        if not raw:
            return None
        job = Job.from_row({k: json.loads(v) for k, v in raw.items()})
        return job if client is None or job.client == client else None

    def update_job(self, job_id: str, event: Event | None = None, **changes) -> None:
        """The job's changes and ``event`` in one MULTI/EXEC: no reader sees one without the other."""
        if not changes and event is None:
            return
        old = None
        if "status" in changes:
            raw = self.redis.hmget(self.k("job", job_id), ["status", "client", "kind", "tokens"])
            old = [json.loads(v) if v else None for v in raw]
        values = {k: json.dumps(str(v) if k in ("status", "kind") else v, ensure_ascii=False) for k, v in changes.items()}
        pipe = self.redis.pipeline()
        if values:
            pipe.hset(self.k("job", job_id), mapping=values)
        if event is not None:
            pipe.rpush(self.k("events", job_id), self._event_text(event))
        if old is not None and old[0] != str(changes["status"]):
            status, client = str(changes["status"]), old[1]
            pipe.hincrby(self.k("status-counts"), old[0], -1)
            pipe.hincrby(self.k("status-counts"), status, 1)
            if status in _FINISHED:
                pipe.srem(self.k("unfinished"), job_id)
                pipe.srem(self.k("active", client), job_id)
                pipe.zrem(self.k("unsent"), job_id)
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

    def add_usage(self, client: str, what: str, tokens: int, cost_usd: float | None, now: float | None = None) -> None:
        if tokens <= 0:
            return
        day = time.strftime("%Y%m%d", time.gmtime(now))
        pipe = self.redis.pipeline()
        pipe.incrby(self.k("tokens", client, day), tokens)
        pipe.expire(self.k("tokens", client, day), 2 * 86400)
        pipe.execute()

    def count_by_status(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.redis.hgetall(self.k("status-counts")).items() if int(v) > 0}

    # -- events --------------------------------------------------------------------------------
    def add_event(self, job_id: str, type_: str, data: dict) -> int:
        return int(self.redis.rpush(self.k("events", job_id), self._event_text((type_, data))))

    @staticmethod
    def _event_text(event: Event) -> str:
        return json.dumps({"type": event[0], "data": event[1]}, ensure_ascii=False)

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

"""The service's store in one SQLite file beside History (``service.sqlite3`` in the data folder): jobs,
their events, the documents they read, API keys (hashes only), the per-minute request counts and the model
usage of requests that are not jobs (Ask). WAL mode
and one connection per thread, so the API's threads and the job threads write at once; a restart (or a
``kill -9``) loses nothing a client was told was accepted, because a job is written before it is answered.
Schema changes are named migrations, as in History."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from summarizer.model.errors import SummarizerError
from summarizer.service.jobs import ApiKey, Event, Job, JobEvent, JobStatus
from summarizer.store.transaction import write_transaction

DB_NAME = "service.sqlite3"
_JSON_COLUMNS = ("options", "result")
_UNFINISHED = (str(JobStatus.QUEUED), str(JobStatus.RUNNING))


class StoreUnavailable(SummarizerError):
    """The job store cannot be opened or written."""


def _v1_jobs_events_keys(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE jobs (
        id TEXT PRIMARY KEY, client TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
        document_id TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', options TEXT NOT NULL DEFAULT '{}',
        fingerprint TEXT NOT NULL DEFAULT '', idempotency_key TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL, started REAL, finished REAL, error TEXT NOT NULL DEFAULT '',
        result TEXT, markdown TEXT NOT NULL DEFAULT '', tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL,
        cancel_requested INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
        parent TEXT NOT NULL DEFAULT '', custom_id TEXT NOT NULL DEFAULT '')""")
    db.execute("CREATE INDEX jobs_client ON jobs (client, status)")
    db.execute("CREATE INDEX jobs_parent ON jobs (parent)")
    db.execute("CREATE UNIQUE INDEX jobs_idempotency ON jobs (client, idempotency_key) WHERE idempotency_key != ''")
    db.execute("""CREATE TABLE events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (job_id, seq))""")
    db.execute("""CREATE TABLE documents (client TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
        created REAL NOT NULL, PRIMARY KEY (client, id))""")
    db.execute("""CREATE TABLE keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        created REAL NOT NULL, expires REAL, revoked REAL, rpm INTEGER NOT NULL, concurrent_jobs INTEGER NOT NULL,
        tokens_per_day INTEGER NOT NULL)""")
    db.execute("CREATE TABLE hits (client TEXT NOT NULL, at REAL NOT NULL)")
    db.execute("CREATE INDEX hits_client ON hits (client, at)")


def _v2_job_leases(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE jobs ADD COLUMN lease_until REAL NOT NULL DEFAULT 0")


def _v3_usage(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE usage (client TEXT NOT NULL, at REAL NOT NULL, what TEXT NOT NULL,
        tokens INTEGER NOT NULL, cost_usd REAL)""")
    db.execute("CREATE INDEX usage_client ON usage (client, at)")


#: Named migrations, applied in order; ``PRAGMA user_version`` counts those applied.
MIGRATIONS: tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...] = (
    ("jobs, events, documents, keys, hits", _v1_jobs_events_keys),
    ("job leases: one run of a job at a time", _v2_job_leases),
    ("usage outside jobs (Ask): counted toward the key's tokens", _v3_usage),
)
#: Columns of the jobs table that are not fields of ``Job`` (the lease is the store's own business).
_LEASE_COLUMNS = ("owner", "lease_until")


class SQLiteServiceStore:
    """``ServiceStore`` in one SQLite file."""

    def __init__(self, path: str | Path | None = None, timeout: float = 30.0) -> None:
        from summarizer.config.paths import data_dir

        self.path = Path(path) if path else data_dir() / DB_NAME
        self.timeout = timeout
        self._local = threading.local()
        # one writer at a time in this process: threads queue on a lock instead of SQLite's busy handler, whose
        # sleeps (up to 100 ms each) were the tail of the news desk's latency at 16 concurrent clients
        self._write_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"The job store at {self.path} cannot be opened ({exc}); check that the folder "
                                   "is writable and the disk has room.") from exc

    # -- connections ---------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
        return db

    def _write(self, steps: Callable[[sqlite3.Connection], object]):
        db = self._db()
        with self._write_lock:
            return write_transaction(db, steps)

    def _migrate(self) -> None:
        def steps(db: sqlite3.Connection) -> None:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for _name, step in MIGRATIONS[version:]:
                step(db)
            db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

        self._write(steps)

    def ping(self) -> None:
        self._write(lambda db: db.execute("DELETE FROM hits WHERE at < ?", (time.time() - 3600,)))

    # -- keys ----------------------------------------------------------------------------------
    def add_key(self, key: ApiKey) -> None:
        row = key.__dict__
        self._write(lambda db: db.execute(
            f"INSERT INTO keys ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())))

    def key_by_hash(self, digest: str) -> ApiKey | None:
        row = self._db().execute("SELECT * FROM keys WHERE hash = ?", (digest,)).fetchone()
        return ApiKey(**dict(row)) if row else None

    def list_keys(self) -> list[ApiKey]:
        return [ApiKey(**dict(r)) for r in self._db().execute("SELECT * FROM keys ORDER BY created")]

    def revoke_key(self, key_id: str) -> bool:
        return self._write(lambda db: db.execute(
            "UPDATE keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (time.time(), key_id)).rowcount) > 0

    def has_keys(self) -> bool:
        return self._db().execute("SELECT 1 FROM keys LIMIT 1").fetchone() is not None

    # -- documents -----------------------------------------------------------------------------
    def save_document(self, client: str, document_id: str, data: dict) -> None:
        text = json.dumps(data, ensure_ascii=False)
        self._write(lambda db: db.execute(
            "INSERT OR IGNORE INTO documents (client, id, data, created) VALUES (?, ?, ?, ?)",
            (client, document_id, text, time.time())))

    def load_document(self, client: str, document_id: str) -> dict | None:
        row = self._db().execute("SELECT data FROM documents WHERE client = ? AND id = ?", (client, document_id)).fetchone()
        return json.loads(row["data"]) if row else None

    # -- jobs ----------------------------------------------------------------------------------
    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        values = {k: v for k, v in dict(row).items() if k not in _LEASE_COLUMNS}
        for name in _JSON_COLUMNS:
            values[name] = json.loads(values[name]) if values[name] else ({} if name == "options" else None)
        return Job.from_row(values)

    @staticmethod
    def _row(job: Job) -> dict:
        row = job.to_row()
        for name in _JSON_COLUMNS:
            row[name] = None if row[name] is None else json.dumps(row[name], ensure_ascii=False)
        return row

    def create_job(self, job: Job, event: Event | None = None) -> Job:
        row = self._row(job)

        def steps(db: sqlite3.Connection) -> sqlite3.Row | None:
            if job.idempotency_key:
                found = db.execute("SELECT * FROM jobs WHERE client = ? AND idempotency_key = ?",
                                   (job.client, job.idempotency_key)).fetchone()
                if found:
                    return found
            if job.fingerprint:
                found = db.execute(
                    f"SELECT * FROM jobs WHERE client = ? AND fingerprint = ? AND status IN {_UNFINISHED} "
                    "AND cancel_requested = 0 ORDER BY created LIMIT 1", (job.client, job.fingerprint)).fetchone()
                if found:
                    return found
            db.execute(f"INSERT INTO jobs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
            if event is not None:
                self._insert_event(db, job.id, *event)
            return None

        found = self._write(steps)
        return self._job(found) if found is not None else job

    def get_job(self, job_id: str, client: str | None = None) -> Job | None:
        if client is None:
            row = self._db().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        else:
            row = self._db().execute("SELECT * FROM jobs WHERE id = ? AND client = ?", (job_id, client)).fetchone()
        return self._job(row) if row else None

    def update_job(self, job_id: str, event: Event | None = None, **changes) -> None:
        if not changes and event is None:
            return
        values = {k: (json.dumps(v, ensure_ascii=False) if k in _JSON_COLUMNS and v is not None else
                      str(v) if k in ("status", "kind") else v) for k, v in changes.items()}

        def steps(db: sqlite3.Connection) -> None:
            if values:
                db.execute(f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                           (*values.values(), job_id))
            if event is not None:
                self._insert_event(db, job_id, *event)

        self._write(steps)

    def request_cancel(self, job_id: str) -> None:
        self.update_job(job_id, cancel_requested=1)

    def claim(self, job_id: str, owner: str, seconds: float, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self._write(lambda db: db.execute(
            "UPDATE jobs SET owner = ?, lease_until = ? WHERE id = ? AND (owner = ? OR owner = '' OR lease_until < ?)",
            (owner, now + seconds, job_id, owner, now)).rowcount) > 0

    def release(self, job_id: str, owner: str) -> None:
        self._write(lambda db: db.execute("UPDATE jobs SET owner = '', lease_until = 0 WHERE id = ? AND owner = ?",
                                          (job_id, owner)))

    def unleased_jobs(self, now: float | None = None) -> list[Job]:
        """Unfinished jobs nobody runs: never started, or their runner's lease ran out (it died)."""
        now = time.time() if now is None else now
        rows = self._db().execute(f"SELECT * FROM jobs WHERE status IN {_UNFINISHED} AND kind = 'summary' "
                                  "AND (owner = '' OR lease_until < ?) ORDER BY created", (now,))
        return [self._job(r) for r in rows]

    def unfinished_jobs(self) -> list[Job]:
        rows = self._db().execute(f"SELECT * FROM jobs WHERE status IN {_UNFINISHED} ORDER BY created")
        return [self._job(r) for r in rows]

    def children(self, batch_id: str) -> list[Job]:
        return [self._job(r) for r in self._db().execute("SELECT * FROM jobs WHERE parent = ? ORDER BY rowid", (batch_id,))]

    def active_jobs(self, client: str) -> int:
        return self._db().execute(f"SELECT COUNT(*) FROM jobs WHERE client = ? AND kind = 'summary' AND status IN "
                                  f"{_UNFINISHED}", (client,)).fetchone()[0]

    def tokens_since(self, client: str, since: float) -> int:
        return self._db().execute(
            "SELECT (SELECT COALESCE(SUM(tokens), 0) FROM jobs WHERE client = ? AND created >= ?) + "
            "(SELECT COALESCE(SUM(tokens), 0) FROM usage WHERE client = ? AND at >= ?)",
            (client, since, client, since)).fetchone()[0]

    def add_usage(self, client: str, what: str, tokens: int, cost_usd: float | None, now: float | None = None) -> None:
        at = time.time() if now is None else now
        self._write(lambda db: db.execute("INSERT INTO usage (client, at, what, tokens, cost_usd) VALUES (?, ?, ?, ?, ?)",
                                          (client, at, what, tokens, cost_usd)))

    def count_by_status(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self._db().execute("SELECT status, COUNT(*) FROM jobs GROUP BY status")}

    # -- events --------------------------------------------------------------------------------
    def add_event(self, job_id: str, type_: str, data: dict) -> int:
        return self._write(lambda db: self._insert_event(db, job_id, type_, data))

    @staticmethod
    def _insert_event(db: sqlite3.Connection, job_id: str, type_: str, data: dict) -> int:
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id = ?", (job_id,)).fetchone()[0]
        db.execute("INSERT INTO events (job_id, seq, type, data) VALUES (?, ?, ?, ?)",
                   (job_id, seq, type_, json.dumps(data, ensure_ascii=False)))
        return seq

    def events_after(self, job_id: str, after: int) -> list[JobEvent]:
        rows = self._db().execute("SELECT seq, type, data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq",
                                  (job_id, after))
        return [JobEvent(r["seq"], r["type"], json.loads(r["data"])) for r in rows]

    # -- the per-minute quota ------------------------------------------------------------------
    def hit(self, client: str, now: float, window: float) -> tuple[int, float]:
        def steps(db: sqlite3.Connection) -> tuple[int, float]:
            db.execute("DELETE FROM hits WHERE client = ? AND at <= ?", (client, now - window))
            db.execute("INSERT INTO hits (client, at) VALUES (?, ?)", (client, now))
            count, oldest = db.execute("SELECT COUNT(*), MIN(at) FROM hits WHERE client = ?", (client,)).fetchone()
            return count, oldest

        return self._write(steps)

"""The history of summaries: every run, its sections as they finish, ratings, and browser sessions. This
module is the SQLite store and its named migrations; ``records`` holds what it keeps, ``recorder`` feeds
it from a run.

``HistoryStore`` is the small interface the app, the CLI and the batch use; ``SQLiteHistory`` is the
implementation (the standard library's ``sqlite3`` in the data folder): WAL mode so readers never
wait for the writer, one connection per thread, ``busy_timeout`` plus ``BEGIN IMMEDIATE`` so two
processes on one data folder take turns instead of failing, and a schema version
(``PRAGMA user_version``) migrated forward on open. A file that is not a database (or fails its
integrity check) is moved aside and a new one started, with one notice (``store.notice``). Any other
failure to open (a full disk, a read-only folder, a folder at the path) is no sign of damage: the file
is left where it is and ``HistoryUnavailable`` says why.

What a run records never holds the API key: settings go through ``public_settings``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path

from summarizer.model.document import Document
from summarizer.model.errors import SummarizerError
from summarizer.model.results import DocumentSummary, SectionResult
from summarizer.store.records import (
    RunInfo,
    RunRecord,
    SectionRecord,
    document_from_blob,
    document_to_blob,
    new_run_id,
    public_settings,
    section_from_json,
    section_json,
)
from summarizer.store.transaction import write_transaction

log = logging.getLogger(__name__)

DB_NAME = "history.db"


class HistoryUnavailable(SummarizerError, OSError):
    """The history store cannot be opened, and the file is not damaged (a full disk, a read-only folder,
    a folder at its path): it is left in place. An ``OSError`` too, so callers that go on without a
    store on ``OSError`` keep doing so."""


class _Damaged(sqlite3.DatabaseError):
    """The file opened but failed its integrity check."""


#: SQLite's own words for "this file is not a (sound) database"; every other open failure is not damage.
_DAMAGE_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def is_damage(exc: sqlite3.Error) -> bool:
    """True only for a file that is not a database or fails its integrity check (never for a full disk,
    a read-only folder, a lock or a path that cannot be opened)."""
    return isinstance(exc, _Damaged) or str(getattr(exc, "sqlite_errorname", "")).startswith(_DAMAGE_CODES)


# ---------------------------------------------------------------------------------------------
# SQLite


def _v1(db: sqlite3.Connection) -> None:
    script = """
        CREATE TABLE IF NOT EXISTS documents (
            hash TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, pages INTEGER, language TEXT,
            body BLOB NOT NULL, created REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY, owner TEXT NOT NULL, doc_hash TEXT NOT NULL, body_hash TEXT NOT NULL,
            title TEXT NOT NULL, source TEXT,
            pages INTEGER, backend TEXT, model TEXT, host TEXT, length TEXT, language TEXT, origin TEXT,
            settings TEXT NOT NULL, prompts TEXT NOT NULL, status TEXT NOT NULL,
            overview TEXT DEFAULT '', overview_error TEXT DEFAULT '', overview_unverified TEXT DEFAULT '[]',
            notices TEXT DEFAULT '[]', markdown TEXT DEFAULT '',
            tokens_in INTEGER DEFAULT 0, tokens_out INTEGER DEFAULT 0, requests INTEGER DEFAULT 0, cost_usd REAL,
            sections_done INTEGER DEFAULT 0, sections_failed INTEGER DEFAULT 0, sections_total INTEGER DEFAULT 0,
            started REAL NOT NULL, finished REAL, updated REAL NOT NULL);
        CREATE INDEX IF NOT EXISTS runs_owner_started ON runs(owner, started DESC);
        CREATE INDEX IF NOT EXISTS runs_doc ON runs(doc_hash);
        CREATE INDEX IF NOT EXISTS runs_body ON runs(body_hash);
        CREATE TABLE IF NOT EXISTS sections (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
            title TEXT, status TEXT NOT NULL, data TEXT NOT NULL, updated REAL NOT NULL,
            PRIMARY KEY (run_id, idx));
        CREATE TABLE IF NOT EXISTS sessions (owner TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL);
    """
    for statement in script.split(";"):  # not executescript: it would commit the migration's transaction
        if statement.strip():
            db.execute(statement)


def _v2(db: sqlite3.Connection) -> None:
    """Ratings: per run and per section, 1-5 with a comment."""
    for table in ("runs", "sections"):
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if "rating" not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN rating INTEGER")
        if "comment" not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN comment TEXT DEFAULT ''")


def _v3(db: sqlite3.Connection) -> None:
    """Questions asked about the document (Ask the paper) and their cited answers, kept with the run."""
    have = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    if "qa" not in have:
        db.execute("ALTER TABLE runs ADD COLUMN qa TEXT DEFAULT '[]'")


#: Migration n brings a database from version n to n + 1; append, never edit.
def _v4(db: sqlite3.Connection) -> None:
    """The PDF a document was read from, so a reopened run shows its pages (kept while a run or a
    session points at it)."""
    db.execute("CREATE TABLE IF NOT EXISTS sources (hash TEXT PRIMARY KEY, pdf BLOB NOT NULL, created REAL NOT NULL)")


def _v5(db: sqlite3.Connection) -> None:
    """Share links: a read-only token per shared run (kept as a one-way digest), gone with its run."""
    db.execute("CREATE TABLE IF NOT EXISTS shares (digest TEXT PRIMARY KEY, "
               "run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, owner TEXT NOT NULL, created REAL NOT NULL)")


def _v6(db: sqlite3.Connection) -> None:
    """Literature tables: each table's JSON (papers, columns, cells with their citations, synthesis), per owner."""
    db.execute("CREATE TABLE IF NOT EXISTS tables (id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, "
               "papers INTEGER NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, body TEXT NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS tables_owner ON tables (owner, updated)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
SCHEMA_VERSION = len(MIGRATIONS)

_RUN_COLUMNS = ("id, owner, title, source, doc_hash, pages, backend, model, host, length, language, origin, status, "
                "started, finished, sections_done, sections_failed, sections_total, "
                "tokens_in, tokens_out, cost_usd, rating, COALESCE(comment, '')")
#: Keeps a run's counters in step with its sections (the list reads them without touching sections).
_COUNT = ("UPDATE runs SET sections_done = (SELECT COUNT(*) FROM sections s WHERE s.run_id = runs.id AND s.status IN "
          "('done', 'unstructured', 'cached')), sections_failed = (SELECT COUNT(*) FROM sections s WHERE s.run_id = runs.id AND "
          "s.status = 'failed'), sections_total = (SELECT COUNT(*) FROM sections s WHERE s.run_id = runs.id AND "
          "s.status != 'skipped'), updated = ? WHERE id = ?")


def _wal(db: sqlite3.Connection, timeout: float) -> str:
    """Switch to WAL, waiting while another process holds the file: the switch needs the file to itself and
    SQLite answers "database is locked" at once rather than waiting (two processes opening a new history
    together, one of them in its first migration, failed on this)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SQLiteHistory:
    """The history in one SQLite file; safe for threads (a connection each) and processes (WAL + locks)."""

    def __init__(self, path: str | Path | None = None, timeout: float = 30.0) -> None:
        from summarizer.config.paths import data_dir

        self.path = Path(path) if path else data_dir() / DB_NAME
        self.timeout = timeout
        self.notice = ""
        self._local = threading.local()
        self._generation = 0
        self._open()

    def _open(self) -> None:
        """Open (and migrate) the file; move it aside only when it is damaged, else say why it cannot be used."""
        where = self.path
        if where.exists() and not where.is_file():
            raise HistoryUnavailable(f"The history cannot be opened: {where} is a folder, not a database file; "
                                     "move it away or choose another data folder.")
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                self._unavailable(exc)
            self._recover(exc)
        except OSError as exc:
            self._unavailable(exc)

    def _unavailable(self, exc: Exception) -> None:
        """Raise ``HistoryUnavailable`` for an open failure that is not damage; the file stays where it is."""
        self.close()
        reason = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
        log.error("history: cannot open %s (%s); left in place", self.path, reason)
        raise HistoryUnavailable(f"The history at {self.path} cannot be opened ({reason}); it was left as it is. "
                                 "Check the free disk space and that the folder is writable.") from exc

    # -- connections ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        mode = _wal(db, self.timeout)
        if mode.lower() != "wal":
            log.warning("history: journal mode is %s, not WAL", mode)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be shared between threads)."""
        db = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "generation", -1) != self._generation:
            db = self._connect()
            self._local.db, self._local.generation = db, self._generation
        return db

    def _write(self, sql_steps: Callable[[sqlite3.Connection], object]):
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front (waits up to ``timeout``)."""
        return write_transaction(self._db(), sql_steps)

    def _migrate(self) -> None:
        db = self._db()
        result = db.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise _Damaged(f"integrity check failed: {result}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](db)
                log.info("history: migrated %s to schema version %d", self.path, step + 1)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _recover(self, exc: Exception) -> None:
        """Move a damaged file aside (with its WAL) and start a new one; one notice, nothing else breaks."""
        log.error("history: %s is damaged (%s); moving it aside", self.path, exc)
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
        self._local.db = None
        self._generation += 1
        aside = self.path.with_name(f"{self.path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        try:
            still_bad = True
            try:  # another process may have rebuilt it already
                probe = sqlite3.connect(self.path, timeout=self.timeout)
                still_bad = probe.execute("PRAGMA quick_check").fetchone()[0] != "ok"
                probe.close()
            except sqlite3.DatabaseError as probe_exc:
                still_bad = is_damage(probe_exc)
            if still_bad:
                os.replace(self.path, aside)
                for suffix in ("-wal", "-shm"):
                    extra = Path(str(self.path) + suffix)
                    if extra.exists():
                        os.replace(extra, Path(str(aside) + suffix))
        except FileNotFoundError:
            pass
        self._migrate()
        self.notice = (f"The history database was damaged; it was moved aside to {aside.name} and a new, empty "
                       "history was started.")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- documents -------------------------------------------------------------------------------
    def save_document(self, doc_hash: str, document: Document) -> None:
        blob = document_to_blob(document)
        self._write(lambda db: _insert_document(db, doc_hash, document, blob, time.time()))

    def save_source(self, doc_hash: str, pdf: bytes) -> None:
        """The PDF behind ``doc_hash`` (the page view of a reopened run); stored once."""
        self._write(lambda db: db.execute("INSERT OR IGNORE INTO sources (hash, pdf, created) VALUES (?,?,?)",
                                          (doc_hash, sqlite3.Binary(pdf), time.time())))

    def load_source(self, doc_hash: str) -> bytes | None:
        row = self._db().execute("SELECT pdf FROM sources WHERE hash = ?", (doc_hash,)).fetchone()
        return bytes(row[0]) if row else None

    def load_document(self, doc_hash: str) -> Document | None:
        row = self._db().execute("SELECT body FROM documents WHERE hash = ?", (doc_hash,)).fetchone()
        if row is None:
            return None
        try:
            return document_from_blob(row[0])
        except (zlib.error, ValueError, KeyError, TypeError) as exc:
            log.warning("history: stored document %s cannot be read (%s)", doc_hash, exc)
            return None

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, owner: str, document: Document, doc_hash: str, settings, origin: str = "app",
                  plan: Iterable[SectionResult] = (), run_id: str | None = None) -> str:
        """A new run (status "running"), with the document stored and the planned sections."""
        run_id = run_id or new_run_id()
        public = public_settings(settings)
        from summarizer.llm.prompts import prompt_versions

        prompts = prompt_versions(settings)
        blob = document_to_blob(document)
        body_hash = "body-" + hashlib.sha256(blob).hexdigest()[:32]  # the document as summarized (after review)
        now = time.time()

        def steps(db: sqlite3.Connection) -> None:
            _insert_document(db, body_hash, document, blob, now)
            db.execute("INSERT INTO runs (id, owner, doc_hash, body_hash, title, source, pages, backend, model, host, length, "
                       "language, origin, settings, prompts, status, started, updated) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (run_id, owner, doc_hash, body_hash, document.title, document.source, document.page_count,
                        settings.backend, settings.model if settings.backend == "llm" else "", public["host"],
                        settings.length, settings.language, origin, json.dumps(public), json.dumps(prompts),
                        "running", now, now))
            db.executemany("INSERT OR REPLACE INTO sections (run_id, idx, title, status, data, updated) VALUES (?,?,?,?,?,?)",
                           [(run_id, r.index, r.title, r.status, section_json(r), now) for r in plan])
            db.execute(_COUNT, (now, run_id))

        self._write(steps)
        return run_id

    def reopen_run(self, run_id: str) -> None:
        """Mark a finished run as running again (finishing or retrying some of its sections)."""
        self._write(lambda db: db.execute("UPDATE runs SET status = 'running', updated = ? WHERE id = ?",
                                          (time.time(), run_id)))

    def record_section(self, run_id: str, result: SectionResult) -> None:
        """Store one section's state as it changes; the rating a reviewer gave is kept."""
        now = time.time()

        def steps(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO sections (run_id, idx, title, status, data, updated) VALUES (?,?,?,?,?,?) "
                       "ON CONFLICT(run_id, idx) DO UPDATE SET title = excluded.title, status = excluded.status, "
                       "data = excluded.data, updated = excluded.updated",
                       (run_id, result.index, result.title, result.status, section_json(result), now))
            db.execute("UPDATE runs SET tokens_in = (SELECT COALESCE(SUM(json_extract(data, '$.tokens_in')), 0) FROM "
                       "sections WHERE run_id = ?), tokens_out = (SELECT COALESCE(SUM(json_extract(data, '$.tokens_out')), 0) "
                       "FROM sections WHERE run_id = ?), updated = ? WHERE id = ?", (run_id, run_id, now, run_id))
            db.execute(_COUNT, (now, run_id))

        self._write(steps)

    def finish_run(self, run_id: str, summary: DocumentSummary, markdown: str) -> None:
        now = time.time()
        status = "failed" if summary.sections and not any(s.ok for s in summary.sections) \
            and any(s.status == "failed" for s in summary.sections) else "done"
        usage = summary.usage
        document = summary.document
        # the run wrote into its document (the figures' descriptions): kept as it ended, so a reopened run and its
        # exports show them (start_run stored it as it began)
        blob = document_to_blob(document) if any(f.description for f in document.floats) else None

        def steps(db: sqlite3.Connection) -> None:
            if blob is not None:
                body_hash = "body-" + hashlib.sha256(blob).hexdigest()[:32]
                _insert_document(db, body_hash, document, blob, now)
                db.execute("UPDATE runs SET body_hash = ? WHERE id = ?", (body_hash, run_id))
            db.executemany("INSERT INTO sections (run_id, idx, title, status, data, updated) VALUES (?,?,?,?,?,?) "
                           "ON CONFLICT(run_id, idx) DO UPDATE SET title = excluded.title, status = excluded.status, "
                           "data = excluded.data, updated = excluded.updated",
                           [(run_id, r.index, r.title, r.status, section_json(r), now) for r in summary.sections])
            db.execute("DELETE FROM sections WHERE run_id = ? AND idx >= ?", (run_id, len(summary.sections)))
            db.execute("UPDATE runs SET status = ?, overview = ?, overview_error = ?, overview_unverified = ?, notices = ?, "
                       "markdown = ?, tokens_in = ?, tokens_out = ?, requests = ?, cost_usd = ?, finished = ?, updated = ? "
                       "WHERE id = ?",
                       (status, summary.overview, summary.overview_error, json.dumps(summary.overview_unverified),
                        json.dumps(summary.notices, ensure_ascii=False), markdown, usage.tokens_in, usage.tokens_out,
                        usage.requests, usage.cost_usd, now, now, run_id))
            db.execute(_COUNT, (now, run_id))

        self._write(steps)

    @staticmethod
    def _info(row: tuple) -> RunInfo:
        return RunInfo(*row)

    def list_runs(self, owner: str | None, search: str = "", limit: int = 5000, doc_hash: str | None = None) -> list[RunInfo]:
        """Runs, newest first; ``owner=None`` lists every owner (the command line on the server)."""
        where, args = [], []
        if owner is not None:
            where.append("owner = ?")
            args.append(owner)
        if search.strip():
            where.append("title LIKE ? ESCAPE '\\'")
            escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%")
        if doc_hash:
            where.append("doc_hash = ?")
            args.append(doc_hash)
        sql = f"SELECT {_RUN_COLUMNS} FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "") + \
            " ORDER BY started DESC LIMIT ?"
        return [self._info(row) for row in self._db().execute(sql, (*args, int(limit)))]

    def get_run(self, owner: str | None, run_id: str) -> RunRecord | None:
        db = self._db()
        sql = f"SELECT {_RUN_COLUMNS}, settings, prompts, overview, overview_error, overview_unverified, notices, " \
              "markdown, requests, body_hash, COALESCE(qa, '[]') FROM runs WHERE id = ?" + (" AND owner = ?" if owner is not None else "")
        row = db.execute(sql, (run_id, owner) if owner is not None else (run_id,)).fetchone()
        if row is None:
            return None
        n = len(fields(RunInfo))
        info = self._info(row[:n])
        settings, prompts, overview, error, unverified, notices, markdown, requests, body_hash, qa = row[n:]
        sections = [SectionRecord(section_from_json(data), rating, comment or "") for data, rating, comment in
                    db.execute("SELECT data, rating, comment FROM sections WHERE run_id = ? ORDER BY idx", (run_id,))]
        return RunRecord(info, json.loads(settings), json.loads(prompts), overview or "", error or "",
                         json.loads(unverified or "[]"), json.loads(notices or "[]"), markdown or "", requests or 0, sections, body_hash,
                         json.loads(qa or "[]"))

    def delete_run(self, owner: str | None, run_id: str) -> bool:
        def steps(db: sqlite3.Connection) -> bool:
            sql = "DELETE FROM runs WHERE id = ?" + (" AND owner = ?" if owner is not None else "")
            gone = db.execute(sql, (run_id, owner) if owner is not None else (run_id,)).rowcount
            self._drop_orphans(db)
            return gone > 0

        return self._write(steps)

    def delete_all(self, owner: str) -> int:
        def steps(db: sqlite3.Connection) -> int:
            gone = db.execute("DELETE FROM runs WHERE owner = ?", (owner,)).rowcount
            self._drop_orphans(db)
            return gone

        return self._write(steps)

    @staticmethod
    def _drop_orphans(db: sqlite3.Connection) -> None:
        """Documents (and their PDFs) no run, no session and no literature table points at any more."""
        in_sessions = ("SELECT json_extract(state, '$.doc_hash') FROM sessions "
                       "WHERE json_extract(state, '$.doc_hash') IS NOT NULL")
        # a literature table keeps its papers (text and PDF) for its cited pages
        in_tables = "SELECT json_extract(r.value, '$.doc_hash') FROM tables, json_each(tables.body, '$.rows') AS r"
        db.execute("DELETE FROM documents WHERE hash NOT IN (SELECT body_hash FROM runs) "
                   f"AND hash NOT IN ({in_sessions}) AND hash NOT IN ({in_tables})")
        db.execute(f"DELETE FROM sources WHERE hash NOT IN (SELECT doc_hash FROM runs) AND hash NOT IN ({in_sessions}) "
                   f"AND hash NOT IN ({in_tables})")

    def rate(self, owner: str | None, run_id: str, section: int | None, rating: int | None,
             comment: str | None = None) -> None:
        """A reviewer's rating (1-5, or None to clear) for the run (``section=None``) or one section;
        the comment is changed only when given."""
        if rating is not None and not 1 <= int(rating) <= 5:
            raise ValueError("a rating is 1 to 5")
        self._annotate(owner, run_id, section, "rating", rating)
        if comment is not None:
            self._annotate(owner, run_id, section, "comment", comment)

    def save_qa(self, owner: str | None, run_id: str, turns: list[dict]) -> None:
        """The run's conversation (``qa.Turn.as_json()`` dicts), replacing what was stored; only the
        run's owner can write it."""
        payload = json.dumps(list(turns), ensure_ascii=False)

        def steps(db: sqlite3.Connection) -> None:
            sql = "UPDATE runs SET qa = ?, updated = ? WHERE id = ?" + (" AND owner = ?" if owner is not None else "")
            db.execute(sql, (payload, time.time(), run_id, owner) if owner is not None else (payload, time.time(), run_id))

        self._write(steps)

    def comment(self, owner: str | None, run_id: str, section: int | None, text: str) -> None:
        """A reviewer's comment, leaving the rating as it is."""
        self._annotate(owner, run_id, section, "comment", text)

    def _annotate(self, owner: str | None, run_id: str, section: int | None, column: str, value) -> None:
        if column not in ("rating", "comment"):
            raise ValueError(column)

        def steps(db: sqlite3.Connection) -> None:
            owned = db.execute("SELECT 1 FROM runs WHERE id = ?" + (" AND owner = ?" if owner is not None else ""),
                               (run_id, owner) if owner is not None else (run_id,)).fetchone()
            if not owned:
                return
            if section is None:
                db.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, run_id))
            else:
                db.execute(f"UPDATE sections SET {column} = ? WHERE run_id = ? AND idx = ?", (value, run_id, int(section)))

        self._write(steps)

    # -- sessions -------------------------------------------------------------------------------
    def save_session(self, owner: str, state: dict) -> None:
        payload = json.dumps(state, ensure_ascii=False, sort_keys=True)
        self._write(lambda db: db.execute(
            "INSERT INTO sessions (owner, state, updated) VALUES (?,?,?) ON CONFLICT(owner) DO UPDATE SET "
            "state = excluded.state, updated = excluded.updated", (owner, payload, time.time())))

    def load_session(self, owner: str) -> dict | None:
        row = self._db().execute("SELECT state FROM sessions WHERE owner = ?", (owner,)).fetchone()
        if row is None:
            return None
        try:
            state = json.loads(row[0])
        except ValueError:
            return None
        return state if isinstance(state, dict) else None

    # -- share links ----------------------------------------------------------------------------
    def share_run(self, owner: str, run_id: str) -> str | None:
        """A new read-only share token for ``owner``'s run (None when the run is not theirs); the store
        keeps only its digest."""
        import secrets

        from summarizer.config.secret import share_digest

        if self.get_run(owner, run_id) is None:
            return None
        token = secrets.token_urlsafe(24)
        self._write(lambda db: db.execute("INSERT INTO shares (digest, run_id, owner, created) VALUES (?,?,?,?)",
                                          (share_digest(token), run_id, owner, time.time())))
        return token

    def shared_run(self, token: str) -> RunRecord | None:
        """The run a share token opens (read-only), or None for an unknown token or a deleted run."""
        from summarizer.config.secret import share_digest

        if not isinstance(token, str) or not 16 <= len(token) <= 64:
            return None
        row = self._db().execute("SELECT run_id, owner FROM shares WHERE digest = ?", (share_digest(token),)).fetchone()
        return self.get_run(row[1], row[0]) if row else None

    # -- literature tables -------------------------------------------------------------------------
    def save_table(self, owner: str, table: dict) -> None:
        """A literature table (its ``as_json``), written whole; saving it again replaces it."""
        body = json.dumps(table, ensure_ascii=False)
        papers = sum(1 for r in table.get("rows", []) if not r.get("error"))
        now = time.time()
        self._write(lambda db: db.execute(
            "INSERT INTO tables (id, owner, title, papers, created, updated, body) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET title = excluded.title, papers = excluded.papers, updated = excluded.updated, "
            "body = excluded.body WHERE tables.owner = excluded.owner",
            (table["id"], owner, str(table.get("title", "")), papers, float(table.get("created") or now), now, body)))

    def list_tables(self, owner: str | None, limit: int = 500) -> list[dict]:
        """The owner's tables, newest first: id, title, papers, created, updated."""
        sql = "SELECT id, title, papers, created, updated FROM tables" + (" WHERE owner = ?" if owner is not None else "") + \
            " ORDER BY updated DESC LIMIT ?"
        args = (owner, int(limit)) if owner is not None else (int(limit),)
        return [dict(zip(("id", "title", "papers", "created", "updated"), row, strict=True))
                for row in self._db().execute(sql, args)]

    def get_table(self, owner: str | None, table_id: str) -> dict | None:
        sql = "SELECT body FROM tables WHERE id = ?" + (" AND owner = ?" if owner is not None else "")
        row = self._db().execute(sql, (table_id, owner) if owner is not None else (table_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def delete_table(self, owner: str | None, table_id: str) -> bool:
        sql = "DELETE FROM tables WHERE id = ?" + (" AND owner = ?" if owner is not None else "")
        return self._write(lambda db: db.execute(sql, (table_id, owner) if owner is not None else (table_id,)).rowcount) > 0

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())


_stores: dict[str, SQLiteHistory] = {}
_stores_lock = threading.Lock()


def open_history(path: str | Path | None = None) -> SQLiteHistory:
    """The process's store for ``path`` (default: ``<data folder>/history.db``), opened once."""
    from summarizer.config.paths import data_dir

    target = str(Path(path) if path else data_dir() / DB_NAME)
    with _stores_lock:
        store = _stores.get(target)
        if store is None or not Path(target).exists():
            store = _stores[target] = SQLiteHistory(target)
        return store


def _insert_document(db: sqlite3.Connection, doc_hash: str, document: Document, blob: bytes, now: float) -> None:
    """A document stored once under its hash (a second store of the same hash changes nothing)."""
    db.execute("INSERT OR IGNORE INTO documents (hash, title, source, pages, language, body, created) VALUES (?,?,?,?,?,?,?)",
               (doc_hash, document.title, document.source, document.page_count, document.language, blob, now))

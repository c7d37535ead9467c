"""One SQLite write transaction, as History and the HTTP service's job store take it: ``BEGIN IMMEDIATE``
takes the write lock up front (waiting up to the connection's busy timeout), a failure rolls everything back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def write_transaction(db: sqlite3.Connection, steps: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``steps(db)`` in one write transaction (``db`` in autocommit mode, ``isolation_level=None``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        out = steps(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return out

"""Which tests read the shared corpus, found by watching them (an audit hook), so that ``.ci/run`` can run
exactly those again with the corpus absent: a test that reads it without skipping, or whose fallback breaks
its own assertions, then fails on CI instead of on a user's fresh clone.

Active only when ``SUMMARIZER_CORPUS_USERS`` names a file (``.ci/run`` sets it): each test process appends
the node ids it saw (one a line; a module's id when the read happened while it was being collected).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Audit events that name a path being read or listed, and a process being started (its arguments may
#: name a corpus file that the child reads).
PATH_EVENTS = ("open", "os.listdir", "os.scandir")
SPAWN_EVENTS = ("subprocess.Popen", "os.posix_spawn", "os.exec")


class CorpusUsers:
    """Collects the ids of the tests that touched a path under one of ``roots``."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = sorted({str(r) for root in roots for r in (root, root.resolve())})
        self.current: str | None = None
        self.seen: set[str] = set()

    def _under(self, path: str) -> bool:
        return any(path == root or path.startswith(root + os.sep) for root in self.roots)

    def audit(self, event: str, args: tuple) -> None:
        """``sys.addaudithook``'s callback: notes the current test when ``event`` reads a corpus path."""
        if self.current is None or self.current in self.seen:
            return
        if event in PATH_EVENTS:
            named = args[:1]
        elif event in SPAWN_EVENTS:
            named = [a for arg in args for a in (arg if isinstance(arg, (list, tuple)) else [arg])]
        else:
            return
        for value in named:
            if isinstance(value, (str, bytes, os.PathLike)):
                path = os.fsdecode(value)
                if self._under(path) or (event in SPAWN_EVENTS and any(root in path for root in self.roots)):
                    self.seen.add(self.current)
                    return

    def write(self, target: str | Path) -> None:
        """Append the ids seen to ``target`` (every xdist worker appends its own)."""
        if self.seen:
            with open(target, "a", encoding="utf-8") as f:
                f.write("".join(f"{nodeid}\n" for nodeid in sorted(self.seen)))


def install(roots: list[Path]) -> CorpusUsers:
    """A watcher on this process (an audit hook cannot be removed: install it only when asked)."""
    users = CorpusUsers(roots)
    sys.addaudithook(users.audit)
    return users

"""Every backend keeps the typed contract (``model/backend.py``) the engine relies on, and the engine calls
it instead of probing for optional methods."""

from __future__ import annotations

import ast
from pathlib import Path

from summarizer.config.settings import Settings
from summarizer.extractive.backend import ExtractiveBackend
from summarizer.llm.backend import LLMBackend
from summarizer.model.backend import Backend

ROOT = Path(__file__).resolve().parent.parent


def test_both_backends_keep_the_contract():
    extractive = ExtractiveBackend(Settings(backend="extractive"))
    llm = LLMBackend(Settings(backend="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", use_cache=False))
    for backend in (extractive, llm):
        assert isinstance(backend, Backend), type(backend).__name__
    assert extractive.plan_requests(None, [3, 4, 7]) == [[3], [4], [7]]


def test_the_contract_check_sees_a_missing_method():
    class Partial:
        label, notices, feedback, cache = "x", [], {}, None

        def summarize_section(self, document, result, report):
            return result

    assert not isinstance(Partial(), Backend)


def test_the_engine_calls_the_backend_without_probing_it():
    """No getattr/hasattr on a backend in run/: an optional method the engine guesses at is one a new backend
    silently lacks."""
    probes = []
    for path in (ROOT / "summarizer" / "run").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
                target = node.args[0] if node.args else None
                if isinstance(target, ast.Name) and "backend" in target.id:
                    probes.append(f"{path.name}:{node.lineno}")
    assert probes == []

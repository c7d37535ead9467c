"""The package's floor plan holds: a floor imports only floors below it (lazy imports inside functions
count too), the library never imports Streamlit or pandas (the app's packages, not the library's), and no
module imports another module's private name."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "summarizer"

# top to bottom: a floor may import itself and any floor after it in this list
FLOORS = ("cli", "service", "compare", "table", "run", "ask", "store", "output", "verify", "llm", "inputs", "extractive", "pdf", "text",
          "config", "model")
UI_PACKAGES = ("streamlit", "pandas", "ui")
# the package's front door re-exports the public API lazily; it stands above every floor
ENTRY_POINTS = ("__init__.py", "__main__.py")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Each import in ``path`` (top-level and inside functions): (line, module, names imported from it),
    relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def _floor(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "summarizer" and len(parts) > 1 and parts[1] in FLOORS else None


def _library_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def layering_violations(modules: list[Path]) -> list[str]:
    """Every import in ``modules`` that breaks the floor plan, as 'file:line: reason'."""
    problems = []
    for path in modules:
        rel = path.relative_to(PACKAGE.parent)
        own = rel.parts[1] if len(rel.parts) > 2 else None
        for line, module, names in _imports(path):
            where = f"{rel}:{line}"
            if module.split(".")[0] in UI_PACKAGES:
                problems.append(f"{where}: the library imports {module} (a UI package)")
                continue
            if own is None:  # summarizer/__init__.py, __main__.py
                continue
            if own not in FLOORS:
                problems.append(f"{where}: {own}/ is not a floor of the plan")
                continue
            target = _floor(module)
            if target is None and module.split(".")[0] == "summarizer" and module not in (
                    "summarizer",) and module.split(".")[1] not in FLOORS:
                problems.append(f"{where}: imports {module}, which belongs to no floor")
            if target is not None and FLOORS.index(target) < FLOORS.index(own):
                problems.append(f"{where}: {own}/ imports {module}, a higher floor")
            if module == "summarizer" and own != "cli":
                problems.append(f"{where}: {own}/ imports the package's front door (summarizer)")
            if module.startswith("summarizer"):
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                if private:
                    problems.append(f"{where}: imports private name(s) {', '.join(private)} from {module}")
    return problems


def test_every_floor_imports_only_the_floors_below_it():
    assert layering_violations(_library_modules()) == []


def test_every_floor_says_what_it_owns_and_may_import():
    for floor in FLOORS:
        doc = ast.get_docstring(ast.parse((PACKAGE / floor / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 12, f"summarizer/{floor}/__init__.py has no docstring worth reading"


def test_no_stray_modules_beside_the_floors():
    """New code lands in a floor, not in the package's root."""
    loose = {p.name for p in PACKAGE.glob("*.py")} - set(ENTRY_POINTS)
    assert loose == set()
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(FLOORS)


@pytest.mark.parametrize("source, reason", [
    ("from summarizer.run.engine import run\n", "a higher floor"),
    ("def f():\n    from summarizer.output.render import to_markdown\n", "a higher floor"),
    ("import streamlit as st\n", "a UI package"),
    ("from summarizer.text.tokens import _encoder\n", "private name"),
    ("from . import _helper\n", "private name"),
])
def test_the_check_catches_a_bad_import(tmp_path, monkeypatch, source, reason):
    """A lower floor (text/) that imports upward, imports Streamlit, or reaches for a private name."""
    fake = tmp_path / "summarizer"
    (fake / "text").mkdir(parents=True)
    bad = fake / "text" / "bad.py"
    bad.write_text(source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    problems = layering_violations([bad])
    assert len(problems) == 1 and reason in problems[0], problems


def test_the_mutation_bench_still_finds_every_line_it_breaks():
    """bench/mutation.py breaks guarded lines by pattern; a move or a rewrite must take its entry along
    (six entries had gone stale unnoticed before this test)."""
    import subprocess

    root = PACKAGE.parent
    listed = subprocess.run([sys.executable, str(root / "bench" / "mutation.py"), "--list"], cwd=root,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, [line for line in listed.stdout.splitlines() if " error " in line]

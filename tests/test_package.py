"""Package-level promises: a light import, the CLI's prompt commands, bundled files found from anywhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from conftest import ROOT


def test_import_summarizer_stays_light():
    code = ("import sys, summarizer; heavy = {'fitz', 'pymupdf', 'spacy', 'openai', 'tiktoken', 'streamlit', 'numpy', "
            "'diskcache', 'trafilatura', 'torch'}; print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr


def test_cli_prompt_commands(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "summarizer", "prompts", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path)

    listed = cli("list")
    assert listed.returncode == 0 and "method" in listed.stdout and "synthesis" in listed.stdout
    shown = cli("show", "news")
    assert json.loads(shown.stdout)["name"] == "news"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "ok.json5").write_text('// fine\n{name: "ok", user: "Summarize {section_text}"}')
    (tmp_path / "mine" / "bad.json5").write_text('{name: "bad", user: "{oops}"}')
    checked = cli("check", "mine")
    assert checked.returncode == 2
    assert "bad.json5: unknown variable {oops}" in checked.stdout and "1 of 2 prompt file(s) valid." in checked.stdout
    missing = cli("show", "nope")
    assert missing.returncode == 2 and missing.stderr.strip() == "error: There is no prompt named 'nope'."


def test_bundled_files_found_from_another_directory(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_HOME": str(tmp_path / "home")}
    code = ("from summarizer.llm.prompts import load_prompts; from summarizer.text.tokens import get_tokenizer; "
            "print(len(load_prompts().prompts), get_tokenizer().exact)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    bundled = len(list((ROOT / "prompts").glob("*.json5")))
    assert bundled >= 14 and out.stdout.split() == [str(bundled), "True"], out.stderr


def _copy_source(dst: Path) -> Path:
    """The files a build needs, copied so the build never writes into (or reuses) the checkout's build/."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dst / name)
    for folder in ("summarizer", "prompts", "assets"):
        shutil.copytree(ROOT / folder, dst / folder, ignore=ignore)
    return dst


def our_site_dirs() -> list[str]:
    """The site-packages folders this interpreter imports from: the running venv's, and the system's when it
    was made with --system-site-packages (or the system's only, outside a venv)."""
    return [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


def _venv_seeing_our_packages(venv: Path) -> Path:
    """A fresh venv that also sees the packages this test runs with (a ``.pth`` file naming our site folders),
    so installing the wheel needs no network; its scripts folder. ``venv --system-site-packages`` would not
    do: run from inside a venv (the README's setup) it gives the base interpreter's site-packages, which hold
    none of the dependencies."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    vbin = venv / ("Scripts" if os.name == "nt" else "bin")
    purelib = subprocess.run([str(vbin / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "_outer_site.pth").write_text("".join(f"{d}\n" for d in our_site_dirs()), encoding="utf-8")
    return vbin


def test_wheel_installs_into_a_fresh_venv_and_runs(tmp_path):
    """pip install of the built wheel gives a working `summarizer` command and library, bundled files included."""
    (tmp_path / "src").mkdir()
    src = _copy_source(tmp_path / "src")
    dist, venv, work = tmp_path / "dist", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(dist.glob("summarizer-*.whl"))
    vbin = _venv_seeing_our_packages(venv)
    installed = subprocess.run([str(vbin / "python"), "-m", "pip", "--disable-pip-version-check", "-q", "install",
                                "--no-index", str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TIKTOKEN_CACHE_DIR")}
    env["SUMMARIZER_HOME"] = str(tmp_path / "home")

    version = subprocess.run([str(vbin / "summarizer"), "--version"], capture_output=True, text=True, cwd=work, env=env)
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version.stdout.strip() == f"summarizer {expected}", version.stderr

    (work / "note.txt").write_text("Council budget\n\nThe council approved a budget of 3,000 dollars on Monday. "
                                   "The vote was 5 to 2 after a long debate about the schools.\n\n"
                                   "Parents said the plan would help the schools of the town.", encoding="utf-8")
    run = subprocess.run([str(vbin / "summarizer"), "summarize", "note.txt", "-q"], capture_output=True, text=True,
                         cwd=work, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("# Council budget") and "3,000 dollars" in run.stdout

    code = ("import summarizer, pathlib; from summarizer.llm.prompts import load_prompts; from summarizer.text.tokens import "
            "get_tokenizer; from summarizer.llm.costs import estimate_run; from summarizer.config.settings import Settings; "
            "doc = summarizer.load('note.txt'); "
            "s = Settings(backend='llm', model='gpt-4o-mini', base_url='http://127.0.0.1:9/v1'); e = estimate_run(doc, s); "
            "from summarizer.config.paths import PROMPTS_DIR, ASSETS_DIR; pkg = pathlib.Path(summarizer.__file__).parent; "
            "print(PROMPTS_DIR.parent == pkg and ASSETS_DIR.parent == pkg, len(load_prompts().prompts), "
            "get_tokenizer('o200k_base').exact, e.calls > 0 and e.tokens_in > 0 and e.exact_tokens, summarizer.__version__, "
            "pkg)")
    lib = subprocess.run([str(vbin / "python"), "-c", code], capture_output=True, text=True, cwd=work, env=env)
    assert lib.returncode == 0, lib.stderr[-2000:]
    in_package, prompts, exact, estimated, lib_version, where = lib.stdout.split()
    shipped = len(list((ROOT / "prompts").glob("*.json5")))
    assert Path(where).is_relative_to(venv) and in_package == "True" and int(prompts) == shipped  # the wheel's own files
    assert exact == "True" and estimated == "True" and lib_version == expected


def test_a_missing_default_prompt_is_named(tmp_path, monkeypatch):
    import summarizer.llm.prompts as prompts_module
    from summarizer.model.errors import PromptError

    partial = tmp_path / "prompts"
    partial.mkdir()
    for f in (ROOT / "prompts").glob("*.json5"):
        if f.stem != "synthesis":
            shutil.copy2(f, partial / f.name)
    monkeypatch.setattr(prompts_module, "PROMPTS_DIR", partial)
    with pytest.raises(PromptError, match="'synthesis' is missing"):
        prompts_module.load_prompts()


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


#: import name → the distribution that provides it, where the two differ
DISTRIBUTIONS = {"charset_normalizer": "charset-normalizer", "json_repair": "json-repair", "llama_cpp": "llama-cpp-python",
                 "nougat": "nougat-ocr", "prometheus_client": "prometheus-client", "docx": "python-docx",
                 "pptx": "python-pptx", "yaml": "pyyaml"}


def library_imports() -> set[str]:
    """Every third-party top-level module the library imports, lazily or not."""
    import ast

    found: set[str] = set()
    for path in (ROOT / "summarizer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "summarizer"}


def test_every_library_import_is_declared_and_the_ui_is_not():
    """``pip install summarizer`` gives the library and its CLI: every package it imports is a dependency or
    an extra of pyproject.toml (a package present only because a dev tool pulled it in breaks a user's
    install), requirements.txt pins each dependency, and Streamlit and pandas are the app's, not the library's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {_distribution(r) for r in project["dependencies"]}
    extras = {_distribution(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    undeclared = {m for m in library_imports() if DISTRIBUTIONS.get(m, m).lower() not in required | extras}
    assert undeclared == set()
    assert not {"streamlit", "pandas"} & required
    assert {"streamlit", "pandas"} <= {_distribution(r) for r in project["optional-dependencies"]["app"]}
    pinned = {_distribution(line) for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith(("#", "-"))}
    assert required | {"streamlit", "pandas"} <= pinned, (required | {"streamlit", "pandas"}) - pinned

"""The package's one version: pyproject.toml's in a source checkout, the installed metadata otherwise."""

from __future__ import annotations


def package_version() -> str:
    """The version in pyproject.toml: read from it in a source checkout, from the metadata when installed."""
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "summarizer":
            return str(project["version"])
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("summarizer")
    except PackageNotFoundError:
        return "0+unknown"

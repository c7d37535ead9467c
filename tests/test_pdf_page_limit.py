"""The page limit is reachable everywhere (--max-pages on summarize/sections/batch, SUMMARIZER_MAX_PAGES)
and the note that only the first pages were read goes to stderr as well as into the Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_factory import make_paper

from summarizer.cli.main import main

NOTE = "Only the first 1 of 2 pages were read"


@pytest.fixture
def paper(tmp_path) -> Path:
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_paper())  # two pages
    return path


def test_sections_takes_max_pages_and_says_so_on_stderr(paper, capsys):
    assert main(["sections", str(paper), "--max-pages", "1"]) == 0
    out, err = capsys.readouterr()
    assert NOTE in err and "Conclusion" not in out  # the conclusion is on page 2
    assert main(["sections", str(paper)]) == 0
    out, err = capsys.readouterr()
    assert "Conclusion" in out and NOTE not in err


def test_environment_sets_the_page_limit(paper, capsys, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_MAX_PAGES", "1")
    assert main(["sections", str(paper)]) == 0
    assert NOTE in capsys.readouterr().err
    monkeypatch.setenv("SUMMARIZER_MAX_PAGES", "many")
    assert main(["sections", str(paper)]) == 2
    assert "max_pages" in capsys.readouterr().err  # one line naming the setting


def test_summarize_puts_the_note_in_the_markdown_and_on_stderr(paper, tmp_path, capsys):
    out = tmp_path / "summary.md"
    assert main(["summarize", str(paper), "--max-pages", "1", "-o", str(out), "--no-cache"]) == 0
    assert NOTE in out.read_text(encoding="utf-8") and NOTE in capsys.readouterr().err
    assert main(["summarize", str(paper), "--max-pages", "0", "-o", str(out)]) == 2
    assert "max_pages" in capsys.readouterr().err


def test_batch_takes_max_pages(paper, tmp_path):
    out = tmp_path / "out"
    assert main(["batch", str(paper.parent), "-o", str(out), "--max-pages", "1", "--no-cache", "-q"]) == 0
    written = [p.read_text(encoding="utf-8") for p in out.glob("*.md") if p.name != "index.md"]
    assert written and all(NOTE in text for text in written)


def test_sections_reads_the_environment_by_the_settings_rules(monkeypatch):
    """What ``sections`` reads without the settings model means what it means to ``Settings``."""
    from summarizer.config.environ import ReadOptions
    from summarizer.config.settings import Settings
    from summarizer.model.errors import ConfigError

    monkeypatch.setenv("summarizer_max_pages", "7")  # any case, as Settings reads it
    monkeypatch.setenv("NOUGAT_CHECKPOINT", "/models/nougat")
    options, settings = ReadOptions.from_env(), Settings.from_env()
    assert (options.max_pages, options.nougat_checkpoint, options.parser) == \
        (settings.max_pages, settings.nougat_checkpoint, settings.parser) == (7, "/models/nougat", "pymupdf")
    monkeypatch.setenv("SUMMARIZER_NOUGAT_CHECKPOINT", "/ours/first")
    assert ReadOptions.from_env().nougat_checkpoint == Settings.from_env().nougat_checkpoint == "/ours/first"
    assert ReadOptions.from_env(max_pages=3).max_pages == 3  # a flag over the environment
    monkeypatch.setenv("SUMMARIZER_MAX_PAGES", "600.0")
    assert ReadOptions.from_env().max_pages == Settings.from_env().max_pages == 600
    for bad in ("0", "100001", "many"):
        monkeypatch.setenv("SUMMARIZER_MAX_PAGES", bad)
        with pytest.raises(ConfigError, match="max_pages"):
            ReadOptions.from_env()
        with pytest.raises(ConfigError, match="max_pages"):
            Settings.from_env()
    monkeypatch.setenv("SUMMARIZER_MAX_PAGES", "100000")
    monkeypatch.setenv("SUMMARIZER_PARSER", "ocr")
    with pytest.raises(ConfigError, match="parser"):
        ReadOptions.from_env()
    with pytest.raises(ConfigError, match="parser"):
        Settings.from_env()


def test_command_of_finds_the_subcommand_after_the_global_options():
    from summarizer.cli.main import command_of

    assert command_of(["-v", "--log-file", "sections", "summarize", "x.pdf"]) == "summarize"
    assert command_of(["sections", "summarize"]) == "sections"
    assert command_of(["--log", "sections", "summarize", "x.pdf"]) == "summarize"  # an abbreviated option
    assert command_of(["--help"]) is None and command_of([]) is None

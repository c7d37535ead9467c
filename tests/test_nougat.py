"""The optional Nougat parser: .mmd output through the text parser, and the loading path up to
the point where weights are needed (nougat-ocr itself is an optional install)."""

from __future__ import annotations

import pytest

from summarizer.inputs.nougat_parser import checkpoint_dir, nougat_available, parse_pdf_nougat
from summarizer.inputs.text_parser import parse_text
from summarizer.model.errors import ConfigError

MMD_ABSTRACT_DEEP = """# Sparse Retrieval at Scale

###### Abstract

We study sparse retrieval over long documents and report a 40% latency reduction.

## 1 Introduction

Long documents are slow to search.

### 1.1 Contributions

We contribute an index.

[MISSING_PAGE_FAIL:2]

## 2 Method

The method builds a two-level index.

## References

* [1] A. Author. A paper. 2020.
"""

MMD_ABSTRACT_TOP = """# Abstract

We present a letter about drop impact.

# Introduction

Drops hit surfaces.

## Setup

A camera films the impact.

[MISSING_PAGE_EMPTY:3]
"""


def test_nougat_markdown_levels_are_normalised_whatever_the_abstract_depth():
    deep = parse_text(MMD_ABSTRACT_DEEP, "paper.mmd")
    assert deep.title == "Sparse Retrieval at Scale"
    assert [(s.title, s.level, s.kind) for s in deep.sections] == [
        ("Abstract", 1, "abstract"), ("1 Introduction", 1, "introduction"), ("1.1 Contributions", 2, "introduction"),
        ("2 Method", 1, "method"), ("References", 1, "references")]
    top = parse_text(MMD_ABSTRACT_TOP, "letter.mmd")
    assert [(s.title, s.level) for s in top.sections] == [("Abstract", 1), ("Introduction", 1), ("Setup", 2)]


def test_missing_pages_are_reported_not_summarized():
    doc = parse_text(MMD_ABSTRACT_DEEP, "paper.mmd")
    assert "MISSING_PAGE" not in doc.text
    assert doc.notices == ["1 page(s) could not be read by the parser and are marked as missing."]


def test_checkpoint_folder_is_validated_before_any_weights_are_loaded(tmp_path, monkeypatch):
    monkeypatch.delenv("NOUGAT_CHECKPOINT", raising=False)
    with pytest.raises(ConfigError, match="NOUGAT_CHECKPOINT"):
        checkpoint_dir()
    with pytest.raises(ConfigError, match="does not exist"):
        checkpoint_dir(str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="no config.json"):
        checkpoint_dir(str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="no weights"):
        checkpoint_dir(str(tmp_path))
    (tmp_path / "model.safetensors").write_bytes(b"\0")
    monkeypatch.setenv("NOUGAT_CHECKPOINT", str(tmp_path))
    assert checkpoint_dir() == tmp_path


def test_nougat_choice_gives_a_clear_message_when_not_installed(paper_pdf, tmp_path):
    if nougat_available():
        pytest.skip("nougat-ocr is installed here; the not-installed message cannot be shown")
    with pytest.raises(ConfigError, match="requirements-nougat.txt"):
        parse_pdf_nougat(paper_pdf, "paper.pdf", str(tmp_path))


def test_nougat_runs_up_to_the_weights_when_installed(paper_pdf, tmp_path):
    if not nougat_available():
        pytest.skip("nougat-ocr is not installed (optional: pip install -r requirements-nougat.txt)")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"not real weights")
    with pytest.raises(ConfigError, match="could not be loaded"):
        parse_pdf_nougat(paper_pdf, "paper.pdf", str(tmp_path))


def test_cli_offers_nougat_only_when_installed():
    from summarizer.cli.main import build_parser

    help_text = build_parser()._subparsers._group_actions[0].choices["summarize"].format_help()
    assert ("nougat" in help_text.split("--parser")[1].split("\n")[0]) == nougat_available()

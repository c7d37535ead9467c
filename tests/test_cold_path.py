"""The one-shot CLI loads only what its path needs: no spaCy, no ONNX layout model, no prompt parsing
for the extractive backend, no PyMuPDF for a text article."""

import json
import subprocess
import sys
from pathlib import Path

from tests.pdf_factory import make_paper

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("spacy", "onnxruntime", "pymupdf.layout", "pymupdf4llm", "json5", "openai", "tiktoken", "streamlit", "pydantic")


def _modules_after_cli(argv: list[str], home: Path, *also: str) -> tuple[set[str], str]:
    code = (
        "import json, runpy, sys\n"
        f"sys.argv = ['summarizer', *{argv!r}]\n"
        "try:\n    runpy.run_module('summarizer', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        f"sys.stderr.write('MODULES ' + json.dumps(sorted(m for m in {HEAVY!r} + ('pymupdf', 'numpy') + {also!r} if m in sys.modules)))\n"
    )
    env = {"SUMMARIZER_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, check=True)
    loaded = json.loads(out.stderr.rsplit("MODULES ", 1)[1])
    return set(loaded), out.stdout


def test_news_article_summary_loads_nothing_heavy(tmp_path):
    """An article of news length (40 sentences: ranked, not taken whole) loads no numpy either."""
    article = tmp_path / "article.txt"
    lines = ["The city council approved a new budget on Monday. It raises school funding by 5%."]
    lines += [f"Council member {i} said the plan changes how district {i} pays for buses and schools." for i in range(38)]
    article.write_text(" ".join(lines), encoding="utf-8")
    loaded, markdown = _modules_after_cli(["summarize", str(article)], tmp_path)
    assert "council" in markdown and markdown.count("Council member") < 38  # ranked and cut
    assert loaded == set()


def test_paper_summary_loads_pymupdf_without_its_extras(tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_paper())
    loaded, markdown = _modules_after_cli(["summarize", str(pdf)], tmp_path)
    assert "Sparrow" in markdown
    assert loaded - {"numpy"} == {"pymupdf"}  # numpy only where ranking a long section needs it


def test_sections_reads_its_settings_without_the_settings_model(tmp_path):
    """``sections`` only reads a document: not even the settings model is imported, and the page limit
    and parser still come from the environment by the settings' own rules."""
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_paper())  # two pages; the conclusion is on the second
    loaded, listing = _modules_after_cli(["sections", str(pdf), "--max-pages", "1"], tmp_path, "summarizer.config.settings")
    assert "Introduction" in listing and "Conclusion" not in listing
    assert loaded - {"numpy"} == {"pymupdf"}


def test_import_summarizer_defers_settings_until_asked():
    code = ("import sys, summarizer\nlight = 'summarizer.config.settings' not in sys.modules\n"
            "print(light, summarizer.Settings.__name__, 'summarizer.config.settings' in sys.modules, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.split() == ["True", "Settings", "True", "False"]

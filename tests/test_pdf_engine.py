"""PyMuPDF is loaded without its layout model and Markdown extras, and still works in full."""

import subprocess
import sys
from pathlib import Path

from tests.pdf_factory import make_paper

REPO = Path(__file__).resolve().parents[1]


def _run(code: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          cwd=REPO).stdout


def test_pymupdf_loads_without_layout_model_and_tables_work_silently(tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_paper())
    code = (
        "import sys\n"
        "from summarizer.pdf.engine import pymupdf\n"
        "doc = pymupdf().open(sys.argv[1])\n"
        "assert 'Sparrow' in doc[0].get_text()\n"
        "doc[0].find_tables()\n"
        "print(sorted(k for k in ('pymupdf.layout', 'onnxruntime', 'pymupdf4llm') if k in sys.modules))\n"
    )
    # nothing else on stdout: find_tables prints no tip about the missing layout package
    assert _run(code, str(pdf)).strip().splitlines() == ["[]"]


def test_extras_stay_importable_after_the_light_load():
    out = _run("from summarizer.pdf.engine import pymupdf\nm = pymupdf()\nimport pymupdf4llm\n"
               "print(pymupdf() is m, pymupdf4llm.__name__)")
    assert out.split() == ["True", "pymupdf4llm"]

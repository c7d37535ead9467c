"""The optional Nougat parser: PDF pages → Nougat's Markdown (``.mmd``) → the text parser.

Nougat (and torch) are imported only when this parser is chosen (field note 4). Its weights
are never downloaded by the app: the checkpoint is a local folder given in Settings or by
``NOUGAT_CHECKPOINT`` (field note 19). Nougat is slow on a CPU — minutes per page — so it is
meant for scanned papers that have no text layer, where PyMuPDF finds nothing to read.

Its Markdown goes through ``text_parser.parse_text`` like pasted Markdown: heading levels are
normalised there, once, and ``[MISSING_PAGE…]`` markers are reported, not summarized.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from summarizer.inputs.text_parser import parse_text
from summarizer.model.document import Document
from summarizer.model.errors import ConfigError, InputError

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
INSTALL_HINT = "install it with: pip install -r requirements-nougat.txt"


def nougat_available() -> bool:
    """True when the nougat-ocr package is installed (without importing it)."""
    return importlib.util.find_spec("nougat") is not None


def checkpoint_dir(explicit: str | None = None) -> Path:
    """The local checkpoint folder; a clear message when it is missing or incomplete."""
    raw = explicit or os.environ.get("NOUGAT_CHECKPOINT", "")
    if not raw:
        raise ConfigError("The Nougat parser needs a local checkpoint folder: set NOUGAT_CHECKPOINT "
                          "(or the Settings field) to a folder holding Nougat's config.json and weights.")
    folder = Path(raw).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"The Nougat checkpoint folder '{folder}' does not exist.")
    if not (folder / "config.json").exists():
        raise ConfigError(f"The Nougat checkpoint folder '{folder}' has no config.json; it is not a Nougat checkpoint.")
    if not any((folder / name).exists() for name in WEIGHT_FILES):
        raise ConfigError(f"The Nougat checkpoint folder '{folder}' has no weights "
                          f"({' or '.join(WEIGHT_FILES)}); copy the downloaded checkpoint there.")
    return folder


def _predict_pages(pdf_path: Path, folder: Path, batch_size: int = 1) -> list[str]:
    """Run Nougat over the PDF, one Markdown string per page."""
    import torch  # noqa: F401  (nougat needs it; imported here so a missing torch is reported clearly)
    from nougat import NougatModel
    from nougat.postprocessing import markdown_compatible
    from nougat.utils.dataset import LazyDataset
    from torch.utils.data import ConcatDataset, DataLoader

    model = NougatModel.from_pretrained(str(folder))
    model.eval()
    if torch.cuda.is_available():
        model = model.to("cuda").to(torch.bfloat16)
    dataset = LazyDataset(str(pdf_path), lambda img: model.encoder.prepare_input(img, random_padding=False))
    loader = DataLoader(ConcatDataset([dataset]), batch_size=batch_size, shuffle=False,
                        collate_fn=LazyDataset.ignore_none_collate)
    pages: list[str] = []
    for sample, _ in loader:
        output = model.inference(image_tensors=sample, early_stopping=True)
        for n, prediction in enumerate(output["predictions"]):
            if output.get("repeats") is not None and output["repeats"][n] is not None and not prediction.strip():
                pages.append(f"\n\n[MISSING_PAGE_EMPTY:{len(pages) + 1}]\n\n")
            else:
                pages.append(markdown_compatible(prediction))
    return pages


def parse_pdf_nougat(data: bytes, source: str = "document.pdf", checkpoint: str | None = None) -> Document:
    """Parse PDF bytes with Nougat into a ``Document``."""
    if not data:
        raise InputError(f"'{source}' is empty.")
    if not nougat_available():
        raise ConfigError(f"The Nougat parser is not installed; {INSTALL_HINT}.")
    folder = checkpoint_dir(checkpoint)
    with tempfile.TemporaryDirectory(prefix="summarizer-nougat-") as tmp:
        pdf_path = Path(tmp) / "input.pdf"
        pdf_path.write_bytes(data)
        try:
            pages = _predict_pages(pdf_path, folder)
        except ImportError as exc:
            raise ConfigError(f"The Nougat parser could not be loaded ({exc.name or exc}); {INSTALL_HINT}.") from exc
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise ConfigError(f"The Nougat checkpoint in '{folder}' could not be loaded ({exc.__class__.__name__}); "
                              "check that it is a complete Nougat checkpoint.") from exc
    markdown = "\n\n".join(pages)
    if not markdown.strip():
        raise InputError("Nougat read no text from this PDF.")
    return parse_text(markdown, source)

"""Token counting with a locally cached tiktoken encoder, and the per-call ``TokenBudget``.

The encoder files ship in ``assets/tiktoken`` and are copied into a cache folder the app owns,
which ``TIKTOKEN_CACHE_DIR`` points at, so counting works with no network (field note 1). If no
encoder can be loaded, a conservative estimate is used instead and ``Tokenizer.exact`` says so.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache

from .paths import ASSETS_DIR, cache_dir

# tiktoken names its cache files by the sha1 of the download URL.
_BLOB_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
_lock = threading.Lock()

logger = logging.getLogger(__name__)


def encoding_for_model(model: str) -> str:
    """o200k for GPT-4o and newer OpenAI models; cl100k otherwise (a fair proxy for others)."""
    m = model.lower()
    if re.search(r"gpt-4o|gpt-4\.1|gpt-5|o1|o3|o4|chatgpt-4o", m):
        return "o200k_base"
    return "cl100k_base"


def encoder_cache_dir() -> str:
    """The tiktoken cache folder, seeded from the bundled encoder files."""
    target = os.environ.get("TIKTOKEN_CACHE_DIR") or str(cache_dir() / "tiktoken")
    os.makedirs(target, exist_ok=True)
    for name, url in _BLOB_URLS.items():
        src = ASSETS_DIR / "tiktoken" / f"{name}.tiktoken"
        dst = os.path.join(target, hashlib.sha1(url.encode()).hexdigest())
        if src.exists() and (not os.path.exists(dst) or os.path.getsize(dst) != src.stat().st_size):
            tmp = f"{dst}.{os.getpid()}.{threading.get_ident()}.tmp"
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    return target


@dataclass(frozen=True)
class Tokenizer:
    """Counts tokens; ``exact`` is False when only an estimate is available."""

    name: str
    exact: bool
    _encoding: object | None = None

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self._encoding is not None:
            return len(self._encoding.encode(text, disallowed_special=()))
        return estimate_tokens(text)


def estimate_tokens(text: str) -> int:
    """A conservative upper estimate: CJK characters ~1 token each, other text ~3 chars a token."""
    cjk = len(re.findall(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]", text))
    return cjk + math.ceil((len(text) - cjk) / 3)


@lru_cache(maxsize=4)
def get_tokenizer(encoding: str = "cl100k_base") -> Tokenizer:
    """Load an encoder from the local cache; fall back to the estimate, never to the network."""
    with _lock:
        try:
            os.environ["TIKTOKEN_CACHE_DIR"] = encoder_cache_dir()
            import tiktoken

            return Tokenizer(encoding, True, tiktoken.get_encoding(encoding))
        except Exception:  # no local encoder file (or a broken one): estimate, and say why in the log
            logger.warning("tiktoken encoder %s unavailable offline; using the conservative estimate", encoding,
                           exc_info=True)
            return Tokenizer(encoding, False, None)


def tokenizer_for_model(model: str) -> Tokenizer:
    return get_tokenizer(encoding_for_model(model))


@dataclass(frozen=True)
class TokenBudget:
    """How much section text fits one call: prompt + text + reserved output ≤ context."""

    context_window: int
    reserved_output: int
    safety_margin: int = 64

    def room_for_text(self, prompt_tokens: int) -> int:
        return self.context_window - self.reserved_output - prompt_tokens - self.safety_margin

    def fits(self, prompt_tokens: int, text_tokens: int) -> bool:
        return text_tokens <= self.room_for_text(prompt_tokens)

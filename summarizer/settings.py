"""Run settings, built explicitly per run (never module-level state shared between users).

The API key lives only in this object: it is excluded from ``repr``, from ``to_public_dict``
and from every cache key, and error messages name the host, never the key (field notes 2, 5).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlparse

from .errors import ConfigError
from .paths import data_dir

BACKENDS = ("extractive", "llm")
LANGUAGES = {"auto": "the language of the source text", "en": "English", "zh": "Simplified Chinese"}
LENGTHS = {"short": 0.6, "medium": 1.0, "long": 1.6}
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"

#: Context windows (tokens) by model-name prefix; the longest matching prefix wins. Editable in Settings.
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000, "gpt-4.1": 1_047_576, "gpt-5": 400_000, "o1": 200_000, "o3": 200_000, "o4": 200_000,
    "gpt-4-turbo": 128_000, "gpt-4": 8_192, "gpt-3.5-turbo": 16_385,
    "deepseek": 65_536, "qwen": 32_768, "qwen-long": 1_000_000, "qwen-plus": 131_072, "qwen-max": 32_768,
    "moonshot-v1-8k": 8_192, "moonshot-v1-32k": 32_768, "moonshot-v1-128k": 131_072, "kimi": 131_072,
    "glm-4": 128_000, "llama3": 8_192, "llama-3": 8_192, "llama3.1": 131_072, "mistral": 32_768,
}
DEFAULT_CONTEXT = 8_192

#: USD per million tokens (input, output) by model-name prefix. Unknown → tokens only.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-nano": (0.10, 0.40), "gpt-3.5-turbo": (0.50, 1.50), "deepseek-chat": (0.27, 1.10),
    "deepseek-reasoner": (0.55, 2.19), "qwen-plus": (0.40, 1.20), "qwen-turbo": (0.05, 0.20),
}


def _int_env(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not '{value[:20]}'.") from None


def user_prompts_dir():
    """Where edited prompts live: the app's data folder (defaults in prompts/ are never written)."""
    return data_dir() / "prompts"


def _by_prefix(table: dict, model: str):
    name = model.lower().split("/")[-1]
    best = max((k for k in table if name.startswith(k)), key=len, default=None)
    return table[best] if best else None


@dataclass
class Settings:
    """Everything one summarization run needs."""

    backend: str = "extractive"
    model: str = DEFAULT_MODEL
    base_url: str = DEFAULT_BASE_URL
    api_key: str = field(default="", repr=False)
    language: str = "auto"
    length: str = "medium"
    workers: int = 4
    context_window: int | None = None
    temperature: float = 0.2
    timeout: float = 120.0  # stall timeout: seconds with no byte from the server before a call gives up
    call_timeout: float = 600.0  # total cap on one call, however slowly it streams
    run_timeout: float = 3600.0  # total cap on one document's run; what finished is kept
    max_attempts: int = 5
    backoff_base: float = 1.0  # seconds; doubled per attempt, with jitter
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # a longer Retry-After fails the call at once, naming the wait
    server_slots: int | None = None  # requests the server runs at once (llama.cpp: read from /props)
    check_endpoint: bool = True  # look at the endpoint once before the first call
    use_cache: bool = True
    include_reasoning: bool = False
    small_model: str | None = None  # routing by length: documents under route_below_tokens use it
    route_below_tokens: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    prompts_dir: str | None = None
    parser: str = "pymupdf"
    nougat_checkpoint: str | None = None
    max_pages: int = 600
    model_path: str | None = None  # a GGUF file: the local llama.cpp model instead of an endpoint
    threads: int | None = None  # llama.cpp threads for the local model (None: local_model.DEFAULT_THREADS)
    context_windows: dict[str, int] = field(default_factory=lambda: dict(CONTEXT_WINDOWS))
    prices: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(PRICES))

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        base = cls(
            backend=env.get("SUMMARIZER_BACKEND", "extractive"),
            model=env.get("SUMMARIZER_MODEL", DEFAULT_MODEL),
            base_url=env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            api_key=env.get("OPENAI_API_KEY", ""),
            nougat_checkpoint=env.get("NOUGAT_CHECKPOINT") or None,
            prompts_dir=env.get("SUMMARIZER_PROMPTS") or str(user_prompts_dir()),
        )
        if env.get("SUMMARIZER_TIMEOUT"):
            try:
                base = replace(base, timeout=float(env["SUMMARIZER_TIMEOUT"]))
            except ValueError:
                raise ConfigError(f"SUMMARIZER_TIMEOUT must be a number of seconds, not '{env['SUMMARIZER_TIMEOUT'][:20]}'.") from None
        base = replace(base, model_path=env.get("SUMMARIZER_MODEL_PATH") or None,
                       context_window=_int_env("SUMMARIZER_CONTEXT_WINDOW"), threads=_int_env("SUMMARIZER_THREADS"))
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def is_local(self) -> bool:
        """The LLM backend runs a local GGUF model (llama.cpp on loopback), not a remote endpoint."""
        return self.backend == "llm" and bool(self.model_path)

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc or self.base_url

    @property
    def effective_context(self) -> int:
        return self.context_window or _by_prefix(self.context_windows, self.model) or DEFAULT_CONTEXT

    @property
    def price(self) -> tuple[float, float] | None:
        return _by_prefix(self.prices, self.model)

    @property
    def backend_label(self) -> str:
        if self.is_local:
            return f"local model ({os.path.basename(str(self.model_path))}, llama.cpp)"
        if self.backend == "llm":
            return f"llm ({self.model} @ {self.host})"
        return "extractive (built-in, offline)"

    def language_name(self, source_language: str) -> str:
        if self.language == "auto":
            return LANGUAGES.get(source_language, "English") if source_language in ("en", "zh") else "English"
        return LANGUAGES[self.language]

    def clean_key(self) -> str:
        """The key without stray whitespace or newlines pasted along with it."""
        return "".join(self.api_key.split())

    def validate(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"Unknown backend '{self.backend}': choose extractive or llm.")
        if self.language not in LANGUAGES:
            raise ConfigError(f"Unknown output language '{self.language}': choose auto, en or zh.")
        if self.length not in LENGTHS:
            raise ConfigError(f"Unknown length '{self.length}': choose short, medium or long.")
        if self.parser not in ("pymupdf", "nougat"):
            raise ConfigError(f"Unknown parser '{self.parser}': choose pymupdf or nougat.")
        if not 1 <= int(self.workers) <= 64:
            raise ConfigError("The number of workers must be between 1 and 64.")
        if self.context_window is not None and not 512 <= int(self.context_window) <= 10_000_000:
            raise ConfigError("The context window must be a number of tokens between 512 and 10,000,000.")
        if self.is_local:
            from .local_model import check_model_file

            check_model_file(str(self.model_path))
            if self.threads is not None and not 1 <= int(self.threads) <= 256:
                raise ConfigError("The number of threads for the local model must be between 1 and 256.")
        elif self.backend == "llm":
            parsed = urlparse(self.base_url.strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(
                    f"The base URL '{self.base_url[:80]}' is not a web address; it should look like https://api.openai.com/v1."
                )
            if not self.model.strip():
                raise ConfigError("Choose a model name for the LLM backend.")

    def to_public_dict(self) -> dict:
        """Settings without the key, for display, cache keys and logs."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}

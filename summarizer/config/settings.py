"""Run settings, built explicitly per run (never module-level state shared between users).

One typed model (``typed_model``: pydantic's field declarations and lax conversions in the standard
library; pydantic's import and schema build were 0.11–0.15 s of every run, half of what a re-run
answered from the cache may cost over parsing): validation with one-line ``ConfigError`` messages,
a description per field, and ``from_env`` reading ``SUMMARIZER_<FIELD>`` variables (``environment``,
by the rules in ``environ``; pydantic-settings was dropped before for its own import cost). The API key is a ``SecretStr`` excluded from
``repr``, from ``to_public_dict`` and from every cache key; error messages name the host, never the
key (field notes 2, 5).
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal
from urllib.parse import urlparse

from summarizer.config.environ import MAX_PAGES, MAX_PAGES_LIMIT, NOUGAT_CHECKPOINT_VARS, env_names, env_value
from summarizer.config.model_file import check_model_file
from summarizer.config.paths import data_dir
from summarizer.config.prices import price_for, price_table
from summarizer.config.typed_model import AliasChoices, Field, SecretStr, TypedModel, ValidationError
from summarizer.model.errors import ConfigError

BACKENDS = ("extractive", "llm")
LANGUAGES = {"auto": "the language of the source text", "en": "English", "zh": "Simplified Chinese"}
LENGTHS = {"short": 0.6, "medium": 1.0, "long": 1.6}
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
#: The default of ``Settings.whole_paper_below``: a paper whose sections to summarize hold fewer
#: tokens than this together is asked in one request, overall summary included. Asked apart, each
#: request repeats the instructions (~150 tokens) and the overall summary costs one more (~300 with
#: the section summaries it reads): for a paper of about six sections that is (6 × 150 + 300) / 4,000
#: = 30 % of its own size, the whole allowance of the 1.3× budget. Four thousand tokens of text is
#: also well within what any current model reads in one go.
WHOLE_PAPER_TOKENS = 4_000

#: Context windows (tokens) by model-name prefix; the longest matching prefix wins. Editable in Settings.
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000, "gpt-4.1": 1_047_576, "gpt-5": 400_000, "o1": 200_000, "o3": 200_000, "o4": 200_000,
    "gpt-4-turbo": 128_000, "gpt-4": 8_192, "gpt-3.5-turbo": 16_385,
    "deepseek": 65_536, "qwen": 32_768, "qwen-long": 1_000_000, "qwen-plus": 131_072, "qwen-max": 32_768,
    "moonshot-v1-8k": 8_192, "moonshot-v1-32k": 32_768, "moonshot-v1-128k": 131_072, "kimi": 131_072,
    "glm-4": 128_000, "llama3": 8_192, "llama-3": 8_192, "llama3.1": 131_072, "mistral": 32_768,
}
DEFAULT_CONTEXT = 8_192

#: USD per million tokens (input, output) by model name, from the maintained table (prices.json).
PRICES: dict[str, tuple[float, float]] = price_table()


def user_prompts_dir():
    """Where edited prompts live: the app's data folder (defaults in prompts/ are never written)."""
    return data_dir() / "prompts"


def _by_prefix(table: dict, model: str):
    name = model.lower().split("/")[-1]
    best = max((k for k in table if name.startswith(k)), key=len, default=None)
    return table[best] if best else None


def _one_line(error: ValidationError) -> str:
    """The validation problem as one sentence naming the setting (never the key's value)."""
    given = "" if error.field in ("api_key", "secret_key") or not error.has_value \
        else f" (got {str(error.value)[:60]!r})"
    return f"Invalid setting '{error.field}'{given}: {error.message}."


def environment(fields: dict, prefix: str | None = None) -> dict[str, Any]:
    """The settings the environment gives, by field name: ``SUMMARIZER_<FIELD>`` (any case), or for a
    field with alias choices the upper-case ones among them, the first one set winning (so
    ``SUMMARIZER_API_KEY`` before ``OPENAI_API_KEY``; ``environ.env_names``); with ``prefix``, only
    ``<prefix><FIELD>`` (the service's ``SUMMARIZER_SERVICE_``). Values of dict, list and tuple fields are
    JSON. A variable that is not valid JSON where JSON is needed raises ``ConfigError`` naming it."""
    out: dict[str, Any] = {}
    for name, field in fields.items():
        alias = field.validation_alias
        names = [prefix + name.upper()] if prefix else \
            env_names(name, alias.choices if isinstance(alias, AliasChoices) else ())
        found = env_value(names)
        if found is None:
            continue
        variable, value = found
        if _structured(field.annotation):
            try:
                value = json.loads(value)
            except ValueError:
                raise ConfigError(f"Invalid setting '{name}': {variable} must be JSON.") from None
        out[name] = value
    return out


def _structured(annotation: Any) -> bool:
    """A dict, list or tuple field (read from the environment as JSON)."""
    from typing import get_origin

    return get_origin(annotation) in (dict, list, tuple) or annotation in (dict, list, tuple)


class Settings(TypedModel):
    """Everything one summarization run needs: one typed, validated model.

    ``Settings(...)`` uses the given values and the defaults only; ``Settings.from_env(...)`` also
    reads ``SUMMARIZER_<FIELD>`` variables (plus ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
    ``NOUGAT_CHECKPOINT`` and ``SUMMARIZER_PROMPTS``). Invalid values raise ``ConfigError`` with one
    line naming the setting. The descriptions below are shown in ``--help`` and on the Settings page.
    """

    backend: Literal["extractive", "llm"] = Field("extractive",
                                                  description="extractive: built in, offline; llm: an OpenAI-compatible endpoint")
    model: str = Field(DEFAULT_MODEL, description="model name at the endpoint")
    base_url: str = Field(DEFAULT_BASE_URL, validation_alias=AliasChoices("base_url", "SUMMARIZER_BASE_URL", "OPENAI_BASE_URL"),
                          description="OpenAI-compatible endpoint, e.g. https://api.openai.com/v1")
    secret_key: SecretStr = Field(SecretStr(""), validation_alias=AliasChoices("api_key", "SUMMARIZER_API_KEY", "OPENAI_API_KEY"),
                                  exclude=True, repr=False, description="API key (never logged or shown)")
    language: Literal["auto", "en", "zh"] = Field("auto", description="output language: auto (the source's), en or zh")
    length: Literal["short", "medium", "long"] = Field("medium", description="summary length")
    workers: int = Field(4, ge=1, le=64, description="model calls (or batch documents) in flight at once")
    context_window: int | None = Field(None, ge=256, le=10_000_000,
                                       description="context window in tokens (default: the endpoint's, else the table)")
    temperature: float = Field(0.2, ge=0.0, le=2.0, description="sampling temperature")
    timeout: float = Field(120.0, gt=0, le=3600,
                           description="stall timeout: seconds with no byte from the server before a call gives up")
    call_timeout: float = Field(600.0, gt=0, le=86_400, description="total cap in seconds on one call, however slowly it streams")
    run_timeout: float = Field(3600.0, gt=0, le=7 * 86_400,
                               description="total cap in seconds on one document's run; what finished is kept")
    max_attempts: int = Field(5, ge=1, le=20, description="tries per model call (429, 5xx, timeouts are retried)")
    backoff_base: float = Field(1.0, ge=0.0, le=60.0, description="first retry wait in seconds; doubles per retry, with jitter")
    backoff_cap: float = Field(30.0, ge=0.0, le=600.0, description="longest wait between retries in seconds")
    retry_after_cap: float = Field(120.0, ge=0.0, le=3600.0,
                                   description="a longer Retry-After fails the call at once, naming the wait asked")
    server_slots: int | None = Field(None, ge=1, le=1024,
                                     description="requests the server runs at once (llama.cpp: read from /props)")
    group_below: int = Field(500, ge=0, le=100_000,
                             description="sections under this many tokens, next to one another and with the same prompt, "
                                         "are asked in one request (0: one request per section; the local model always asks one each)")
    whole_paper_below: int = Field(WHOLE_PAPER_TOKENS, ge=0, le=100_000,
                                   description="a paper whose sections to summarize hold fewer tokens than this in all is asked "
                                               "in one request, overall summary included (0: off; needs grouping on; the local "
                                               "model never is)")
    check_endpoint: bool = Field(True, description="look at the endpoint once before the first call")
    use_cache: bool = Field(True, description="reuse cached answers")
    include_reasoning: bool = Field(False, description="include the model's reasoning in the Markdown")
    describe_figures: bool = Field(False, description="a one-line description of each located figure from its image, by a "
                                                      "model that accepts images: one more request per figure (llm backend; "
                                                      "skipped when the model refuses images)")
    small_model: str | None = Field(None, description="model for documents under route_below_tokens (routing by length)")
    route_below_tokens: int | None = Field(None, ge=1, description="token threshold for small_model")
    requests_per_minute: int | None = Field(None, ge=1, le=1_000_000, description="ceiling on requests per minute (none: no ceiling)")
    tokens_per_minute: int | None = Field(None, ge=1, le=1_000_000_000, description="ceiling on tokens per minute (none: no ceiling)")
    prompts_dir: str | None = Field(None, validation_alias=AliasChoices("prompts_dir", "SUMMARIZER_PROMPTS", "SUMMARIZER_PROMPTS_DIR"),
                                    description="folder of user prompts used over the defaults")
    parser: Literal["pymupdf", "nougat"] = Field("pymupdf", description="PDF parser")
    nougat_checkpoint: str | None = Field(None, validation_alias=AliasChoices("nougat_checkpoint", *NOUGAT_CHECKPOINT_VARS),
                                          description="local Nougat checkpoint folder")
    max_pages: int = Field(MAX_PAGES, ge=1, le=MAX_PAGES_LIMIT, description="page limit per PDF")
    model_path: str | None = Field(None, description="a GGUF model file: the local llama.cpp model instead of an endpoint")
    threads: int | None = Field(None, ge=1, le=256,
                                description="llama.cpp threads for the local model (default: half the CPUs, at least 1)")
    context_windows: dict[str, int] = Field(default_factory=lambda: dict(CONTEXT_WINDOWS),
                                            description="context windows by model-name prefix")
    prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(PRICES),
                                                   description="USD per million tokens (input, output) by model-name prefix")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_one_line(exc)) from None

    def _before(self, name: str, value: Any) -> Any:
        """0, "" and "none" mean no value for the settings where none is a choice (no ceiling, the table's)."""
        if name in ("context_window", "requests_per_minute", "tokens_per_minute", "route_below_tokens"):
            return None if value in (0, "0", "", "none", "None") else value
        return value

    def _after(self) -> None:
        """The endpoint or the model file, checked for the backend that will use it."""
        if self.is_local:
            check_model_file(str(self.model_path))
        elif self.backend == "llm":
            parsed = urlparse(self.base_url.strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(f"The base URL '{self.base_url[:80]}' is not a web address; "
                                  "it should look like https://api.openai.com/v1.")
            if not self.model.strip():
                raise ConfigError("Choose a model name for the LLM backend.")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then the environment (``environment``), then the non-None ``overrides``."""
        given = {k: v for k, v in overrides.items() if v is not None}
        named = {cls._field_of(k) for k in given}  # "api_key" overrides what the environment gave "secret_key"
        env = environment(cls.model_fields)
        if "backend" not in named and str(env.get("backend", "")).strip().lower() == "local":
            env["backend"] = "llm"  # SUMMARIZER_BACKEND=local: the LLM backend over a model file, never an endpoint
            if not (given.get("model_path") or env.get("model_path")):
                raise ConfigError("SUMMARIZER_BACKEND=local needs a model file: SUMMARIZER_MODEL_PATH or --model-path X.gguf.")
        base = cls(**{k: v for k, v in env.items() if k not in named}, **given)
        if not base.prompts_dir:
            base.prompts_dir = str(user_prompts_dir())
        return base

    @classmethod
    def _field_of(cls, key: str) -> str:
        """The field a constructor argument sets (a field name, or one of its alias choices)."""
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            if key == name or (isinstance(alias, AliasChoices) and key in alias.choices):
                return name
        return key

    @classmethod
    def choices(cls, name: str) -> list[str] | None:
        """The allowed values of a ``Literal`` field (for argparse and select boxes), else None."""
        from typing import get_args, get_origin

        annotation = cls.model_fields[name].annotation
        return list(get_args(annotation)) if get_origin(annotation) is Literal else None

    @classmethod
    def describe(cls) -> dict[str, str]:
        """Field name → description (for ``--help`` and the Settings page)."""
        return {name: f.description or "" for name, f in cls.model_fields.items()}

    @property
    def api_key(self) -> str:
        """The key as plain text (only for the HTTP client; never log it)."""
        return self.secret_key.get_secret_value()

    @api_key.setter
    def api_key(self, value: str) -> None:
        self.secret_key = SecretStr(value or "")

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with ``changes`` (what ``dataclasses.replace`` did for the old dataclass)."""
        values = {**self.model_dump(), "api_key": self.api_key, **changes}
        values.pop("secret_key", None)
        return type(self)(**values)

    @property
    def host(self) -> str:
        """``host[:port]`` of the endpoint, never the ``user:password@`` a URL may carry (the host is shown
        in labels, logs, History and cache keys)."""
        parts = urlparse(self.base_url)
        try:
            name, port = parts.hostname, parts.port
        except ValueError:  # a port that is not a number
            name, port = parts.hostname, None
        if not name:
            return parts.netloc.rpartition("@")[2] or self.base_url
        name = f"[{name}]" if ":" in name else name
        return f"{name}:{port}" if port else name

    @property
    def effective_context(self) -> int:
        return self.context_window or _by_prefix(self.context_windows, self.model) or DEFAULT_CONTEXT

    @property
    def price(self) -> tuple[float, float] | None:
        return price_for(self.model, self.prices)

    @property
    def is_local(self) -> bool:
        """The LLM backend runs a local GGUF model (llama.cpp on loopback), not a remote endpoint."""
        return self.backend == "llm" and bool(self.model_path)

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

    def validate(self) -> None:  # type: ignore[override]
        """Check the current values (also after attribute assignment); raise ``ConfigError`` naming the setting."""
        self.replace()

    def to_public_dict(self) -> dict:
        """Settings without the key (nor a password inside the base URL), for display, cache keys and logs."""
        data = self.model_dump(exclude={"secret_key"})
        parts = urlparse(self.base_url)
        if parts.password is not None or parts.username is not None:
            data["base_url"] = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        return data

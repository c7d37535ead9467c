"""Settings: one typed model, validated with one-line messages, reachable from env, CLI and copies."""

from __future__ import annotations

import pytest

from summarizer.cli.main import build_parser
from summarizer.config.settings import Settings
from summarizer.model.errors import ConfigError


@pytest.mark.parametrize(("values", "names"), [
    ({"workers": 0}, "workers"), ({"workers": 65}, "workers"), ({"backend": "gpt"}, "backend"),
    ({"language": "fr"}, "language"), ({"length": "huge"}, "length"), ({"temperature": 3}, "temperature"),
    ({"max_attempts": 0}, "max_attempts"), ({"timeout": -1}, "timeout"), ({"requests_per_minute": -5}, "requests_per_minute"),
    ({"workers": "many"}, "workers"),
])
def test_invalid_values_give_one_line_naming_the_setting(values, names):
    with pytest.raises(ConfigError) as info:
        Settings(**values)
    message = str(info.value)
    assert names in message and "\n" not in message


def test_endpoint_checked_only_for_the_llm_backend():
    Settings(backend="extractive", base_url="not a url")  # unused: fine
    with pytest.raises(ConfigError, match="not a web address"):
        Settings(backend="llm", base_url="api dot openai")
    settings = Settings()
    settings.workers = 500  # assignment is checked by validate()
    with pytest.raises(ConfigError, match="workers"):
        settings.validate()


def test_environment_with_prefix_and_provider_names(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("SUMMARIZER_BACKOFF_BASE", "0.25")
    monkeypatch.setenv("SUMMARIZER_REQUESTS_PER_MINUTE", "30")
    monkeypatch.setenv("SUMMARIZER_TEMPERATURE", "0.7")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    s = Settings.from_env(temperature=0.1)
    assert (s.max_attempts, s.backoff_base, s.requests_per_minute, s.temperature) == (2, 0.25, 30, 0.1)
    assert s.api_key == "sk-from-env" and s.base_url == "http://127.0.0.1:8080/v1"
    assert Settings().max_attempts == 5 and Settings().api_key == ""  # plain construction ignores the environment
    monkeypatch.setenv("SUMMARIZER_WORKERS", "lots")
    with pytest.raises(ConfigError, match="workers"):
        Settings.from_env()


def test_key_is_secret_everywhere_but_the_client():
    s = Settings(api_key="sk-very-secret-123")
    assert s.api_key == "sk-very-secret-123" and s.clean_key() == "sk-very-secret-123"
    for text in (repr(s), str(s), str(s.to_public_dict()), s.model_dump_json()):
        assert "sk-very-secret-123" not in text
    s.api_key = "sk-other"
    assert s.api_key == "sk-other"
    copy = s.replace(model="m2")
    assert copy.api_key == "sk-other" and copy.model == "m2" and s.model != "m2"
    with pytest.raises(ConfigError):
        s.replace(workers=0)


def test_cli_flags_reach_the_settings_and_show_descriptions(monkeypatch):
    from summarizer.cli.main import settings_from_args

    args = build_parser().parse_args(["summarize", "x.txt", "--max-attempts", "2", "--backoff-base", "0", "--rpm", "60",
                                      "--tpm", "9000", "--temperature", "0.5", "--timeout", "7", "--context-window", "4096"])
    s = settings_from_args(args)
    assert (s.max_attempts, s.backoff_base, s.requests_per_minute, s.tokens_per_minute, s.temperature, s.timeout,
            s.context_window) == (2, 0.0, 60, 9000, 0.5, 7.0, 4096)
    help_text = build_parser()._subparsers._group_actions[0].choices["summarize"].format_help()
    assert Settings.describe()["max_attempts"][:30] in " ".join(help_text.split())


def test_credentials_in_the_base_url_never_reach_labels_history_or_logs():
    """A proxy URL like https://user:pass@host/v1 works for the client but shows only host[:port]."""
    s = Settings(backend="llm", base_url="https://alice:hunter2@gw.example.com:8443/v1", model="m")
    assert s.base_url.startswith("https://alice:hunter2@")  # the client still gets it
    assert s.host == "gw.example.com:8443" and s.backend_label == "llm (m @ gw.example.com:8443)"
    assert "hunter2" not in str(s.to_public_dict()) and "alice" not in str(s.to_public_dict())
    assert s.to_public_dict()["base_url"] == "https://gw.example.com:8443/v1"
    assert Settings(base_url="http://[::1]:8080/v1").host == "[::1]:8080"
    assert Settings(base_url="http://127.0.0.1:8080/v1").host == "127.0.0.1:8080"


def test_the_environment_is_read_as_documented(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("SUMMARIZER_API_KEY", "sk-summarizer")  # ours first, then the provider's name
    monkeypatch.setenv("summarizer_group_below", "250")  # names are not case-sensitive
    monkeypatch.setenv("SUMMARIZER_USE_CACHE", "false")
    monkeypatch.setenv("SUMMARIZER_CONTEXT_WINDOWS", '{"my-model": 32000}')  # dict fields are JSON
    monkeypatch.setenv("NOUGAT_CHECKPOINT", "/models/nougat")
    s = Settings.from_env(model="my-model-7b")
    assert s.api_key == "sk-summarizer" and s.group_below == 250 and s.use_cache is False
    assert s.effective_context == 32000 and s.nougat_checkpoint == "/models/nougat"
    assert Settings.from_env(api_key="sk-given").api_key == "sk-given"  # an argument beats the environment
    monkeypatch.setenv("SUMMARIZER_CONTEXT_WINDOWS", "{not json")
    with pytest.raises(ConfigError, match="SUMMARIZER_CONTEXT_WINDOWS must be JSON"):
        Settings.from_env()
    monkeypatch.delenv("SUMMARIZER_CONTEXT_WINDOWS")
    monkeypatch.setenv("SUMMARIZER_NO_SUCH_SETTING", "1")  # unknown names are not settings: ignored
    assert Settings.from_env().group_below == 250


def test_service_settings_read_their_own_prefix_and_json_fields(monkeypatch):
    """``SUMMARIZER_SERVICE_*`` through the same reader as the run settings (``environment(prefix=...)``)."""
    from summarizer.model.errors import ConfigError
    from summarizer.service.settings import ServiceSettings

    monkeypatch.setenv("SUMMARIZER_SERVICE_PORT", "9001")
    monkeypatch.setenv("SUMMARIZER_SERVICE_ALLOWED_MODELS", '["gpt-4o-mini", "deepseek-chat"]')
    monkeypatch.setenv("SUMMARIZER_PORT", "1")  # a run setting's name: not the service's
    settings = ServiceSettings.from_env(host="127.0.0.1")
    assert settings.port == 9001 and settings.allowed_models == ["gpt-4o-mini", "deepseek-chat"]
    monkeypatch.setenv("SUMMARIZER_SERVICE_PROMPT_SETS", "{not json")
    with pytest.raises(ConfigError, match="SUMMARIZER_SERVICE_PROMPT_SETS must be JSON"):
        ServiceSettings.from_env()

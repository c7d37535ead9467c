"""The pieces of the one request path (budget → cache → call → answer checks), each held to what the
review of issue #26 found untested."""

from __future__ import annotations

import pytest
from fault_servers import within
from llm_server import LLMServer

from summarizer.config.settings import Settings
from summarizer.llm.answer_checks import schema_problems
from summarizer.llm.backend import LLMBackend
from summarizer.llm.client import ChatClient
from summarizer.llm.requests import RECHECK
from summarizer.model.errors import EndpointUnavailable

MESSAGES = [{"role": "user", "content": "Say hello."}]
SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}, "key_terms": {"type": "array"}},
          "required": ["summary", "key_terms"]}


def _backend() -> LLMBackend:
    settings = Settings(backend="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", use_cache=False)
    return LLMBackend(settings)


def _call(backend: LLMBackend):
    prompt = backend.prompts.get("synthesis")
    return prompt, backend.sized(prompt, {"title": "Sparrows", "brief": "", "section_summaries": "They migrate."})


@pytest.mark.parametrize("terms", [[1, 2], ["bird", None], [{"term": "bird"}], [["bird"]]])
def test_a_list_field_of_non_strings_is_not_a_structured_answer(terms):
    assert schema_problems({"summary": "Sparrows migrate.", "key_terms": terms}, SCHEMA) == \
        ["'key_terms' is not a list of strings"]
    assert schema_problems({"summary": "Sparrows migrate.", "key_terms": ["bird", "winter"]}, SCHEMA) == []


def test_the_re_ask_instruction_counts_in_the_budget():
    """A re-ask appends an instruction: its tokens are the prompt's, taken from the room for the answer."""
    backend = _backend()
    _, call = _call(backend)
    extra = RECHECK.format(problem="these numbers do not appear in the text: 42, 7")
    again = backend.extended(call, extra)
    tokens = backend.tokenizer.count(extra)
    assert tokens > 5
    assert again.prompt_tokens == call.prompt_tokens + tokens
    assert again.room == call.room - tokens and again.max_tokens <= again.room
    assert again.messages[-1]["content"].endswith(extra)


def test_the_answer_schema_is_part_of_the_cache_key():
    """The same messages asked for other fields must not be answered from the cache with the old fields."""
    backend = _backend()
    prompt, call = _call(backend)
    schema = prompt.json_schema()
    other = {**schema, "properties": {**schema["properties"], "extra": {"type": "string"}},
             "required": [*schema["required"], "extra"]}
    assert backend.cache_key(call, schema) == backend.cache_key(call, dict(schema))
    assert backend.cache_key(call, schema) != backend.cache_key(call, other)


def _client(server: LLMServer, cap: float) -> ChatClient:
    return ChatClient(Settings(backend="llm", model="test-model", base_url=server.base_url, api_key="sk-test-0000",
                               backoff_base=0.01, timeout=10), retry_after_cap=cap)


def test_a_retry_after_at_the_cap_is_waited_once_not_twice():
    with LLMServer(rate_limit_first=1, retry_after="1.5") as server:
        completion = within(20, _client(server, cap=1.5).complete, MESSAGES, 50, 20)
        first, second = server.state.chat_requests
        assert completion.attempts == 2
        assert 1.45 <= second.at - first.at < 2.5  # the server's wait, not the SDK's and ours on top


def test_a_retry_after_just_past_the_cap_is_refused_at_once():
    with LLMServer(rate_limit_first=1, retry_after="1.6") as server:
        error = within(10, _client(server, cap=1.5).complete, MESSAGES, 50, 20)
        assert isinstance(error, EndpointUnavailable) and "Retry-After" in str(error)
        assert len(server.state.chat_requests) == 1

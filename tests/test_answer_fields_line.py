"""The "Answer fields:" line of a prompt is left out while the endpoint takes the JSON schema, which
says the same (a provider that writes the schema into the prompt would bill it twice), and is sent
again after a downgrade or once an answer shows the schema is not followed (stand-in server)."""

from __future__ import annotations

from conftest import llm_settings

from summarizer.engine import summarize_document
from summarizer.llm_backend import LLMBackend
from summarizer.llm_client import ChatClient
from summarizer.text_parser import parse_text

PAPER = ("# Sparrow\n\n## Abstract\nWe present Sparrow, a method for fast retrieval.\n\n## 2 Method\n"
         + " ".join(f"Sparrow step {i} builds part {i} of a two-level index over the documents." for i in range(60))
         + "\n\n## 3 Results\n" + " ".join(f"On benchmark {i} Sparrow answers in {i} milliseconds." for i in range(60))
         + "\n\n## 4 Conclusion\nSparrow makes long-document retrieval practical.")


def _run(server, **changes):
    settings = llm_settings(server, use_cache=False, group_below=0, **changes)
    backend = LLMBackend(settings, client=ChatClient(settings, backoff_base=0.01))
    result = summarize_document(parse_text(PAPER), settings, backend=backend)
    return result, [r.body for r in server.state.chat_requests]


def _with_line(bodies) -> list[bool]:
    return ["Answer fields:" in b["messages"][-1]["content"] for b in bodies]


def test_no_request_repeats_what_the_schema_says(llm_server):
    result, bodies = _run(llm_server)
    assert not result.failed and all(r.status == "done" for r in result.sections if r.ok)
    assert all(b.get("response_format", {}).get("type") == "json_schema" for b in bodies)
    assert not any(_with_line(bodies)), "the first requests too: nothing waits to learn the endpoint"


def test_after_a_downgrade_the_fields_are_named_in_the_prompt(llm_server):
    llm_server.state.reset(reject_formats=("json_schema",))
    result, bodies = _run(llm_server)
    assert all(r.status == "done" for r in result.sections if r.ok)
    answered = [b for b in bodies if b.get("response_format", {}).get("type") != "json_schema"]
    assert answered and all(_with_line(answered))


def test_an_endpoint_that_ignores_the_schema_gets_the_fields_in_the_prompt(llm_server):
    llm_server.state.reset(ignore_schema=True)
    result, bodies = _run(llm_server, workers=1)  # one at a time: what the first answer shows, the rest use
    lines = _with_line(bodies)
    assert not lines[0] and lines[-1] and lines == sorted(lines), lines  # once the fields are named, they stay
    # the sections asked after that have every field the prompt names
    assert [r.status for r in result.sections if r.ok][-1] == "done"

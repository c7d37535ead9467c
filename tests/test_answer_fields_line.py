"""The "Answer fields:" line of a prompt is left out while the endpoint takes the JSON schema, which
says the same (a provider that writes the schema into the prompt would bill it twice), and is sent
again after a downgrade or once an answer shows the schema is not followed (stand-in server)."""

from __future__ import annotations

from conftest import llm_settings

from summarizer.inputs.text_parser import parse_text
from summarizer.llm.backend import LLMBackend
from summarizer.llm.client import ChatClient
from summarizer.llm.requests import SCHEMA_DISTRUST_AFTER
from summarizer.run.engine import summarize_document

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
    assert not lines[0] and lines[-1], lines  # the schema alone first; the fields named once answers miss it
    # one miss is no evidence about the endpoint (issue #32): the schema alone is tried until answers that
    # miss it repeat and outnumber those that follow it; from then on the fields are named in every request
    assert SCHEMA_DISTRUST_AFTER <= sum(not line for line in lines) <= SCHEMA_DISTRUST_AFTER + 1, lines
    last_lean = max(i for i, line in enumerate(lines) if not line)
    assert all(lines[last_lean + 1:]), lines


def test_one_answer_that_missed_the_schema_does_not_turn_the_schema_off(llm_server):
    """A grammar-bound server's one garbled answer (repaired into wrong keys) made every later prompt name
    its fields with their descriptions, and a small model then echoed them (issue #32)."""
    llm_server.state.reset(ignore_schema_first=2)  # the abstract and the method's first answer miss the schema
    result, bodies = _run(llm_server, workers=1)
    lines = _with_line(bodies)
    assert all(r.status == "done" for r in result.sections if r.ok)
    named = [i for i, line in enumerate(lines) if line]
    assert len(named) <= 2 and not lines[-1], lines  # only the re-asks name the fields; later requests stay lean
    # every section has every field its prompt names: the answer that lacked them was asked again
    assert all(r.status == "done" for r in result.sections if r.ok)


def test_answers_in_flight_when_the_schema_proves_ignored_are_asked_again(llm_server, tmp_path, monkeypatch):
    """With four at once, several answers come back without their fields: each is asked again (and
    only the good answer is cached, so a re-run is complete too)."""
    monkeypatch.setenv("SUMMARIZER_HOME", str(tmp_path))
    llm_server.state.reset(ignore_schema=True, latency=0.2)
    settings = llm_settings(llm_server, use_cache=True, group_below=0, workers=4)
    first = summarize_document(parse_text(PAPER), settings)
    assert all(r.status == "done" for r in first.sections if r.ok)
    again = summarize_document(parse_text(PAPER), llm_settings(llm_server, use_cache=True, group_below=0, workers=4))
    assert all(r.status == "cached" for r in again.sections if r.ok)

import json
import re

import pytest

from summarizer.llm.prompts import (
    load_prompts,
    parse_prompt,
    reset_user_prompt,
    route_prompt,
    safe_prompt_path,
    save_user_prompt,
)
from summarizer.model.errors import PromptError
from summarizer.text.tokens import TokenBudget, estimate_tokens, get_tokenizer


def test_every_shipped_prompt_loads_and_renders():
    prompts = load_prompts()
    assert not prompts.errors
    assert {"method", "experiments", "introduction", "news", "synthesis", "brief", "merge", "generic"} <= set(prompts.prompts)
    for p in prompts.prompts.values():
        messages = p.render({"title": "T", "brief": "B", "section_title": "S", "section_text": "TEXT", "kind": "method",
                             "language": "English", "abstract": "A", "section_summaries": "SS", "chunk_summaries": "CS"})
        content = messages[-1]["content"]
        for m in messages:  # every {variable} was filled in: none is left for the model to read
            assert not re.findall(r"\{(title|brief|section_title|section_text|kind|language|abstract|max_words"
                                  r"|section_summaries|chunk_summaries)\}", m["content"]), (p.name, m["role"])
        used = re.findall(r"\{(\w+)\}", p.system + p.user)
        for name, value in {"title": "T", "section_text": "TEXT", "section_summaries": "SS"}.items():
            if name in used:
                assert value in "\n".join(m["content"] for m in messages), (p.name, name)
        if p.role == "section":
            assert "TEXT" in content
        if "reasoning" in p.fields:
            assert list(p.fields)[0] == "reasoning"


def test_routing_by_kind_keyword_and_genre():
    prompts = load_prompts()
    assert route_prompt(prompts, "method", "3 Sparrow").name == "method"
    assert route_prompt(prompts, "results", "Results").name == "experiments"
    assert route_prompt(prompts, "other", "Our method in detail").name == "method"
    assert route_prompt(prompts, "other", "Odd title").name == "generic"
    assert route_prompt(prompts, "body", "Part 1", genre="article").name == "news"


def test_validation_messages_name_file_and_problem():
    with pytest.raises(PromptError, match=r"bad.json5: line 2"):
        parse_prompt('{\n name: "x", user: ,}', "bad.json5")
    with pytest.raises(PromptError, match=r"unknown variable \{sectoin_text\}"):
        parse_prompt('{name: "x", user: "{sectoin_text}"}', "typo.json5")
    with pytest.raises(PromptError, match=r"must use \{section_text\}"):
        parse_prompt('{name: "x", user: "hello {title}"}', "missing.json5")


def test_user_prompts_override_and_broken_ones_fall_back(tmp_path):
    good = load_prompts().get("method")
    good.system = good.system + " Be extra careful."
    save_user_prompt(tmp_path, good)
    (tmp_path / "broken.json5").write_text('{name: "conclusion", user: "{nope}"}')
    prompts = load_prompts(tmp_path)
    assert prompts.get("method").system.endswith("Be extra careful.")
    assert prompts.overridden == {"method"}
    assert prompts.get("conclusion").source == "conclusion.json5"  # the default stayed
    assert any("broken.json5" in e and "default is used" in e for e in prompts.errors)
    reset_user_prompt(tmp_path, "method")
    assert not load_prompts(tmp_path).overridden


def test_prompt_names_cannot_escape_the_folder(tmp_path):
    for bad in ("../evil", "a/b", "..", ""):
        with pytest.raises(PromptError):
            safe_prompt_path(tmp_path, bad)


def test_tokenizer_is_exact_offline_from_bundled_files(app_home, monkeypatch):
    # no network is needed: the encoder comes from the bundled files via the app's cache folder
    monkeypatch.setenv("NO_PROXY", "*")
    tok = get_tokenizer("cl100k_base")
    assert tok.exact
    assert tok.count("hello world") == 2
    assert list((app_home / "cache" / "tiktoken").iterdir())


def test_tokenizer_falls_back_to_a_conservative_estimate(monkeypatch, tmp_path):
    import summarizer.text.tokens as tokens

    monkeypatch.setattr(tokens, "ASSETS_DIR", tmp_path)  # no bundled files
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty"))
    import tiktoken.load

    def offline(*a, **k):
        raise ConnectionError("no network")

    monkeypatch.setattr(tiktoken.load, "read_file", offline)
    tokens.get_tokenizer.cache_clear()
    import tiktoken.registry as registry

    registry.ENCODINGS.pop("o200k_base", None)
    tok = tokens.get_tokenizer("o200k_base")
    assert not tok.exact
    text = "Estimation must never undercount. " * 20 + "中文字符" * 10
    assert tok.count(text) >= get_tokenizer.__wrapped__("cl100k_base").count(text)
    tokens.get_tokenizer.cache_clear()
    assert estimate_tokens("") == 0


def test_budget():
    b = TokenBudget(context_window=1000, reserved_output=300, safety_margin=50)
    assert b.room_for_text(100) == 550
    assert b.fits(100, 550) and not b.fits(100, 551)


def test_export_is_json():
    assert json.loads(json.dumps(load_prompts().get("news").to_dict()))["name"] == "news"

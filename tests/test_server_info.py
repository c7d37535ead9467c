"""Endpoint probing lives in one place (llm/server_info.py): the Settings page's connection test, the
context-window probe and the client's endpoint check all ask through it."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx2
from llm_server import LLMServer

from summarizer.llm.server_info import auth_headers, get_models, get_props, is_llama_cpp_python, server_root

PACKAGE = Path(__file__).resolve().parent.parent / "summarizer"


def test_the_model_list_and_props_of_a_real_server_on_loopback():
    with LLMServer() as server, httpx2.Client() as http:
        status, models = get_models(http, server.base_url, auth_headers("sk-test-0000"), 5)
        assert status == 200 and isinstance(models, dict) and models.get("data")
        assert get_props(http, server.base_url, {}, 5) is None  # not llama.cpp: no /props
        assert not is_llama_cpp_python(http, server.base_url, {}, 5)
    assert server_root("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080"
    assert auth_headers("") == {}


def test_no_other_module_asks_a_server_about_itself():
    """The paths a server describes itself at are written in server_info.py only."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "server_info.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    node.value.rstrip("/").endswith(("/models", "/props", "/openapi.json")):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
            if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.Constant) and str(v.value).endswith(
                    ("/models", "/props", "/openapi.json")) for v in node.values):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} (f-string)")
    assert found == []

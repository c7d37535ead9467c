"""The requests that ask an OpenAI-compatible server about itself, in one place: its model list
(``/models``), llama.cpp's ``/props`` and llama-cpp-python's OpenAPI title. Each returns what came back;
the caller (the connection test in Settings, the context-window probe, the client's endpoint check)
decides what a failure means. Transport errors are the caller's to catch."""

from __future__ import annotations

import re


def server_root(base_url: str) -> str:
    """The server root: the base URL without a trailing ``/v1``."""
    return re.sub(r"/v1/?$", "", base_url.strip().rstrip("/"))


def auth_headers(api_key: str) -> dict[str, str]:
    """The Authorization header for ``api_key`` (none without a key)."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def json_object(response) -> dict | None:
    """A response's JSON object, or None for a body that is not one (an HTML page, a list)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def get_models(http, base_url: str, headers: dict, timeout) -> tuple[int, object]:
    """``GET <base URL>/models`` with the client ``http``: (its status, its JSON, or None when the body is
    not JSON). An OpenAI-compatible server answers an object with a ``data`` list."""
    response = http.get(base_url.strip().rstrip("/") + "/models", headers=headers, timeout=timeout)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def get_props(http, base_url: str, headers: dict, timeout) -> dict | None:
    """llama.cpp's ``GET <root>/props`` (its slots and context window), or None where there is none."""
    response = http.get(server_root(base_url) + "/props", headers=headers, timeout=timeout)
    return json_object(response) if response.status_code == 200 else None


def is_llama_cpp_python(http, base_url: str, headers: dict, timeout) -> bool:
    """llama-cpp-python's server (it has no ``/props``): its OpenAPI description names it."""
    response = http.get(server_root(base_url) + "/openapi.json", headers=headers, timeout=timeout)
    info = (json_object(response) or {}).get("info") if response.status_code == 200 else None
    return isinstance(info, dict) and "llama.cpp python" in str(info.get("title", "")).lower()

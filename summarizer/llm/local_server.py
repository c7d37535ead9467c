"""The child process that serves a GGUF model: llama-cpp-python's OpenAI-compatible server on
127.0.0.1, with one adapter in front of it.

llama-cpp-python enforces an answer schema by grammar only when it arrives as
``{"type": "json_object", "schema": {...}}``; the OpenAI form ``{"type": "json_schema",
"json_schema": {"schema": {...}}}`` that our client sends fails its request validation. The
adapter rewrites the one into the other, so the schema is enforced instead of being dropped by a
fallback. Run by ``local_model.LocalServer``: ``python -m summarizer.llm.local_server --model X.gguf
--port P --n_ctx N --n_threads T [--no_extra_bufts]``. ``--no_extra_bufts`` loads the model with
llama.cpp's ``use_extra_bufts`` off (no weight repacking, so no AMX kernels: some VMs report AMX and
fault in them); llama-cpp-python's settings have no option for it, so the model parameters are set here.
"""

from __future__ import annotations

import argparse
import json
import logging

log = logging.getLogger(__name__)


def rewrite_response_format(body: dict) -> dict:
    """The request body with an OpenAI json_schema response_format in llama-cpp-python's form."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        body = {**body, "response_format": {"type": "json_object", **({"schema": schema} if schema else {})}}
    body.pop("stream_options", None)  # not in llama-cpp-python's request model
    return body


class SchemaAdapter:
    """ASGI middleware: rewrites chat-completion request bodies with ``rewrite_response_format``."""

    def __init__(self, app) -> None:
        self.app = app
        self.chat_requests = 0  # every chat request received, for "requests sent vs counted" (bench)

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") == "http" and scope.get("path") == "/summarizer/stats":
            body = json.dumps({"chat_requests": self.chat_requests}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope.get("type") != "http" or scope.get("method") != "POST" \
                or not scope.get("path", "").endswith("/chat/completions"):
            await self.app(scope, receive, send)
            return
        self.chat_requests += 1
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away before sending its body
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        try:
            raw = json.dumps(rewrite_response_format(json.loads(raw))).encode()
        except (ValueError, AttributeError):
            pass  # not JSON: the server answers it with its own error
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        await self.app({**scope, "headers": headers}, _replay([{"type": "http.request", "body": raw,
                                                                 "more_body": False}], receive), send)


def _replay(messages: list[dict], receive=None):
    """An ASGI ``receive`` that hands out ``messages``, then waits on the real one (disconnects)."""
    queue = list(messages)

    async def replayed():
        if queue:
            return queue.pop(0)
        if receive is not None:
            return await receive()
        return {"type": "http.disconnect"}

    return replayed


def without_extra_bufts() -> None:
    """Make every model loaded in this process use llama.cpp's default CPU buffers only (``use_extra_bufts``
    off): ``Llama`` takes its model parameters from ``llama_model_default_params``, which is wrapped here."""
    import llama_cpp.llama_cpp as lib

    defaults = lib.llama_model_default_params
    if getattr(defaults, "summarizer_no_extra_bufts", False):
        return

    def params():
        p = defaults()
        p.use_extra_bufts = False
        return p

    params.summarizer_no_extra_bufts = True
    lib.llama_model_default_params = params


def main(argv: list[str] | None = None) -> None:
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    parser = argparse.ArgumentParser(prog="python -m summarizer.llm.local_server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n_ctx", type=int, default=4096)
    parser.add_argument("--n_threads", type=int, default=1)
    parser.add_argument("--alias", default="local")
    parser.add_argument("--no_extra_bufts", action="store_true", help="llama.cpp's extra buffer types off (no AMX kernels)")
    args = parser.parse_args(argv)
    if args.no_extra_bufts:
        without_extra_bufts()
    server = ServerSettings(host="127.0.0.1", port=args.port, interrupt_requests=False)
    model = ModelSettings(model=args.model, model_alias=args.alias, n_ctx=args.n_ctx, n_threads=args.n_threads,
                          n_threads_batch=args.n_threads, n_gpu_layers=0, verbose=False)
    app = create_app(server_settings=server, model_settings=[model])
    uvicorn.run(SchemaAdapter(app), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""The ``/v1`` HTTP API (FastAPI): routes that read a request, call the library, and answer with the job
model. Every error is a problem document (``problems.py``); every request is one log line with its job id
and never a key; nothing here summarizes, parses or checks anything itself."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from summarizer.config.settings import Settings
from summarizer.config.version import package_version
from summarizer.model.document import Document
from summarizer.model.errors import SummarizerError
from summarizer.model.results import Usage
from summarizer.service.dispatch import Dispatcher
from summarizer.service.intake import (
    AskRequest,
    SectionsRequest,
    SummaryRequest,
    choose_sections,
    read_document,
    run_settings,
    sections_json,
)
from summarizer.service.jobs import ApiKey, Job, JobKind, JobStatus, ServiceStore, fingerprint, new_id
from summarizer.service.keys import KeyGate, authenticate
from summarizer.service.metrics import ServiceMetrics
from summarizer.service.problems import MEDIA_TYPE, Problem, not_found
from summarizer.service.quotas import check_jobs, check_rate, check_tokens
from summarizer.service.settings import ServiceSettings

log = logging.getLogger(__name__)

#: Seconds between looks at the store while a POST waits for a job run on a worker (a news article's whole
#: budget is 5 s: a longer pause would be its latency), and while an event stream has nothing new.
POLL = 0.05
EVENT_POLL = 0.25
#: A comment line on a quiet event stream, so proxies keep it open.
KEEPALIVE = 15.0
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*([0-9]+(?:\.[0-9]+)?)", re.I)


@dataclass
class Service:
    """What the routes share: the store, the server's run settings (with its model key), the service's own
    settings, where jobs run, whether requests need a key (asked on each request), and its metrics."""

    store: ServiceStore
    base: Settings
    settings: ServiceSettings
    dispatcher: Dispatcher
    keys: KeyGate
    metrics: ServiceMetrics


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse a body over the cap: at once from its Content-Length, or as soon as more arrives than allowed."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            problem = _too_large(self.limit)
            response = JSONResponse(problem.body(), status_code=413, media_type=MEDIA_TYPE,
                                    headers={"Connection": "close"})
            return await response(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        return await self.app(scope, counted, send)


def _too_large(limit: int) -> Problem:
    return Problem(413, "too-large", f"The request is larger than this server's limit of {limit / 1048576:.0f} MB.")


def _problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(problem.body(request.url.path), status_code=problem.status, media_type=MEDIA_TYPE,
                        headers=problem.headers)


def _validation_sentence(errors: list) -> str:
    """One sentence for pydantic's list of errors: the first, with where it is."""
    if not errors:
        return "The request is not valid."
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",)) or "the body"
    if first.get("type") == "extra_forbidden":
        return f"The field '{where}' is not known; see /docs for the fields this route takes."
    if first.get("type") in ("json_invalid", "json_type"):
        return "The body is not valid JSON."
    message = str(first.get("msg", "is not valid")).rstrip(".")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"'{where}': {message[0].lower() + message[1:]}{more}."


def job_json(job: Job) -> dict:
    """A job as clients see it (the run's JSON under ``result`` once it finished)."""
    base = f"/v1/summaries/{job.id}"
    out = {"id": job.id, "object": "summary", "status": str(job.status), "title": job.title,
           "document_id": job.document_id, "options": {k: v for k, v in job.options.items() if v is not None},
           "created": job.created, "started": job.started, "finished": job.finished, "error": job.error,
           "links": {"self": base, "markdown": base + ".md", "events": base + "/events"}}
    if job.custom_id:
        out["custom_id"] = job.custom_id
    if job.result is not None:
        out["result"] = job.result
    return out


def ask_json(turn) -> dict:
    """An answer as clients see it, its ``usage`` in the shape of a summary's (``requests``: the model calls its
    tokens came from; an offline or cached answer made none)."""
    out = turn.as_json()
    spent = turn.tokens_in + turn.tokens_out > 0
    out["usage"] = Usage(turn.tokens_in, turn.tokens_out, int(spent), turn.cost_usd).as_json()
    return out


def section_progress(events: list) -> list[dict]:
    """Each section's latest state from a running job's events (its result once it finished)."""
    latest: dict[int, dict] = {}
    for event in events:
        if event.type == "section":
            latest[event.data["index"]] = event.data
    return [latest[i] for i in sorted(latest)]


def batch_json(batch: Job, children: list[Job]) -> dict:
    """A batch in the shape of OpenAI's Batch object (status, request_counts, output link)."""
    finished = [c for c in children if c.status.finished]
    failed = sum(1 for c in finished if c.status in (JobStatus.FAILED, JobStatus.CANCELLED))
    status = "cancelled" if batch.cancel_requested and len(finished) == len(children) else \
        "completed" if len(finished) == len(children) else "in_progress"
    return {"id": batch.id, "object": "batch", "status": status, "created_at": batch.created,
            "request_counts": {"total": len(children), "completed": len(finished) - failed, "failed": failed},
            "output_file": f"/v1/batches/{batch.id}/output"}


def prefer_wait(header: str | None, settings: ServiceSettings) -> float:
    """Seconds a POST may wait for its job: ``Prefer: wait=N`` (capped), ``respond-async`` (0), else the default."""
    if header:
        if "respond-async" in header.lower():
            return 0.0
        m = _WAIT.search(header)
        if m:
            return min(float(m.group(1)), settings.max_wait)
    return settings.default_wait


def create_app(service: Service) -> FastAPI:
    """The API over ``service``; its dispatcher is started with the app and stopped with it."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        service.dispatcher.start()
        try:
            yield
        finally:
            service.dispatcher.stop()

    app = FastAPI(title="Summarizer", version=package_version(), lifespan=lifespan,
                  description="Section-by-section summaries of research papers and news articles. Authenticate with "
                              "'Authorization: Bearer <key>' (keys: `summarizer keys create`).")
    store, settings = service.store, service.settings

    # ---- errors and logging ------------------------------------------------------------------
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem):
        return _problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        return _problem_response(Problem(422, "invalid-request", _validation_sentence(list(exc.errors()))), request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        detail = {404: "There is no such route; see /docs.", 405: "This route does not take that method; see /docs."}
        text = detail.get(exc.status_code) or (exc.detail if isinstance(exc.detail, str) else "The request failed.")
        return _problem_response(Problem(exc.status_code, "http-error", text), request)

    @app.exception_handler(BodyTooLarge)
    async def on_too_large(request: Request, exc: BodyTooLarge):
        return _problem_response(_too_large(settings.max_upload_bytes), request)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        if _store_away(exc):  # Redis restarting, a locked or full disk: a moment, not a bug
            log.error("%s %s: the job store is unavailable: %s", request.method, request.url.path, exc)
            problem = Problem(503, "store-unavailable", "The job store is unavailable for a moment; nothing you sent "
                              "before was lost, so retry shortly.", {"Retry-After": "5"})
            return _problem_response(problem, request)
        log.exception("%s %s failed", request.method, request.url.path)
        problem = Problem(500, "server-error", "Something went wrong on the server; it is in the server's log.")
        return _problem_response(problem, request)

    @app.middleware("http")
    async def log_and_measure(request: Request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            seconds = time.perf_counter() - started
            route = request.scope.get("route")
            template = getattr(route, "path", "unmatched")
            service.metrics.observe_request(template, request.method, status, seconds)
            job = request.scope.get("summarizer_job", "-")
            log.info("%s %s %d %.0f ms job=%s", request.method, request.url.path, status, seconds * 1000, job)

    # ---- who is asking -----------------------------------------------------------------------
    def client(request: Request) -> ApiKey:
        return authenticate(store, request.headers.get("authorization"), not service.keys.needed, settings)

    def counted(request: Request) -> ApiKey:
        key = client(request)
        check_rate(store, key)
        return key

    async def client_counted(request: Request) -> ApiKey:
        # one trip to the thread pool, not two: under load each trip waits its turn for the event loop again
        return await run_in_threadpool(counted, request)

    async def client_for_reads(request: Request) -> ApiKey:
        return await run_in_threadpool(client, request)

    def own_job(job_id: str, key: ApiKey, request: Request) -> Job:
        job = store.get_job(job_id, key.id)
        if job is None or job.kind != JobKind.SUMMARY:
            raise not_found("summary", job_id)
        request.scope["summarizer_job"] = job.id
        return job

    # ---- reading a request -------------------------------------------------------------------
    async def read_request(request: Request, model):
        """The request's fields (JSON, or multipart/form-data with a ``file``) and the upload, if any."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        upload = None
        if kind == "multipart/form-data":
            try:
                form = await request.form(max_files=1, max_fields=50)
            except BodyTooLarge:
                raise
            except Exception as exc:  # a malformed multipart body
                raise Problem(400, "bad-body", f"The multipart body could not be read ({exc.__class__.__name__}).") from None
            fields = {}
            for name, value in form.multi_items():
                if hasattr(value, "read"):
                    if name != "file":
                        raise Problem(422, "invalid-request", f"The file must be sent as the field 'file', not '{name[:40]}'.")
                    upload = (value.filename or "upload", await value.read())
                elif name in ("include", "exclude"):
                    numbers = re.findall(r"-?\d+", value)
                    if any(len(n) > 9 for n in numbers):
                        raise Problem(422, "bad-section", f"'{name}' holds a section number that is far too large.")
                    fields[name] = [int(v) for v in numbers]
                else:
                    fields[name] = value
            try:
                return model(**fields), upload
            except ValidationError as exc:
                raise Problem(422, "invalid-request", _validation_sentence(exc.errors())) from None
        if kind not in ("application/json", ""):
            raise Problem(415, "unsupported-media-type",
                          "Send the request as application/json, or a file as multipart/form-data.")
        body = await request.body()
        try:
            return model.model_validate_json(body or b"{}"), None
        except ValidationError as exc:
            raise Problem(422, "invalid-request", _validation_sentence(exc.errors())) from None

    def submit(key: ApiKey, body: SummaryRequest, upload, idempotency_key: str, parent: str = "",
               custom_id: str = "") -> Job:
        """Parse, check and store the document and the job; hand a new job to the dispatcher."""
        options = body.model_dump(include=set(SummaryRequest.model_fields) - {"text", "title", "url", "arxiv", "document_id"},
                                  exclude_none=True)
        run = run_settings(service.base, settings, options)
        doc_id, document = read_document(store, key.id, settings, run, body, upload)
        choose_sections(document, options)  # an index out of range is refused now, not when the job runs
        request_print = fingerprint(doc_id, options)
        # a batch's lines are each their own request, even when two are alike: never merged
        job = Job(id=new_id("sum"), client=key.id, document_id=doc_id, title=document.title, options=options,
                  fingerprint="" if parent else request_print, idempotency_key=idempotency_key, parent=parent,
                  custom_id=custom_id)
        stored = store.create_job(job, event=("status", {"status": "queued"}))
        if stored.id == job.id:
            try:
                service.dispatcher.submit(job.id)
            except Exception as exc:  # the queue is away: the job must not wait for ever where nothing runs it
                log.error("job %s could not be queued: %s", job.id, exc)
                error = "The job could not be queued; send the request again."
                store.update_job(job.id, status=JobStatus.FAILED, finished=time.time(), error=error,
                                 event=("end", {"status": str(JobStatus.FAILED), "error": error}))
                raise Problem(503, "queue-unavailable", "The job queue is unavailable for a moment; send the request "
                              "again shortly.", {"Retry-After": "5"}) from None
        elif idempotency_key and stored.idempotency_key == idempotency_key and stored.fingerprint != request_print:
            raise Problem(422, "idempotency-key-reused", "This Idempotency-Key was used for a different request; use a "
                                                         "new key for a new request.")
        else:
            log.info("job %s: the same request again (idempotency key or identical request in flight)", stored.id)
        return stored

    def checked_submit(key: ApiKey, body: SummaryRequest, upload, idempotency_key: str) -> Job:
        """The key's job quota checked, then ``submit`` (one trip to the thread pool)."""
        check_jobs(store, key)
        return submit(key, body, upload, idempotency_key)

    async def wait_for(job: Job, seconds: float) -> Job:
        """``job`` once finished, or as it stands after ``seconds``."""
        if job.status.finished or seconds <= 0:
            return job
        watch = service.dispatcher.watch
        if watch is not None:  # jobs end in this process: woken at once
            ended = watch.register(job.id)
            try:
                job = await run_in_threadpool(store.get_job, job.id) or job
                if not job.status.finished:
                    try:
                        await asyncio.wait_for(ended.wait(), seconds)
                    except TimeoutError:
                        pass
                    job = await run_in_threadpool(store.get_job, job.id) or job
            finally:
                watch.forget(job.id, ended)
            return job
        deadline = time.monotonic() + seconds
        while not job.status.finished and time.monotonic() < deadline:
            await asyncio.sleep(min(POLL, max(0.0, deadline - time.monotonic())))
            job = await run_in_threadpool(store.get_job, job.id) or job
        return job

    # ---- summaries ---------------------------------------------------------------------------
    summary_body = {"requestBody": {"content": {
        "application/json": {"schema": SummaryRequest.model_json_schema()},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"},
            **{k: {"type": "string"} for k in SummaryRequest.model_fields if k not in ("text", "include", "exclude")},
            "include": {"type": "string", "description": "section indexes, comma-separated"},
            "exclude": {"type": "string", "description": "section indexes, comma-separated"}}}}},
        "required": True}}

    @app.post("/v1/summaries", status_code=202, openapi_extra=summary_body, tags=["summaries"],
              responses={200: {"description": "done within the wait"}, 202: {"description": "accepted; follow Location"}})
    async def create_summary(request: Request, key: ApiKey = Depends(client_counted)):
        """Summarize a document: a file (multipart), text, a URL, an arXiv id or an earlier document_id. Waits up
        to ``Prefer: wait=N`` seconds: 200 with the result when the job finished by then, else 202."""
        body, upload = await read_request(request, SummaryRequest)
        idem = request.headers.get("idempotency-key", "")[:200]
        job = await run_in_threadpool(checked_submit, key, body, upload, idem)
        request.scope["summarizer_job"] = job.id
        wait = prefer_wait(request.headers.get("prefer"), settings)
        job = await wait_for(job, wait)
        headers = {"Location": f"/v1/summaries/{job.id}", "Preference-Applied": f"wait={wait:g}"}
        return JSONResponse(job_json(job), status_code=200 if job.status.finished else 202, headers=headers)

    @app.get("/v1/summaries/{job_id}.md", tags=["summaries"], response_class=PlainTextResponse)
    async def summary_markdown(job_id: str, request: Request, key: ApiKey = Depends(client_for_reads)):
        """The summary as Markdown (409 until the job finished)."""
        job = await run_in_threadpool(own_job, job_id, key, request)
        if not job.status.finished or job.result is None:
            raise Problem(409, "not-finished", f"The job is {job.status}; its Markdown is written when it finishes.")
        return PlainTextResponse(job.markdown, media_type="text/markdown; charset=utf-8")

    @app.get("/v1/summaries/{job_id}", tags=["summaries"])
    async def get_summary(job_id: str, request: Request, key: ApiKey = Depends(client_for_reads)):
        """The job: its status, and once finished the result (sections, overall summary, coverage, usage, cost);
        while it runs, ``progress``: each section's state so far, with its result once it finished."""
        job = await run_in_threadpool(own_job, job_id, key, request)
        out = job_json(job)
        if not job.status.finished:
            out["progress"] = section_progress(await run_in_threadpool(store.events_after, job.id, 0))
        return out

    @app.delete("/v1/summaries/{job_id}", tags=["summaries"])
    async def cancel_summary(job_id: str, request: Request, key: ApiKey = Depends(client_for_reads)):
        """Cancel: when this answers, the job sends no new model request. Sections already done are kept."""
        job = await run_in_threadpool(own_job, job_id, key, request)
        if job.status.finished:
            raise Problem(409, "already-finished", f"The job already finished ({job.status}); there is nothing to cancel.")
        await run_in_threadpool(store.request_cancel, job.id)
        await run_in_threadpool(service.dispatcher.cancel, job.id)
        job = await wait_for(await run_in_threadpool(own_job, job_id, key, request), 1.0)
        return job_json(job)

    @app.get("/v1/summaries/{job_id}/events", tags=["summaries"],
             responses={200: {"content": {"text/event-stream": {}}}})
    async def summary_events(job_id: str, request: Request, key: ApiKey = Depends(client_for_reads)):
        """Server-sent events: the job's status, each section started and finished, the overall summary,
        then ``end``. Reconnect with ``Last-Event-ID`` to miss nothing."""
        job = await run_in_threadpool(own_job, job_id, key, request)
        last = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
        after = min(int(last), 2**62) if last.strip().isdigit() and len(last.strip()) < 30 else 0
        return StreamingResponse(_event_stream(store, job.id, after, request), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # ---- parse only, ask ---------------------------------------------------------------------
    @app.post("/v1/sections", tags=["documents"], openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": SectionsRequest.model_json_schema()},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}},
        "required": True}})
    async def parse_sections(request: Request, key: ApiKey = Depends(client_counted)):
        """Parse only: the document's sections as the parser read them, and a document_id to summarize or ask later."""
        body, upload = await read_request(request, SectionsRequest)
        doc_id, document = await run_in_threadpool(read_document, store, key.id, settings, service.base, body, upload)
        return sections_json(doc_id, document)

    @app.post("/v1/ask", tags=["documents"])
    async def ask(body: AskRequest, request: Request, key: ApiKey = Depends(client_counted)):
        """A question about a document this key submitted; the answer cites ``[§, p.]``; ``stream`` for events."""
        doc_id = body.document_id
        if body.job_id:
            doc_id = (await run_in_threadpool(own_job, body.job_id, key, request)).document_id
        if not doc_id:
            raise Problem(422, "no-document", "Name the document: document_id, or the job_id of its summary.")
        data = await run_in_threadpool(store.load_document, key.id, doc_id)
        if data is None:
            raise not_found("document", doc_id)
        await run_in_threadpool(check_tokens, store, key)
        run = run_settings(service.base, settings, {"backend": body.backend} if body.backend else {})
        from summarizer.ask.qa import Asker

        def prepare():
            return Asker(Document.from_json(data), run).answer(body.question)  # the index: CPU, off the event loop

        try:
            answering = await run_in_threadpool(prepare)
        except SummarizerError as exc:
            raise Problem(422, "cannot-answer", str(exc)) from None

        def charge() -> None:
            """The answer's model tokens, counted toward the key's tokens for today (whatever became of it). A store
            that fails here loses the count, never the answer already paid for (the log says so)."""
            turn = answering.turn
            tokens = turn.tokens_in + turn.tokens_out
            if tokens > 0:
                try:
                    store.add_usage(key.id, "ask", tokens, turn.cost_usd)
                except Exception:
                    log.exception("ask: its %d tokens could not be counted toward the key", tokens)

        if not body.stream:
            def answer() -> None:
                try:
                    for _ in answering.stream():
                        pass
                finally:
                    charge()

            try:
                await run_in_threadpool(answer)
            except SummarizerError as exc:  # the endpoint is down, the key refused …
                raise Problem(502, "model-unavailable", str(exc)) from None
            return ask_json(answering.turn)
        return StreamingResponse(_answer_stream(answering, charge), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    # ---- batches -----------------------------------------------------------------------------
    @app.post("/v1/batches", status_code=202, tags=["batches"], openapi_extra={"requestBody": {"content": {
        "application/jsonl": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}},
        "required": True}})
    async def create_batch(request: Request, key: ApiKey = Depends(client_counted)):
        """A JSONL file of requests in the OpenAI Batch format (``custom_id``, ``method``, ``url``: /v1/summaries,
        ``body``); each line becomes a summary job; the output is JSONL keyed by ``custom_id``."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            form = await request.form(max_files=1, max_fields=10)
            upload = form.get("file")
            if upload is None or not hasattr(upload, "read"):
                raise Problem(422, "invalid-request", "Send the batch file as the field 'file'.")
            raw = await upload.read()
        else:
            raw = await request.body()
        lines = await run_in_threadpool(_batch_lines, raw, settings)
        await run_in_threadpool(check_jobs, store, key)  # a batch is accepted as one piece of work; its lines queue
        batch = Job(id=new_id("batch"), client=key.id, kind=JobKind.BATCH, title=f"{len(lines)} request(s)")
        await run_in_threadpool(store.create_job, batch)
        request.scope["summarizer_job"] = batch.id
        for custom_id, body in lines:
            try:
                await run_in_threadpool(submit, key, body, None, "", batch.id, custom_id)
            except Problem as problem:  # a line that cannot run is a failed line, not a failed batch
                failed = Job(id=new_id("sum"), client=key.id, status=JobStatus.FAILED, parent=batch.id,
                             custom_id=custom_id, error=problem.detail, finished=time.time(),
                             options={"http_status": problem.status})
                await run_in_threadpool(store.create_job, failed,  # born finished: its events end at once
                                        ("end", {"status": str(JobStatus.FAILED), "error": problem.detail}))
        children = await run_in_threadpool(store.children, batch.id)
        return JSONResponse(batch_json(batch, children), status_code=202,
                            headers={"Location": f"/v1/batches/{batch.id}"})

    def own_batch(batch_id: str, key: ApiKey) -> tuple[Job, list[Job]]:
        batch = store.get_job(batch_id, key.id)
        if batch is None or batch.kind != JobKind.BATCH:
            raise not_found("batch", batch_id)
        return batch, store.children(batch.id)

    @app.get("/v1/batches/{batch_id}", tags=["batches"])
    async def get_batch(batch_id: str, key: ApiKey = Depends(client_for_reads)):
        return batch_json(*await run_in_threadpool(own_batch, batch_id, key))

    @app.get("/v1/batches/{batch_id}/output", tags=["batches"], response_class=PlainTextResponse)
    async def batch_output(batch_id: str, key: ApiKey = Depends(client_for_reads)):
        """One JSON line per finished request: ``custom_id``, ``response`` (``status_code``, ``body``: the job) or ``error``."""
        _batch, children = await run_in_threadpool(own_batch, batch_id, key)
        lines = []
        for child in children:
            if not child.status.finished:
                continue
            if child.result is None:
                status = int(child.options.get("http_status", 422)) if child.status == JobStatus.FAILED else 200
                line = {"id": child.id, "custom_id": child.custom_id, "response": None,
                        "error": {"code": str(child.status), "message": child.error, "status_code": status}}
            else:
                line = {"id": child.id, "custom_id": child.custom_id,
                        "response": {"status_code": 200, "body": job_json(child)}, "error": None}
            lines.append(json.dumps(line, ensure_ascii=False))
        return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""), media_type="application/jsonl")

    @app.delete("/v1/batches/{batch_id}", tags=["batches"])
    async def cancel_batch(batch_id: str, key: ApiKey = Depends(client_for_reads)):
        batch, children = await run_in_threadpool(own_batch, batch_id, key)
        await run_in_threadpool(store.request_cancel, batch.id)
        for child in children:
            if not child.status.finished:
                await run_in_threadpool(store.request_cancel, child.id)
                await run_in_threadpool(service.dispatcher.cancel, child.id)
        batch = await run_in_threadpool(store.get_job, batch.id)
        return batch_json(batch, await run_in_threadpool(store.children, batch.id))

    # ---- operations --------------------------------------------------------------------------
    @app.get("/health/live", tags=["operations"])
    async def live():
        return {"status": "ok"}

    @app.get("/health/ready", tags=["operations"])
    async def ready():
        checks = {}
        try:
            await run_in_threadpool(store.ping)
            checks["store"] = "ok"
        except Exception as exc:
            log.warning("readiness: the store cannot be written: %s", exc)
            checks["store"] = "cannot be written"
        if service.base.backend == "llm" and not service.base.model_path:
            checks["model_endpoint"] = await run_in_threadpool(_endpoint_state, service.base)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics():
        data = await run_in_threadpool(service.metrics.render)
        return Response(data, media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


def _store_away(exc: Exception) -> bool:
    """A store that cannot be reached or written right now (Redis away, SQLite locked or out of disk)."""
    import sqlite3

    from summarizer.service.store import StoreUnavailable

    if isinstance(exc, (StoreUnavailable, sqlite3.OperationalError)):
        return True
    return type(exc).__module__.split(".")[0] == "redis" and type(exc).__name__ in ("ConnectionError", "TimeoutError")


def _endpoint_state(base: Settings) -> str:
    """"ok" when the model endpoint answers at all (any HTTP status: it is up), else why not."""
    import httpx2 as httpx  # the client openai brings, declared in requirements.txt

    from summarizer.llm.server_info import auth_headers, get_models
    from summarizer.llm.tls import trust_context

    try:
        with httpx.Client(timeout=3.0, verify=trust_context()) as http:
            get_models(http, base.base_url, auth_headers(base.clean_key()), 3.0)
        return "ok"
    except Exception as exc:
        return f"unreachable ({exc.__class__.__name__})"


def _sse(event) -> str:
    """One stored job event as a server-sent event (its ``seq`` is the id a client reconnects with)."""
    return f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"


async def _event_stream(store: ServiceStore, job_id: str, after: int, request: Request) -> AsyncIterator[str]:
    quiet_since = time.monotonic()
    while True:
        if await request.is_disconnected():
            return
        events = await run_in_threadpool(store.events_after, job_id, after)
        for event in events:
            after = event.seq
            yield _sse(event)
            if event.type == "end":
                return
        if events:
            quiet_since = time.monotonic()
        else:
            job = await run_in_threadpool(store.get_job, job_id)
            if job is None or job.status.finished:  # ended meanwhile, or a reconnect after the end
                for event in await run_in_threadpool(store.events_after, job_id, after):
                    yield _sse(event)
                return
        if not events and time.monotonic() - quiet_since > KEEPALIVE:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(EVENT_POLL)


async def _answer_stream(answering, charge: Callable[[], None]) -> AsyncIterator[str]:
    """An answer as events: ``delta`` pieces while it is written, then ``answer`` (the checked turn);
    ``charge`` counts its tokens once it ended, also when the client went away before."""
    pieces: asyncio.Queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    from summarizer.ask.qa import RESTART

    gone = threading.Event()  # the client went away: stop reading the answer (closing it stops its request)

    def work() -> None:
        stream = answering.stream()
        try:
            for piece in stream:
                if gone.is_set():
                    stream.close()
                    break
                loop.call_soon_threadsafe(pieces.put_nowait, ("restart", None) if piece == RESTART else ("delta", piece))
        except Exception as exc:  # one sentence, in the stream
            log.warning("ask failed: %s", exc)
            loop.call_soon_threadsafe(pieces.put_nowait, ("error", str(exc) if isinstance(exc, SummarizerError)
                                                          else "The answer failed on the server."))
        charge()
        loop.call_soon_threadsafe(pieces.put_nowait, ("end", None))

    task = loop.run_in_executor(None, work)
    try:
        while True:
            kind, value = await pieces.get()
            if kind == "delta":
                yield f"event: delta\ndata: {json.dumps({'text': value}, ensure_ascii=False)}\n\n"
            elif kind == "restart":  # a retried call: the text starts again
                yield "event: restart\ndata: {}\n\n"
            elif kind == "error":
                yield f"event: error\ndata: {json.dumps({'detail': value})}\n\n"
            else:
                break
    finally:
        gone.set()  # a disconnect cancels this generator at its await: the worker stops at its next piece
    await task
    yield f"event: answer\ndata: {json.dumps(ask_json(answering.turn), ensure_ascii=False)}\n\n"


def _batch_lines(raw: bytes, settings: ServiceSettings) -> list[tuple[str, SummaryRequest]]:
    """The batch file's requests as (custom_id, request); a problem names the first bad line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(422, "bad-batch", "The batch file is not UTF-8 text.") from None
    out, seen = [], set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(out) >= settings.max_batch_lines:
            raise Problem(413, "too-large", f"The batch has more than {settings.max_batch_lines:,} requests.")
        try:
            item = json.loads(line)
        except ValueError:
            raise Problem(422, "bad-batch", f"Line {number} of the batch file is not JSON.") from None
        if not isinstance(item, dict) or not isinstance(item.get("custom_id"), str) or not isinstance(item.get("body"), dict):
            raise Problem(422, "bad-batch", f"Line {number} needs a string 'custom_id' and an object 'body'.")
        if item.get("url", "/v1/summaries") != "/v1/summaries" or item.get("method", "POST").upper() != "POST":
            raise Problem(422, "bad-batch", f"Line {number}: a batch runs POST /v1/summaries only.")
        if item["custom_id"] in seen:
            raise Problem(422, "bad-batch", f"Line {number} repeats the custom_id '{item['custom_id'][:80]}'.")
        seen.add(item["custom_id"])
        try:
            out.append((item["custom_id"], SummaryRequest(**item["body"])))
        except ValidationError as exc:
            raise Problem(422, "bad-batch", f"Line {number}: {_validation_sentence(exc.errors())}") from None
    if not out:
        raise Problem(422, "bad-batch", "The batch file holds no request.")
    return out

"""HTTP API: ``create_app(settings)`` builds a FastAPI app around one Retriever.

Endpoints validate, call the core in a worker thread (encoding must not block the
event loop), and shape the response. Every error leaves through one handler in one
JSON shape: ``{"error": {"code", "message"}}``, in the asker's language when known.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from kinabot import admin
from kinabot.errors import BodyTooLarge, IndexNotReady, InvalidRequest, KinabotError, RateLimited
from kinabot.guard import Edge, RateLimiter, client_ip, error_body
from kinabot.language import detect_language
from kinabot.search import Retriever
from kinabot.service import Service
from kinabot.settings import Settings

logger = logging.getLogger(__name__)
access_log = logging.getLogger("kinabot.access")

# Control characters other than tab and line breaks have no place in a question or comment.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ROUTES = frozenset(
    {"/api/ask", "/api/suggestions", "/api/feedback", "/widget.js", "/", "/demo.js", "/healthz", "/readyz", "/metrics"}
)


def _no_control(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="The question, in Swedish, Chinese or English.", examples=["Vad är momsen i Sverige?"]
    )
    lang: Literal["sv", "zh", "en"] | None = Field(None, description="Force the question's language.")
    top_k: int | None = Field(None, ge=1, le=20, description="How many ranked passages to return (1-20).")

    _clean = field_validator("question")(_no_control)


class PassageModel(BaseModel):
    doc_id: str
    title: str
    lang: str
    text: str
    headings: list[str]
    score: float = Field(description="Fused rank score (higher is better).")
    relevance: float = Field(description="Cosine similarity of the question to the passage or its best sentence.")
    url: str
    match_start: int = Field(description="Start of the best-matching sentence in `text`.")
    match_end: int
    below_threshold: bool


class SourceModel(BaseModel):
    doc_id: str
    title: str
    lang: str
    url: str
    publisher: str


class AskResponse(BaseModel):
    question: str
    language: str = Field(description="Language of the question: detected, or as forced by `lang`.")
    language_forced: bool
    answer: str | None
    answer_language: str | None
    no_answer: bool
    message: str | None = Field(description="Why there is no answer, in the asker's language.")
    contact: str | None = Field(description="Where to ask instead, when there is no answer.")
    sources: list[SourceModel]
    passages: list[PassageModel]
    index_version: str
    took_ms: float


class SuggestionsResponse(BaseModel):
    lang: str
    questions: list[str]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000, description="The question the answer was for.")
    vote: Literal["up", "down"]
    doc_ids: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Documents the answer cited."
    )
    lang: Literal["sv", "zh", "en"] | None = None
    comment: str | None = Field(None, max_length=1000)

    _clean = field_validator("question", "comment")(_no_control)


class FeedbackResponse(BaseModel):
    status: str


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    detail: str | None = None
    index_version: str | None = None


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


async def _guess_language(request: Request) -> str:
    """The asker's language for an error message, from the question if one was sent."""
    try:
        body = await request.json()
        question = body.get("question") if isinstance(body, dict) else None
        if isinstance(body, dict) and body.get("lang") in ("sv", "zh", "en"):
            return str(body["lang"])
        if isinstance(question, str) and question.strip():
            return detect_language(question[:500])
    except Exception:
        pass
    return "en"


def _problem(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)[:300]


async def get_service(request: Request) -> Service:
    # Dependencies are coroutines so FastAPI does not send each request through a worker thread.
    return request.app.state.service


async def rate_limit(request: Request) -> None:
    """Refuse a client that asks faster than the limit allows (429 with Retry-After)."""
    limiter: RateLimiter = request.app.state.limiter
    if not limiter.enabled:
        return
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else None
    client = client_ip(peer, request.headers.get("x-forwarded-for"), frozenset(settings.trusted_proxies))
    wait = limiter.take(client)
    if wait > 0:
        request.app.state.service.metrics.rate_limited.inc()
        raise RateLimited(retry_after=max(1, round(wait + 0.5)))


def create_app(settings: Settings | None = None, retriever: Retriever | None = None, store: Any = None) -> FastAPI:
    """The application; pass a ready ``retriever`` to share one across apps (tests).

    ``store`` records questions and feedback; by default the database the settings name.
    """
    settings = settings or Settings()
    if store is None and settings.record_questions:
        from kinabot.records import Store

        store = Store(settings.database, retention_days=settings.retention_days)
    service = Service(settings, retriever, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.start()
        _on_hangup(service)
        # Server workers (kinabot.workers) leave new connections to peers while this one loads.
        yield {"ready": lambda: service.ready}
        await service.stop()

    app = FastAPI(
        title="kinabot",
        version="0.1.0",
        description="Cited answers about Kronoberg and Suzhou in Swedish, Chinese and English.",
        lifespan=lifespan,
        # kinabot has its own metrics (/metrics) and logs; FastAPI's OpenTelemetry hooks
        # would only cost a check per request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "auto_configure": False},
    )
    app.state.settings = settings
    app.state.service = service
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID"],
            max_age=600,
        )

    def too_large(rid: str) -> bytes:
        err = BodyTooLarge(limit=settings.max_body_bytes)
        return error_body(err.code, err.message("en"))

    def observe(scope: MutableMapping[str, Any], status: int, seconds: float) -> None:
        path = scope.get("path", "")
        route = path if path in ROUTES else ("/admin" if path.startswith("/admin") else "other")
        service.metrics.requests.labels(route=route, status=str(status)).inc()
        service.metrics.latency.labels(route=route).observe(seconds)
        if route != "/metrics":
            access_log.info(
                "%s %s %d",
                scope.get("method"),
                route,
                status,
                extra={"route": route, "status": status, "ms": round(seconds * 1000, 2)},
            )

    app.add_middleware(
        Edge,
        max_body_bytes=settings.max_body_bytes,
        on_too_large=too_large,
        observe=observe,
        max_upload_bytes=settings.max_file_bytes + 65_536,  # the file plus its multipart wrapping
    )

    @app.exception_handler(KinabotError)
    async def kinabot_error(request: Request, exc: KinabotError) -> JSONResponse:
        response = _error(exc.status, exc.code, exc.message(await _guess_language(request)))
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        err = InvalidRequest(problem=_problem(exc))
        return _error(err.status, err.code, err.message(await _guess_language(request)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body FastAPI could not even parse (bad UTF-8, say)
            err = InvalidRequest(problem="the body is not valid UTF-8 JSON")
            return _error(400, err.code, err.message("en"))
        code = {
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "body_too_large",
            415: "unsupported_media_type",
            422: "invalid_request",
            503: "unavailable",
        }.get(exc.status_code, "http_error")
        response = _error(exc.status_code, code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled %s on %s", type(exc).__name__, request.url.path)
        return _error(500, "internal_error", "Something went wrong on our side. Please try again.")

    responses: dict[int | str, dict[str, Any]] = {
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    }

    @app.post("/api/ask", response_model=AskResponse, responses=responses, dependencies=[Depends(rate_limit)])
    async def ask(body: AskRequest, service: Annotated[Service, Depends(get_service)]) -> Response:
        """Answer a question from the region's documents, with the passages and sources it came from."""
        started = time.perf_counter()
        result = await service.ask(body.question, body.lang, body.top_k)
        service.record_answer(result, time.perf_counter() - started)
        # Validated and written by pydantic-core in one step: the same JSON the response
        # model describes, at a fraction of the cost of dataclasses.asdict plus FastAPI's
        # second validation.
        content = AskResponse.model_validate(result, from_attributes=True).model_dump_json()
        return Response(content, media_type="application/json")

    @app.get("/api/suggestions", response_model=SuggestionsResponse, responses=responses)
    async def suggestions(
        service: Annotated[Service, Depends(get_service)], lang: Literal["sv", "zh", "en"] = "sv"
    ) -> SuggestionsResponse:
        """Questions to offer a visitor before the first one, in their language."""
        if service.retriever is None:
            raise IndexNotReady()
        return SuggestionsResponse(lang=lang, questions=service.retriever.index.suggestions.get(lang, []))

    @app.post(
        "/api/feedback",
        response_model=FeedbackResponse,
        status_code=202,
        responses=responses,
        dependencies=[Depends(rate_limit)],
    )
    async def feedback(body: FeedbackRequest, service: Annotated[Service, Depends(get_service)]) -> FeedbackResponse:
        """Thumbs up or down on an answer, with an optional comment."""
        service.record_feedback(
            question=body.question, vote=body.vote, doc_ids=body.doc_ids, lang=body.lang, comment=body.comment
        )
        return FeedbackResponse(status="received")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        response = _static(
            settings.web_dir / "widget.js", "application/javascript; charset=utf-8", "public, max-age=3600"
        )
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # embedded on the region's own site
        return response

    @app.get("/demo.js", include_in_schema=False)
    async def demo_script() -> FileResponse:
        return _static(settings.web_dir / "demo.js", "application/javascript; charset=utf-8", "no-cache")

    @app.get("/", include_in_schema=False)
    async def demo() -> FileResponse:
        return _static(settings.web_dir / "demo.html", "text/html; charset=utf-8", "no-cache")

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}})
    async def readyz(service: Annotated[Service, Depends(get_service)]) -> JSONResponse:
        """The model and index are loaded and answers can be served; `detail` says why not, or
        why a newer index version is not the one served."""
        found = service.retriever
        if found is None:
            detail = service.load_error or service.reload_error or "loading"
            return JSONResponse(status_code=503, content=Health(status="not_ready", detail=detail).model_dump())
        return JSONResponse(
            content=Health(status="ready", index_version=found.index.version, detail=service.reload_error).model_dump()
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics(service: Annotated[Service, Depends(get_service)]) -> Response:
        return Response(service.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    app.include_router(admin.router)
    app.include_router(admin.page)
    return app


def app_from_environment() -> FastAPI:
    """The app as ``kinabot serve`` runs it in each worker process: settings from the environment."""
    from kinabot.observability import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.workers > 1:
        # Each worker runs its own model; sharing the cores out keeps their thread teams from
        # fighting over the same ones.
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // settings.workers))
    return create_app(settings)


def _on_hangup(service: Service) -> None:
    """SIGHUP asks the service to look for a new index version at once."""
    loop = asyncio.get_running_loop()

    def hangup() -> None:
        task = loop.create_task(service.reload())
        service.background.add(task)
        task.add_done_callback(service.background.discard)

    # Not available off the main thread (the tests' servers) or where there are no signals.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, hangup)


def _static(path: Path, media_type: str, cache: str) -> FileResponse:
    if not path.is_file():
        raise StarletteHTTPException(404, "Not found")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})

"""HTTP API: ``create_app(settings)`` builds a FastAPI app around one Retriever.

Endpoints validate, call the core in a worker thread (encoding must not block the
event loop), and shape the response. Every error leaves through one handler in one
JSON shape: ``{"error": {"code", "message"}}``, in the asker's language when known.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kinabot.errors import IndexNotReady, InvalidRequest, KinabotError
from kinabot.index import IndexError_
from kinabot.language import detect_language
from kinabot.search import Retriever
from kinabot.settings import Settings

logger = logging.getLogger(__name__)
feedback_log = logging.getLogger("kinabot.feedback")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="The question, in Swedish, Chinese or English.", examples=["Vad är momsen i Sverige?"]
    )
    lang: Literal["sv", "zh", "en"] | None = Field(None, description="Force the question's language.")
    top_k: int | None = Field(None, ge=1, le=20, description="How many ranked passages to return (1-20).")


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
    doc_ids: list[str] = Field(default_factory=list, max_length=20, description="Documents the answer cited.")
    lang: Literal["sv", "zh", "en"] | None = None
    comment: str | None = Field(None, max_length=1000)


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


def get_retriever(request: Request) -> Retriever:
    """The app's loaded retriever, or a 503 while there is none."""
    found = request.app.state.retriever
    if found is None:
        raise IndexNotReady()
    return found


def create_app(settings: Settings | None = None, retriever: Retriever | None = None) -> FastAPI:
    """The application; pass a ready ``retriever`` to share one across apps (tests)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # All model work runs on one long-lived thread: torch's OpenMP team is per calling
        # thread, and several teams spinning on two cores make every encode slower.
        app.state.model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinabot-model")
        app.state.retriever = retriever
        app.state.load_error = None
        if retriever is None:
            loop = asyncio.get_running_loop()
            try:
                app.state.retriever = await loop.run_in_executor(app.state.model_thread, _load, settings)
            except (IndexError_, KinabotError, OSError) as exc:
                app.state.load_error = str(exc)
                logger.error("not ready: %s", exc)
        yield
        app.state.model_thread.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="kinabot",
        version="0.1.0",
        description="Cited answers about Kronoberg and Suzhou in Swedish, Chinese and English.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["*"]
        )

    @app.exception_handler(KinabotError)
    async def kinabot_error(request: Request, exc: KinabotError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message(await _guess_language(request)))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        err = InvalidRequest(problem=_problem(exc))
        return _error(err.status, err.code, err.message(await _guess_language(request)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s", request.url.path)
        return _error(500, "internal_error", "Something went wrong on our side. Please try again.")

    responses: dict[int | str, dict[str, Any]] = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}

    @app.post("/api/ask", response_model=AskResponse, responses=responses)
    async def ask(body: AskRequest, request: Request, found: Annotated[Retriever, Depends(get_retriever)]) -> dict:
        """Answer a question from the region's documents, with the passages and sources it came from."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            request.app.state.model_thread, found.ask, body.question, body.lang, body.top_k
        )
        return asdict(result)

    @app.get("/api/suggestions", response_model=SuggestionsResponse)
    async def suggestions(
        found: Annotated[Retriever, Depends(get_retriever)], lang: Literal["sv", "zh", "en"] = "sv"
    ) -> SuggestionsResponse:
        """Questions to offer a visitor before the first one, in their language."""
        return SuggestionsResponse(lang=lang, questions=found.index.suggestions.get(lang, []))

    @app.post("/api/feedback", response_model=FeedbackResponse, status_code=202, responses=responses)
    async def feedback(body: FeedbackRequest) -> FeedbackResponse:
        """Thumbs up or down on an answer, with an optional comment."""
        feedback_log.info(
            "feedback vote=%s lang=%s docs=%s comment=%s", body.vote, body.lang, body.doc_ids, bool(body.comment)
        )
        return FeedbackResponse(status="received")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        return _static(settings.web_dir / "widget.js", "application/javascript; charset=utf-8", "public, max-age=3600")

    @app.get("/", include_in_schema=False)
    async def demo() -> FileResponse:
        return _static(settings.web_dir / "demo.html", "text/html; charset=utf-8", "no-cache")

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """The process is up."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}})
    async def readyz(request: Request) -> JSONResponse:
        """The model and index are loaded and answers can be served."""
        found = request.app.state.retriever
        if found is None:
            detail = request.app.state.load_error or "loading"
            return JSONResponse(status_code=503, content=Health(status="not_ready", detail=detail).model_dump())
        return JSONResponse(content=Health(status="ready", index_version=found.index.version).model_dump())

    return app


def _static(path: Path, media_type: str, cache: str) -> FileResponse:
    if not path.is_file():
        raise StarletteHTTPException(404, "Not found")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})


def _load(settings: Settings) -> Retriever:
    found = Retriever.from_settings(settings)
    found.warm_up()
    return found

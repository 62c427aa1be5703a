"""The region's own endpoints: documents, rebuilds, index switches and the usage report.

All of it is off (404) unless ``KINABOT_ADMIN_TOKEN`` is set, and every call needs that
token as a bearer token, compared in constant time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import os
import re
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel

from kinabot.builder import BuildBusy, build, build_lock, read_status
from kinabot.index import IndexError_
from kinabot.readers import SUPPORTED_SUFFIXES
from kinabot.service import Service

logger = logging.getLogger(__name__)
UPLOADS = "uploads"


class DocumentInfo(BaseModel):
    id: str
    lang: str
    title: str
    path: str
    passages: int
    updated: str


class DocumentList(BaseModel):
    index_version: str | None
    documents: list[DocumentInfo]


class Uploaded(BaseModel):
    path: str
    bytes: int
    rebuild: dict[str, Any] | None


class Deleted(BaseModel):
    removed: list[str]
    rebuild: dict[str, Any] | None


class Reloaded(BaseModel):
    index_version: str | None
    switched: bool
    detail: str | None


def _service(request: Request) -> Service:
    return request.app.state.service


def require_admin(request: Request) -> Service:
    """404 when admin is off (it does not exist), 401 without the right token."""
    service = _service(request)
    token = service.settings.admin_token
    if token is None:
        raise HTTPException(404, "Not found")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), expected):
        raise HTTPException(401, "A valid admin token is required.", headers={"WWW-Authenticate": "Bearer"})
    return service


Admin = Annotated[Service, Depends(require_admin)]
router = APIRouter(prefix="/admin/api", tags=["admin"])


@router.get("/documents", response_model=DocumentList)
async def list_documents(service: Admin) -> DocumentList:
    """The documents in the index being served, with their language, passages and last update."""
    found = service.retriever
    if found is None:
        return DocumentList(index_version=None, documents=[])
    index = found.index
    docs = [
        DocumentInfo(
            id=meta.id,
            lang=meta.lang,
            title=meta.title,
            path=meta.path,
            passages=len(index.doc_rows.get((meta.id, meta.lang), [])),
            updated=meta.updated,
        )
        for meta in sorted(index.documents.values(), key=lambda m: (m.id, m.lang))
    ]
    return DocumentList(index_version=index.version, documents=docs)


@router.post("/documents", response_model=Uploaded, status_code=201)
async def upload_document(
    service: Admin,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown or plain text.")],
    rebuild: Annotated[bool, Form(description="Start a rebuild once the file is saved.")] = True,
) -> Uploaded:
    """Add or replace a document; it is answered from once the rebuild finishes."""
    settings = service.settings
    name = safe_filename(file.filename or "")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise HTTPException(415, f"Unsupported file type. Accepted: {allowed}.")
    data = await file.read(settings.max_file_bytes + 1)
    if len(data) > settings.max_file_bytes:
        raise HTTPException(413, f"The file is larger than {settings.max_file_bytes} bytes.")
    if not data:
        raise HTTPException(422, "The file is empty.")
    folder = settings.corpus_dir / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / f".{name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, target)  # a build never sees half a file
    logger.info("document uploaded", extra={"path": f"{UPLOADS}/{name}", "bytes": len(data)})
    job = start_rebuild(service) if rebuild else None
    return Uploaded(path=f"{UPLOADS}/{name}", bytes=len(data), rebuild=job)


@router.delete("/documents/{doc_id}", response_model=Deleted)
async def delete_document(
    service: Admin, doc_id: str, rebuild: Annotated[bool, Query(description="Start a rebuild afterwards.")] = True
) -> Deleted:
    """Remove every file of a document (all its languages, and their sidecars)."""
    found = service.retriever
    paths = sorted({m.path for m in found.index.documents.values() if m.id == doc_id and m.path}) if found else []
    if not paths:
        raise HTTPException(404, f"No document with id {doc_id!r} in the index being served.")
    root = service.settings.corpus_dir.resolve()
    removed = []
    for rel in paths:
        path = (root / rel).resolve()
        if root not in path.parents:
            continue
        for victim in (path, path.with_name(path.name + ".yml")):
            if victim.is_file():
                victim.unlink()
        removed.append(rel)
    logger.info("document deleted", extra={"doc_id": doc_id, "files": len(removed)})
    return Deleted(removed=removed, rebuild=start_rebuild(service) if rebuild else None)


@router.post("/rebuild", status_code=202)
async def rebuild_index(service: Admin, force: bool = False) -> dict[str, Any]:
    """Build a new index version in the background; the service switches to it when done."""
    return start_rebuild(service, force=force)


@router.get("/rebuild")
async def rebuild_progress(service: Admin) -> dict[str, Any]:
    """The current or last build: stage, texts done of total, ETA, and its summary when done."""
    return read_status(service.settings.index_dir)


@router.post("/reload", response_model=Reloaded)
async def reload_index(service: Admin) -> Reloaded:
    """Switch to the newest index version now instead of at the next check."""
    switched = await service.reload()
    found = service.retriever
    return Reloaded(
        index_version=found.index.version if found else None, switched=switched is not None, detail=service.reload_error
    )


@router.get("/report", response_model=None)
async def usage_report(
    service: Admin,
    since: dt.date | None = None,
    until: dt.date | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """What people asked in a period (default: the last 30 days), and where answers fell short."""
    from kinabot.report import period, report_csv

    if service.store is None:
        raise HTTPException(503, "Questions are not being recorded.")
    try:
        since, until = period(since, until, dt.datetime.now(dt.UTC).date())
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    loop = asyncio.get_running_loop()
    try:
        report = await loop.run_in_executor(None, service.store.report, since, until)
    except Exception as exc:
        logger.error("report failed: %s", type(exc).__name__)
        raise HTTPException(503, "The database is not available.") from None
    if format == "csv":
        filename = f"kinabot-report-{since}-{until}.csv"
        return PlainTextResponse(
            report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return asdict(report)


page = APIRouter()


@page.get("/admin", include_in_schema=False)
async def admin_page(request: Request) -> FileResponse:
    """The report page; it asks for the token and calls the API above with it."""
    return _admin_file(request, "admin.html", "text/html; charset=utf-8")


@page.get("/admin/admin.js", include_in_schema=False)
async def admin_script(request: Request) -> FileResponse:
    """The report page's script: a file of its own, since the page's CSP allows no inline script."""
    return _admin_file(request, "admin.js", "application/javascript; charset=utf-8")


def _admin_file(request: Request, name: str, media_type: str) -> FileResponse:
    settings = _service(request).settings
    path = settings.web_dir / name
    if settings.admin_token is None or not path.is_file():
        raise HTTPException(404, "Not found")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-store"})


def start_rebuild(service: Service, force: bool = False) -> dict[str, Any]:
    """Build a new version in the background with the model the service already holds,
    then switch to it. Another build running (from any process) is a 409."""
    settings = service.settings
    try:
        with build_lock(settings.index_dir):
            pass
    except BuildBusy:
        raise HTTPException(409, "A build is already running.") from None

    async def run() -> None:
        embedder = service.embedder_for_builds()
        try:
            summary = await asyncio.to_thread(build, settings, force, embedder)
        except Exception as exc:  # reported in the build status and the log; the old index stays
            logger.error("rebuild failed: %s", exc if isinstance(exc, (IndexError_, OSError)) else type(exc).__name__)
            return
        logger.info("rebuild finished", extra={"version": summary.version, "skipped": len(summary.skipped)})
        await service.reload()

    task = asyncio.create_task(run(), name="kinabot-rebuild")
    service.background.add(task)
    task.add_done_callback(service.background.discard)
    return {"state": "started", "force": force}


def safe_filename(name: str) -> str:
    """A file name that cannot leave the uploads folder or surprise a shell."""
    base = unicodedata.normalize("NFKC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    stem, dot, suffix = base.rpartition(".")
    stem = re.sub(r"[^\w.\-]+|\.{2,}", "-", stem if dot else base, flags=re.UNICODE).strip("-._")[:100]
    if not stem:
        raise HTTPException(422, "The file needs a name.")
    return f"{stem}.{suffix.lower()}" if dot else stem

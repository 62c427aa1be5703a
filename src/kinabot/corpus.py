"""The corpus: every document under a folder, in Markdown, text, HTML, PDF or Word.

Curated articles are Markdown with strict YAML front matter; other files get their
metadata from the file itself (see :mod:`kinabot.readers`). Translations of one article
share an ``id``; a bad file is reported and skipped so one typo never stops a build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import frontmatter
import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

logger = logging.getLogger(__name__)

Lang = Literal["sv", "zh", "en"]
LANGS: tuple[Lang, ...] = ("sv", "zh", "en")
ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    publisher: str = Field(min_length=1)
    consulted: dt.date


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    lang: Lang
    title: str = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    updated: dt.date
    valid_for: str | None = None


@dataclass(frozen=True)
class Document:
    id: str
    lang: Lang
    title: str
    sources: tuple[Source, ...]
    updated: dt.date
    body: str
    path: str
    valid_for: str | None = None

    @property
    def key(self) -> str:
        return f"{self.id}.{self.lang}"


@dataclass
class CorpusError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Corpus:
    documents: list[Document]
    errors: list[CorpusError] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    # Relative path -> SHA-256 of the file and its sidecar, for every file that was read.
    files: dict[str, str] = field(default_factory=dict)

    def translations(self, doc_id: str) -> dict[str, Document]:
        return {d.lang: d for d in self.documents if d.id == doc_id}


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "front matter"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_document(text: str, path: str) -> Document:
    """Parse one file's text; raises ``ValueError`` with a message that names what to fix."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ValueError(f"front matter is not valid YAML{line}: {problem}") from None
    if not post.metadata:
        raise ValueError(
            "no YAML front matter: start the file with '---', the keys id, lang, title, sources, updated, then '---'"
        )
    try:
        meta = FrontMatter.model_validate(post.metadata)
    except ValidationError as exc:
        raise ValueError(f"bad front matter: {describe_validation_error(exc)}") from None
    body = post.content.strip()
    if not body:
        raise ValueError("the document has front matter but no text")
    return Document(
        id=meta.id,
        lang=meta.lang,
        title=meta.title,
        sources=tuple(meta.sources),
        updated=meta.updated,
        body=body,
        path=path,
        valid_for=meta.valid_for,
    )


MAX_FILE_BYTES = 20_000_000


def load_corpus(
    root: Path, max_bytes: int = MAX_FILE_BYTES, on_file: Callable[[int, int], None] | None = None
) -> Corpus:
    """Every document file under ``root`` (README.md, hidden and lock files excepted), sorted for a stable build.

    ``on_file(1, total)`` is called after each file, for a progress display.
    """
    # readers builds on this module's Document, so it is imported here rather than at the top.
    from kinabot import readers

    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist: set KINABOT_CORPUS_DIR to a folder of documents")
    docs: list[Document] = []
    errors: list[CorpusError] = []
    files: dict[str, str] = {}
    seen: dict[str, str] = {}
    candidates = [
        file
        for file in sorted(root.rglob("*"))
        if file.is_file()
        and readers.is_document_file(file)
        and file.name.lower() != "readme.md"
        # Dot-files and Word's "~$name.docx" lock files are never documents.
        and not any(part.startswith((".", "~$")) for part in file.relative_to(root).parts)
    ]
    for file in candidates:
        if on_file is not None:
            on_file(1, len(candidates))
        rel = "/".join(file.relative_to(root).parts)
        try:
            found = readers.read_file(file, root, max_bytes)
        except readers.SkipFile as exc:
            errors.append(CorpusError(rel, exc.reason))
            continue
        except OSError as exc:
            errors.append(CorpusError(rel, f"could not be read ({exc.strerror or exc.__class__.__name__})"))
            continue
        kept = False
        for doc in found:
            if doc.key in seen:
                errors.append(CorpusError(rel, f"id {doc.id!r} in {doc.lang!r} is already used by {seen[doc.key]}"))
                continue
            seen[doc.key] = rel
            docs.append(doc)
            kept = True
        if kept:
            files[rel] = readers.file_digest(file)
    suggestions = _load_suggestions(root / SUGGESTIONS, errors)
    for err in errors:
        logger.warning("skipped %s", err)
    return Corpus(docs, errors, suggestions, files)


SUGGESTIONS = "suggestions.yml"


def _load_suggestions(path: Path, errors: list[CorpusError]) -> dict[str, list[str]]:
    """Optional ``suggestions.yml``: questions per language for the widget to offer."""
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        errors.append(CorpusError(path.name, f"not valid YAML ({exc.__class__.__name__})"))
        return {}
    if not isinstance(raw, dict) or not all(
        lang in LANGS and isinstance(qs, list) and all(isinstance(q, str) for q in qs) for lang, qs in raw.items()
    ):
        errors.append(CorpusError(path.name, "must map sv, zh and en to lists of questions"))
        return {}
    return {lang: [q.strip() for q in qs if q.strip()] for lang, qs in raw.items()}


def corpus_hash(corpus: Corpus) -> str:
    """Content hash of what an index is built from (paths, metadata and text)."""
    digest = hashlib.sha256()
    for doc in sorted(corpus.documents, key=lambda d: d.key):
        for part in (doc.key, doc.title, doc.body, *(str(s.url) for s in doc.sources)):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
    digest.update(repr(sorted(corpus.suggestions.items())).encode("utf-8"))
    return digest.hexdigest()

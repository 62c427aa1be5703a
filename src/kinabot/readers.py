"""Reading the region's documents in the formats staff have: Markdown, text, HTML, PDF and Word.

Metadata comes from YAML front matter when a Markdown file has it, otherwise from the file
itself, and an optional sidecar ``<file name>.yml`` overrides either. A document written in
two languages becomes one :class:`Document` per language, sharing an id. A file that cannot
be read raises :class:`SkipFile` with a reason a person can act on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import docx
import frontmatter
import trafilatura
import yaml
from charset_normalizer import from_bytes
from docx.table import Table
from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pypdf import PdfReader
from pypdf.errors import DependencyError

from kinabot.corpus import ID_PATTERN, Document, Lang, Source, describe_validation_error, parse_document
from kinabot.language import EN_WORDS, SV_WORDS, detect_language, han_count

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | {".txt", ".html", ".htm", ".pdf", ".docx"}
# Word-processor formats we cannot read but whose owners should hear why they were left out.
CONVERT_FIRST_SUFFIXES = frozenset({".doc", ".rtf", ".odt", ".pages", ".wpd", ".wps"})
SIDECAR_SUFFIX = ".yml"
# The encodings region staff and partners actually produce; a short list keeps
# charset-normalizer from reading a short Swedish cp1252 note as some other code page.
_TEXT_ENCODINGS = ["utf_8", "utf_16", "utf_32", "gb18030", "cp1252", "latin_1"]
_TRANSLIT = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th"})
_LANG_TAG = re.compile(r"\.(sv|zh|en)$")
_LATIN_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?:;。！？：；]\W*$")
# Titles that tools write in place of a real one.
_NON_TITLE = re.compile(r"(?i)^(microsoft \w+ - |untitled$)|\.(docx?|pdf|indd|pptx?)$")


class SkipFile(Exception):
    """A file left out of the corpus; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sidecar(BaseModel):
    """Metadata in ``<file name>.yml`` next to a document; every key is optional."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=ID_PATTERN)
    lang: Lang | None = None
    title: str | None = Field(default=None, min_length=1)
    sources: list[Source] | None = None
    updated: dt.date | None = None
    valid_for: str | None = None


def is_document_file(path: Path) -> bool:
    """Whether ``path`` should go to :func:`read_file` (readable, or a format to report)."""
    suffix = path.suffix.lower()
    return suffix in SUPPORTED_SUFFIXES or suffix in CONVERT_FIRST_SUFFIXES


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes followed by its sidecar's, so editing either counts as a change."""
    digest = hashlib.sha256(path.read_bytes())
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


def slug_id(rel_path: str) -> str:
    """Document id from a relative path: ``Broschyrer/Växjö_2024.sv.pdf`` -> ``broschyrer-vaxjo-2024``.

    A trailing ``.sv``/``.zh``/``.en`` is dropped so translations pair up; names in a
    non-Latin script get a short hash of the path so they stay unique.
    """
    stem = _LANG_TAG.sub("", PurePosixPath(rel_path).with_suffix("").as_posix())
    decomposed = unicodedata.normalize("NFKD", stem.lower().translate(_TRANSLIT))
    latin = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    if any(ord(ch) > 127 and ch.isalnum() for ch in latin):
        slug = f"{slug or 'doc'}-{hashlib.sha256(stem.encode('utf-8')).hexdigest()[:8]}"
    return slug


def read_file(path: Path, root: Path, max_bytes: int) -> list[Document]:
    """The documents in one file, one per language; raises :class:`SkipFile` when it cannot be used."""
    rel = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    if suffix in CONVERT_FIRST_SUFFIXES:
        raise SkipFile(f"unsupported format {suffix}: save it as .docx or PDF")
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported format {suffix or '(no extension)'}")
    size = path.stat().st_size
    if size > max_bytes:
        raise SkipFile(f"file too large: {size:,} bytes, the limit is {max_bytes:,}")
    data = path.read_bytes()
    if not data.strip():
        raise SkipFile("empty file")
    sidecar = _read_sidecar(path)
    if suffix in MARKDOWN_SUFFIXES or suffix == ".txt":
        text = decode_text(data)
        if suffix in MARKDOWN_SUFFIXES and frontmatter.checks(text):
            try:
                doc = parse_document(text, rel)
            except ValueError as exc:
                raise SkipFile(str(exc)) from None
            return [_override(doc, sidecar)]
        body, title = text, None
    elif suffix in (".html", ".htm"):
        body, title = _guard("HTML page", _html, data)
    elif suffix == ".pdf":
        body, title = _guard("PDF", _pdf, data)
    else:
        body, title = _guard("Word file", _docx, data)
    mtime = dt.date.fromtimestamp(path.stat().st_mtime)
    return _documents(body, title, rel, mtime, sidecar)


def decode_text(data: bytes) -> str:
    """Text from bytes in UTF-8 or, failing that, the encoding charset-normalizer is confident of."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        match = from_bytes(data, cp_isolation=_TEXT_ENCODINGS).best()
        if match is None:
            raise SkipFile("binary data, not text" if b"\0" in data else "unknown text encoding") from None
        text = str(match)
    controls = sum(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text)
    if "\0" in text or controls > len(text) / 100:
        raise SkipFile("binary data, not text")
    return text


def _read_sidecar(path: Path) -> Sidecar:
    side = sidecar_path(path)
    if not side.is_file():
        return Sidecar()
    try:
        raw = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SkipFile(f"sidecar {side.name} is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(raw, dict):
        raise SkipFile(f"sidecar {side.name} must be a mapping of id, lang, title, sources, updated, valid_for")
    try:
        return Sidecar.model_validate(raw)
    except ValidationError as exc:
        raise SkipFile(f"bad sidecar {side.name}: {describe_validation_error(exc)}") from None


def _override(doc: Document, sidecar: Sidecar) -> Document:
    changes = {name: value for name, value in sidecar if value is not None}
    if sidecar.sources is not None:
        changes["sources"] = tuple(sidecar.sources)
    return dataclasses.replace(doc, **changes)


def _guard(kind: str, extract: Callable[[bytes], tuple[str, str | None]], data: bytes) -> tuple[str, str | None]:
    """Run a library reader; whatever it raises on a damaged file becomes a reason to skip."""
    try:
        return extract(data)
    except SkipFile:
        raise
    except Exception as exc:
        raise SkipFile(f"corrupt or unreadable {kind} ({exc.__class__.__name__}: {exc})") from None


def _clean_title(title: object) -> str | None:
    text = " ".join(str(title).split()) if title else ""
    return text if text and not _NON_TITLE.search(text) else None


def _html(data: bytes) -> tuple[str, str | None]:
    """The page's main content as Markdown (menus, headers and footers dropped) and its title."""
    result = trafilatura.bare_extraction(
        decode_text(data), include_comments=False, include_tables=True, include_formatting=True, with_metadata=True
    )
    if result is None or isinstance(result, dict) or not result.text or not result.text.strip():
        raise SkipFile("no main text found in the page")
    return result.text, _clean_title(result.title)


def _pdf(data: bytes) -> tuple[str, str | None]:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise SkipFile("encrypted PDF (AES): reading it needs the 'cryptography' package") from None
        if not opened:
            raise SkipFile("encrypted PDF: it needs a password; save a copy without one")
    pages = [_reflow(page.extract_text() or "") for page in reader.pages]
    body = "\n\n".join(p for p in pages if p)
    if not any(ch.isalnum() for ch in body):
        raise SkipFile("no text layer (scanned image?): run OCR on it or use the original document")
    return body, _clean_title(reader.metadata.title if reader.metadata else None)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _reflow(page: str) -> str:
    """Join the lines a PDF wrapped back into paragraphs.

    pypdf gives one line per printed line. A line that ends a sentence, or is clearly
    shorter than the page's full lines (a heading, a paragraph's last line), ends its
    paragraph; the others were wrapped and continue on the next line.
    """
    lines = [line.strip() for line in page.splitlines()]
    full = max((_width(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif han_count(current[-1]) and han_count(line[0]):
            current += line
        elif re.search(r"[^\W\d_]-$", current) and line[0].islower():
            current = current[:-1] + line
        else:
            current += " " + line
        if _SENTENCE_END.search(line) or _width(line) < 0.7 * full:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _docx_prefix(style_name: str, has_title: bool) -> str:
    if style_name == "Title":
        return "# "
    heading = re.fullmatch(r"Heading (\d)", style_name)
    if heading:
        # Under a Title, Heading 1 is a section of it.
        return "#" * min(int(heading[1]) + has_title, 6) + " "
    if style_name.startswith("List Bullet"):
        return "- "
    if style_name.startswith("List Number"):
        return "1. "
    return ""


def _docx(data: bytes) -> tuple[str, str | None]:
    """Paragraphs and tables in reading order, Word's heading styles as Markdown headings."""
    document = docx.Document(io.BytesIO(data))
    has_title = any(p.style is not None and p.style.name == "Title" for p in document.paragraphs)
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            # Each row is a block of its own so a table's languages can be told apart.
            for row in item.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                if cells:
                    blocks.append(" | ".join(cells))
        elif item.text.strip():
            style = item.style.name if item.style is not None and item.style.name else ""
            blocks.append(_docx_prefix(style, has_title) + item.text.strip())
    return "\n\n".join(blocks), _clean_title(document.core_properties.title)


@dataclass
class _Block:
    text: str
    level: int = 0  # heading level; 0 for text
    heading: str = ""
    langs: set[Lang] = field(default_factory=set)


def _blocks(body: str) -> list[_Block]:
    """Top-level Markdown blocks (headings, paragraphs, lists, tables) with their source text."""
    lines = body.split("\n")
    tokens = MarkdownIt("commonmark").parse(body)
    blocks = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.map is None:
            continue
        text = "\n".join(lines[tok.map[0] : tok.map[1]]).strip()
        if tok.type == "heading_open":
            blocks.append(_Block(text, int(tok.tag[1]), tokens[i + 1].content.strip()))
        elif text:
            blocks.append(_Block(text))
    return blocks


def _first_heading(blocks: list[_Block]) -> str | None:
    return next((b.heading for b in blocks if b.level and b.heading), None)


def _block_language(text: str) -> Lang | None:
    """The block's language, or None when it is too short or bare to tell (names, numbers, addresses)."""
    words = [w.lower() for w in _LATIN_WORD.findall(text) if not han_count(w)]
    function_words = sum(w in SV_WORDS or w in EN_WORDS for w in words)
    if han_count(text) < 4 and (len(words) < 5 or function_words < 2):
        return None
    return detect_language(text)


def split_by_language(body: str) -> list[tuple[Lang, str, str | None]]:
    """``(lang, body, heading)`` per language in ``body``, in order of appearance.

    Blocks without a clear language join the language before them (or after, at the
    start). A heading goes with every language that has text in its section; the heading
    returned is the first one that belongs to that language alone, else the first one.
    """
    blocks = _blocks(body)
    text_blocks = [b for b in blocks if not b.level]
    found = [_block_language(b.text) for b in text_blocks]
    known = [lang for lang in found if lang]
    if len(set(known)) <= 1:
        lang = known[0] if known else detect_language(body)
        return [(lang, body, _first_heading(blocks))]
    previous = known[0]
    for block, block_lang in zip(text_blocks, found, strict=True):
        previous = block_lang or previous
        block.langs = {previous}
    for i, block in enumerate(blocks):
        if block.level:
            for later in blocks[i + 1 :]:
                if later.level and later.level <= block.level:
                    break
                if not later.level:
                    block.langs |= later.langs
    parts = []
    for lang in dict.fromkeys(known):
        mine = [b for b in blocks if lang in b.langs]
        heading = _first_heading([b for b in mine if b.langs == {lang}]) or _first_heading(mine)
        parts.append((lang, "\n\n".join(b.text for b in mine), heading))
    return parts


def _documents(body: str, title: str | None, rel: str, updated: dt.date, sidecar: Sidecar) -> list[Document]:
    # One line-break convention, the one the Markdown parser counts lines by.
    body = "\n".join(body.strip().splitlines())
    if not any(ch.isalnum() for ch in body):
        raise SkipFile("no text found")
    parts = [(sidecar.lang, body, _first_heading(_blocks(body)))] if sidecar.lang else split_by_language(body)
    fallback = PurePosixPath(rel).stem.replace("_", " ")
    docs = []
    for lang, part, heading in parts:
        # A split part is titled by its own heading; a whole document by its own title.
        own = (heading, title) if len(parts) > 1 else (title, heading)
        docs.append(
            Document(
                id=sidecar.id or slug_id(rel),
                lang=lang,
                title=sidecar.title or next((t for t in own if t), fallback),
                sources=tuple(sidecar.sources or ()),
                updated=sidecar.updated or updated,
                body=part,
                path=rel,
                valid_for=sidecar.valid_for,
            )
        )
    return docs

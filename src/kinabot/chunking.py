"""Cutting documents into passages sized for the embedding model.

Passages never cross a heading, end on sentence boundaries in both scripts, and keep
the spans of their sentences so an answer can point at the sentence that matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from kinabot.corpus import Document

MIN_UNITS = 60
MAX_UNITS = 160
# Chinese carries about 1.75 characters per English word of meaning.
HAN_PER_UNIT = 1.75

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A sentence ends at 。！？ (optionally closed by a quote or bracket), or at . ! ?
# followed by whitespace, or at a line break.
_SENTENCE_END = re.compile(
    r"[。！？；]+[”」』）)]*"
    r"|[!?]+[\"')\]]*(?=\s)"
    r"|\.+[\"')\]]*(?=\s+[\"“(\[]?[A-ZÅÄÖ0-9]|\s*$)"
)
_LINE = re.compile(r"[^\n]+")
_MARKUP = re.compile(r"\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class Passage:
    doc_id: str
    lang: str
    title: str
    headings: tuple[str, ...]
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]

    def embedding_text(self) -> str:
        """What the model sees: the title and heading path give a short passage its context."""
        heads = self.headings[1:] if self.headings[:1] == (self.title,) else self.headings
        path = " › ".join(part for part in (self.title, *heads) if part)
        return f"{path}\n{self.text}" if path else self.text

    def context_heading(self) -> str:
        """The innermost heading over the passage, or its document's title ("" if neither)."""
        return next((h for h in reversed(self.headings) if h), self.title)

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]


def text_units(text: str) -> float:
    """Size in English-word equivalents, comparable across scripts."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN_WORD.findall(_HAN.sub(" ", text)))
    return latin + han / HAN_PER_UNIT


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans of the sentences in ``text`` (shifted by ``offset``), trimmed of whitespace and list markers.

    Line breaks always end a sentence (list items, headings); within a line, sentence
    punctuation does.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        a, b = line.start(), line.end()
        marker = _MARKUP.match(text, a, b)
        if marker:
            a = marker.end()
        start = a
        for match in _SENTENCE_END.finditer(text, a, b):
            _add_span(text, start, match.end(), offset, spans)
            start = match.end()
        _add_span(text, start, b, offset, spans)
    return spans


def _add_span(text: str, a: int, b: int, offset: int, spans: list[tuple[int, int]]) -> None:
    piece = text[a:b]
    stripped = piece.strip()
    if not stripped or not any(ch.isalnum() for ch in stripped):
        return
    a += len(piece) - len(piece.lstrip())
    spans.append((a + offset, a + len(stripped) + offset))


@dataclass
class _Section:
    headings: tuple[str, ...]
    start: int
    end: int


def _sections(body: str) -> list[_Section]:
    """Heading-delimited sections with their heading path, found by a real Markdown parser."""
    lines = body.splitlines(keepends=True)
    line_start = [0]
    for line in lines:
        line_start.append(line_start[-1] + len(line))
    tokens = MarkdownIt("commonmark").parse(body)
    sections: list[_Section] = []
    path: list[tuple[int, str]] = []
    cursor = 0
    current: tuple[str, ...] = ()
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or tok.map is None:
            continue
        first, last = tok.map
        sections.append(_Section(current, cursor, line_start[first]))
        level = int(tok.tag[1])
        title = tokens[i + 1].content.strip()
        path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
        current = tuple(t for _, t in path)
        cursor = line_start[last]
    sections.append(_Section(current, cursor, len(body)))
    return [s for s in sections if body[s.start : s.end].strip()]


def chunk_document(doc: Document, min_units: float = MIN_UNITS, max_units: float = MAX_UNITS) -> list[Passage]:
    """Passages of ``doc`` in reading order."""
    body = doc.body
    passages: list[Passage] = []
    for section in _sections(body):
        spans = split_sentences(body[section.start : section.end], section.start)
        groups: list[list[tuple[int, int]]] = []
        size = 0.0
        for span in spans:
            units = text_units(body[span[0] : span[1]])
            if groups and size + units <= max_units:
                groups[-1].append(span)
                size += units
            else:
                groups.append([span])
                size = units
        # A short tail reads better joined to the passage before it.
        if len(groups) > 1:
            tail = text_units(body[groups[-1][0][0] : groups[-1][-1][1]])
            head = text_units(body[groups[-2][0][0] : groups[-2][-1][1]])
            if tail < min_units and head + tail <= max_units * 1.3:
                groups[-2].extend(groups.pop())
        for group in groups:
            start, end = group[0][0], group[-1][1]
            passages.append(
                Passage(
                    doc_id=doc.id,
                    lang=doc.lang,
                    title=doc.title,
                    headings=section.headings,
                    text=body[start:end],
                    start=start,
                    end=end,
                    sentences=tuple((a - start, b - start) for a, b in group),
                )
            )
    return passages

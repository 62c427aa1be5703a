"""Turning ranked passages into an answer in the asker's language, or an honest no-answer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kinabot.scope import countries_named, live_topics, other_countries

if TYPE_CHECKING:
    from kinabot.chunking import Passage
    from kinabot.search import Hit, Retriever

NO_ANSWER = {
    "sv": "Jag hittar inget säkert svar på det i regionens dokument.",
    "zh": "在本地区的资料中没有找到可靠的答案。",
    "en": "I could not find a reliable answer to that in the region's documents.",
}
# Sentences within this cosine of the best one are worth quoting too.
SENTENCE_MARGIN = 0.03


@dataclass
class PassageOut:
    doc_id: str
    title: str
    lang: str
    text: str
    headings: list[str]
    score: float
    relevance: float
    url: str
    match_start: int
    match_end: int
    below_threshold: bool


@dataclass
class SourceOut:
    doc_id: str
    title: str
    lang: str
    url: str
    publisher: str


@dataclass
class Answer:
    question: str
    language: str
    language_forced: bool
    answer: str | None
    answer_language: str | None
    no_answer: bool
    message: str | None
    contact: str | None
    sources: list[SourceOut] = field(default_factory=list)
    passages: list[PassageOut] = field(default_factory=list)
    index_version: str = ""
    took_ms: float = 0.0


def compose(
    retriever: Retriever,
    question: str,
    asker: str,
    forced: bool,
    query: np.ndarray,
    hits: list[Hit],
    top_k: int,
    started: float,
) -> Answer:
    settings = retriever.settings
    threshold = settings.no_answer_threshold
    # Whether the documents answer at all is judged on the passage shown with the strongest
    # dense evidence: calibrating languages and lexical matches reorder passages, they do not
    # make one answer the question better.
    lead = max(hits[:top_k], key=_relevance) if hits else None
    relevant = lead is not None and _relevance(lead) >= threshold
    if lead is not None and relevant and retriever.index.out_of_scope:
        excess = out_of_scope_excess(retriever, question, asker, query, retriever.passage(lead.row), _relevance(lead))
        relevant = excess <= settings.out_of_scope_margin
    if relevant and (elsewhere := other_countries(question)):
        # The documents cover Sweden and China; a question about another country is
        # answered only if the passages found speak of that country too.
        relevant = any(elsewhere & countries_named(retriever.passage(h.row).text) for h in hits[:top_k])
    if relevant and (asked := live_topics(question)):
        # Nor do they hold live figures or tips on where to eat, unless a passage found
        # speaks of the same thing.
        relevant = any(asked & live_topics(retriever.passage(h.row).text) for h in hits[:top_k])
    # With no answer, every passage is below the bar, whatever its own relevance.
    passages = [_passage_out(retriever, h, threshold if relevant else float("inf")) for h in hits[:top_k]]
    answer = Answer(
        question=question,
        language=asker,
        language_forced=forced,
        answer=None,
        answer_language=None,
        no_answer=not relevant,
        message=None,
        contact=None,
        passages=passages,
        index_version=retriever.index.version,
    )
    if relevant:
        best = retriever.passage(hits[0].row)
        lang = asker if retriever.document(best.doc_id, asker) else best.lang
        answer.answer = _quote(retriever, best.doc_id, lang, hits, query, settings.answer_sentences)
        answer.answer_language = lang
        meta = retriever.document(best.doc_id, lang)
        if meta is not None:
            publisher = meta.sources[0]["publisher"] if meta.sources else ""
            answer.sources.append(SourceOut(meta.id, meta.title, meta.lang, meta.url, publisher))
    else:
        answer.message = NO_ANSWER.get(asker, NO_ANSWER["en"])
        answer.contact = settings.contact(asker)
    answer.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return answer


def out_of_scope_excess(
    retriever: Retriever, question: str, asker: str, query: np.ndarray, best: Passage, relevance: float
) -> float:
    """How much more the question resembles known out-of-scope questions than its best passage.

    A content word the documents never use ("Norway", "weather", "share price") counts as
    further evidence. When the best document exists only in another language, the question
    is compared with the examples in that language instead, across the same language gap
    as its relevance, and its own words are expected to be missing from the documents.
    """
    only_elsewhere = retriever.document(best.doc_id, asker) is None
    examples = retriever.index.out_of_scope.get(best.lang if only_elsewhere else asker)
    if examples is None or not len(examples):
        return float("-inf")
    resemblance = float(np.max(examples @ query))
    unknown = not only_elsewhere and bool(retriever.index.vocabulary.unknown(question)[0])
    return resemblance - relevance + (retriever.settings.unknown_word_penalty if unknown else 0.0)


def _relevance(hit: Hit) -> float:
    """How well the passage answers: its own cosine or its best sentence's, whichever is higher."""
    return max(hit.dense, hit.sentence_score)


def _passage_out(retriever: Retriever, hit: Hit, threshold: float) -> PassageOut:
    p = retriever.passage(hit.row)
    meta = retriever.document(p.doc_id, p.lang)
    first = int(retriever.index.sentence_ranges[hit.row][0])
    span = p.sentences[hit.sentence - first] if p.sentences else (0, len(p.text))
    return PassageOut(
        doc_id=p.doc_id,
        title=p.title,
        lang=p.lang,
        text=p.text,
        headings=list(p.headings),
        score=round(hit.score, 6),
        relevance=round(_relevance(hit), 4),
        url=meta.url if meta else "",
        match_start=span[0],
        match_end=span[1],
        below_threshold=_relevance(hit) < threshold,
    )


def _quote(retriever: Retriever, doc_id: str, lang: str, hits: list[Hit], query: np.ndarray, limit: int) -> str:
    """The best one to ``limit`` sentences of the document's version in ``lang``, in reading order."""
    rows = retriever.rows_of(doc_id, lang)
    candidates: list[tuple[float, int, int]] = []  # (score, row, sentence index)
    for row in rows:
        for i, score in enumerate(retriever.sentence_scores(row, query)):
            candidates.append((float(score), row, i))
    if not candidates:
        return retriever.passage(hits[0].row).text
    candidates.sort(key=lambda c: -c[0])
    best = candidates[0][0]
    chosen = [c for c in candidates[:limit] if c[0] >= best - SENTENCE_MARGIN]
    chosen.sort(key=lambda c: (c[1], c[2]))
    sentences = []
    for _, row, i in chosen:
        p = retriever.passage(row)
        a, b = p.sentences[i]
        sentences.append(p.text[a:b].strip())
    joiner = "" if lang == "zh" else " "
    return joiner.join(sentences)

"""Retrieval: dense and lexical candidates per language, fused into one ranking.

multilingual-e5 scores passages in the question's own language higher even when a
passage in another language answers better, and BM25 only works within a language.
So candidates are drawn from each language's pool separately, dense scores from
other languages get a small calibrated lift before the pools are merged, and each
lexical list counts with a weight that depends on whether it can match at all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from kinabot import vectorindex
from kinabot.chunking import Passage
from kinabot.errors import KinabotError, QuestionEmpty, QuestionTooLong
from kinabot.index import DocMeta, IndexInvalid, LoadedIndex, load_index
from kinabot.language import detect_language
from kinabot.model import Embedder, load_embedder
from kinabot.settings import Settings

if TYPE_CHECKING:
    from kinabot.answer import Answer

logger = logging.getLogger(__name__)

# Sentences asked of an approximate sentence index per passage wanted.
SENTENCES_PER_CANDIDATE = 3


@dataclass(frozen=True)
class Hit:
    """One ranked passage with the evidence behind its rank."""

    row: int
    score: float
    dense: float
    sentence: int  # global row of the passage's best-matching sentence
    sentence_score: float
    dense_rank: int | None
    lexical_rank: int | None


@dataclass(frozen=True)
class FusionWeights:
    rrf_k: int = 60
    lexical: float = 1.0
    cross_lexical: float = 0.25
    cross_language_lift: float = 0.0
    min_coverage: float = 0.25
    cross_min_coverage: float = 0.5
    fusion: str = "score"
    score_lexical: float = 0.25
    outline: float = 0.3
    outline_candidates: int = 5
    language_calibration: float = 1.0
    weaker_evidence: float = 0.25
    heading: float = 0.2


def rrf(rankings: list[tuple[list[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal rank fusion: each list adds ``weight / (k + rank)``, rank from 1."""
    scores: dict[int, float] = {}
    for items, weight in rankings:
        if weight <= 0:
            continue
        for rank, item in enumerate(items, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def min_max(scores: np.ndarray) -> np.ndarray:
    """BM25 scores of a best-first list put on 0..1, the last of the list at 0.

    Passages of one topic share most of a question's words, so their BM25 scores sit close
    together below the best; dividing by the best alone would give them all nearly full
    weight, and a coin toss among them could outvote a clear dense ranking. A list of one
    gets 1; a list of equal scores tells nothing apart and gets 0.
    """
    if len(scores) < 2:
        return np.ones_like(scores)
    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / max(high - low, 1e-9)


def calibrate_languages(scores: np.ndarray, langs: np.ndarray, asker: str, share: float = 1.0) -> np.ndarray:
    """Each language's candidate scores moved (by ``share``) onto the asker's language's spread.

    A question scores passages in its own language higher across the board; what tells
    the answer in another language apart is how far it stands out among that language's
    candidates. So each language's scores are standardised and given the mean and spread
    of the asker's language's candidates (or of all candidates, if there are none). In one
    index of Swedish and Chinese FLORES sentences this takes the translation at rank 1
    from 0.86 to 0.98 of Swedish queries, and from 0.77 to 0.96 of Chinese ones.
    """
    if not share:
        return scores
    own = langs == asker
    ref = scores[own] if own.sum() >= 2 else scores
    ref_mean, ref_std = float(ref.mean()), float(ref.std())
    out = scores.copy()
    for lang in np.unique(langs):
        mask = langs == lang
        part = scores[mask]
        if lang == asker or len(part) < 2:
            continue
        calibrated = (part - part.mean()) / max(float(part.std()), 1e-6) * ref_std + ref_mean
        # A small pool's spread says little (two documents in a language make one of them
        # stand out whatever the question), so it moves only part of the way.
        out[mask] = part + share * min(1.0, len(part) / FULL_POOL) * (calibrated - part)
    return out


FULL_POOL = 20  # candidates of a language from which its spread is trusted in full


class Retriever:
    """The core: load once, then ``ask`` from any thread."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        model = index.manifest["model"]
        if model["fingerprint"] != embedder.fingerprint or int(model["dimension"]) != embedder.dimension:
            raise IndexInvalid(
                f"index version {index.version} was built with model {model['name']!r} "
                f"(fingerprint {model['fingerprint']}), but the service loaded {embedder.name!r} "
                f"(fingerprint {embedder.fingerprint}): rebuild with `kinabot build`"
            )
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.first_sentence = np.ascontiguousarray(index.sentence_ranges[:, 0])  # of each passage row
        # Searching is a handful of matrix-vector products; multi-threaded BLAS gains
        # nothing on them, and its spinning threads slow the model's own threads down
        # (measured: /api/ask 56 ms with two BLAS threads, 19 ms with one).
        threadpool_limits(limits=1, user_api="blas")
        self.weights = FusionWeights(
            rrf_k=settings.rrf_k,
            lexical=settings.lexical_weight,
            cross_lexical=settings.cross_lexical_weight,
            cross_language_lift=settings.cross_language_lift,
            min_coverage=settings.lexical_min_coverage,
            cross_min_coverage=settings.cross_lexical_min_coverage,
            fusion=settings.fusion,
            score_lexical=settings.score_lexical_weight,
            outline=settings.outline_weight,
            language_calibration=settings.language_calibration,
            weaker_evidence=settings.weaker_evidence_weight,
            heading=settings.heading_weight,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        return cls(load_index(settings.index_dir), load_embedder(settings), settings)

    @classmethod
    def from_index(cls, path: Path | str, settings: Settings | None = None) -> Retriever:
        settings = (settings or Settings()).model_copy(update={"index_dir": Path(path)})
        return cls.from_settings(settings)

    # -- public API -------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load jieba's dictionary and run the model alone and in a batch (each may be traced on
        first use), so the first visitors do not wait."""
        questions = ("Hur startar jag ett företag?", "如何在苏州设立公司？", "How do I start a company?", "WFOE")
        for question in questions:
            self.ask(question)
        self.ask_many([(question, None, None) for question in questions * 2])

    def check_question(self, question: str) -> str:
        text = question.strip()
        if not text:
            raise QuestionEmpty()
        if len(text) > self.settings.max_question_chars:
            raise QuestionTooLong(length=len(text), limit=self.settings.max_question_chars)
        return text

    def ask(self, question: str, lang: str | None = None, top_k: int | None = None) -> Answer:
        """Answer ``question`` from the index; see :mod:`kinabot.answer` for the result."""
        result = self.ask_many([(question, lang, top_k)])[0]
        if isinstance(result, KinabotError):
            raise result
        return result

    def ask_many(self, requests: list[tuple[str, str | None, int | None]]) -> list[Answer | KinabotError]:
        """Several questions with one pass through the model; an invalid one fails alone.

        Encoding a batch costs little more than encoding one question, so a busy server
        answers the questions that queued up while it worked on the last batch together.
        """
        from kinabot.answer import compose

        started = time.perf_counter()
        results: list[Answer | KinabotError | None] = [None] * len(requests)
        valid: list[tuple[int, str, str, str, bool, int]] = []
        for i, (question, lang, top_k) in enumerate(requests):
            try:
                original = self.check_question(question)
            except KinabotError as exc:
                results[i] = exc
                continue
            text, asker = self.understand(original, lang)
            valid.append((i, original, text, asker, lang is not None, top_k or self.settings.top_k))
        if valid:
            vectors = self.embedder.encode_queries([text for _, _, text, _, _, _ in valid])
            for (i, original, text, asker, forced, top_k), vector in zip(valid, vectors, strict=True):
                query = self.index.center_query(vector, asker)
                hits = self.search(text, query, asker, limit=top_k)
                answer = compose(self, text, asker, forced, query, hits, top_k, started)
                answer.question = original
                results[i] = answer
        return [r for r in results if r is not None]

    def understand(self, question: str, lang: str | None = None) -> tuple[str, str]:
        """The text to search with and the asker's language.

        Swedish typed without å/ä/ö gets them back where the documents always use them,
        when the result still reads as Swedish (an English "pa" stays "pa").
        """
        restored = self.index.vocabulary.restore(question)
        if restored != question and (lang or detect_language(restored)) == "sv":
            return restored, "sv"
        return question, lang or detect_language(question)

    def search(
        self, text: str, query: np.ndarray, asker: str, limit: int = 20, weights: FusionWeights | None = None
    ) -> list[Hit]:
        """The best ``limit`` candidates, best first, with the evidence for each."""
        idx = self.index
        w = weights or self.weights
        k = self.settings.candidates
        nprobe = self.settings.ann_nprobe
        # A passage competes through its best sentence too, which a long passage's vector
        # dilutes. Exactly: every sentence's cosine, then each passage's best.
        best_sentence = self.exact_best_sentences(query)
        candidates: set[int] = set()
        lexical_lists: list[tuple[list[int], float]] = []
        lexical_strength = np.zeros(len(idx.passages), dtype=np.float32)
        for lang, rows in idx.lang_rows.items():
            n = min(k, len(rows))
            _, local = vectorindex.search(idx.dense[lang], query, n, nprobe)
            candidates.update(rows[local[0][local[0] >= 0]].tolist())
            if lang in idx.sentence_index:
                candidates.update(self.sentence_candidates(lang, query, n))
            else:
                candidates.update(rows[np.argpartition(-best_sentence[rows], n - 1)[:n]].tolist())
            own = lang == asker
            min_coverage = w.min_coverage if own else w.cross_min_coverage
            lex_local, bm25, coverage = idx.lexical[lang].search(text, n, min_coverage)
            weight = w.lexical if own else w.cross_lexical
            lexical_lists.append((rows[lex_local].tolist(), weight))
            if len(lex_local):
                lexical_strength[rows[lex_local]] = weight * coverage * min_max(bm25)
                if w.fusion == "score":
                    candidates.update(rows[lex_local].tolist())

        # Documents whose title and headings match the question lend weight to all their
        # passages, and the best few documents' passages join the candidates.
        # Every outline is scored: an approximate index missed one of the best five in twenty
        # (measured on 10,000 synthetic documents), and each outline stands for a whole document.
        # An index written without outlines (the external evaluation sets) has only zero
        # vectors, and no document stands out to add.
        outline = idx.outline_vectors @ query
        best_outlines = min(w.outline_candidates, len(outline)) if outline.any() else 0
        for i in np.argpartition(-outline, best_outlines - 1)[:best_outlines] if best_outlines else ():
            doc_id = idx.doc_ids[int(idx.outline_doc[i])]
            for lang in idx.lang_rows:
                candidates.update(idx.doc_rows.get((doc_id, lang), []))

        rows_ = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        passage_sims = idx.passage_vectors[rows_] @ query
        sentence_sims = best_sentence[rows_]
        unscored = np.isnan(sentence_sims)
        if unscored.any():
            sentence_sims[unscored] = self.best_sentences_of(rows_[unscored], query)
        sentence_sims = self.in_context(rows_, sentence_sims, query, w.heading)
        # The stronger of the passage's own cosine and its best sentence's, and a share of the
        # weaker: a sentence that matches inside a passage that matches too is surer evidence.
        strength = np.maximum(passage_sims, sentence_sims) + w.weaker_evidence * np.minimum(passage_sims, sentence_sims)
        strength = strength + np.where(idx.passage_lang[rows_] == asker, 0.0, w.cross_language_lift)
        strength = strength + w.outline * self.outline_scores(idx.passage_doc[rows_], outline)
        langs = idx.passage_lang[rows_]
        if w.fusion == "rrf":
            strength = calibrate_languages(strength, langs, asker, w.language_calibration)
        order = np.argsort(-strength, kind="stable")
        dense_order = rows_[order].tolist()
        dense_rank = dict(zip(dense_order, range(1, len(dense_order) + 1), strict=True))
        # Best fused score first; ties go to the better dense rank.
        if w.fusion == "rrf":
            fused = rrf([(dense_order, 1.0), *lexical_lists], w.rrf_k)
            fused_rows = np.fromiter(fused, dtype=np.int64, count=len(fused))
            fused_scores = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
            tie_break = np.fromiter((dense_rank.get(r, len(dense_rank) + 1) for r in fused), np.int64, len(fused))
        else:
            total = strength + w.score_lexical * lexical_strength[rows_]
            # Calibrated with each language's lexical evidence in, so that evidence only
            # ranks passages within their language.
            fused_rows, fused_scores = rows_, calibrate_languages(total, langs, asker, w.language_calibration)
            tie_break = np.empty(len(rows_), dtype=np.int64)
            tie_break[order] = np.arange(1, len(rows_) + 1)
        best = np.lexsort((tie_break, -fused_scores))[:limit]
        ranked, ranked_scores = fused_rows[best].tolist(), fused_scores[best].tolist()
        lexical_rank: dict[int, int] = {}
        for ranking, _ in lexical_lists:
            for r, row in enumerate(ranking, start=1):
                lexical_rank.setdefault(row, r)
        # Each hit's evidence was computed when it was a candidate; only rows that joined
        # through a lexical list alone (rrf fusion) are scored here.
        at = dict(zip(rows_.tolist(), range(len(rows_)), strict=True))
        if unseen := [row for row in ranked if row not in at]:
            extra = np.array(unseen, dtype=np.int64)
            in_context = self.in_context(extra, self.best_sentences_of(extra, query), query, w.heading)
            passage_sims = np.concatenate([passage_sims, idx.passage_vectors[extra] @ query])
            sentence_sims = np.concatenate([sentence_sims, in_context])
            at.update(zip(unseen, range(len(rows_), len(passage_sims)), strict=True))
        hits = []
        for row, fused_score in zip(ranked, ranked_scores, strict=True):
            sentence, _ = self.best_sentence(row, query)
            dense, score = float(passage_sims[at[row]]), float(sentence_sims[at[row]])
            hits.append(Hit(row, fused_score, dense, sentence, score, dense_rank.get(row), lexical_rank.get(row)))
        return hits

    def outline_scores(self, docs: np.ndarray, outline: np.ndarray) -> np.ndarray:
        """For each document number in ``docs``, the best of its outlines' scores (one per language)."""
        best = np.full(len(self.index.doc_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self.index.outline_doc, outline)
        return best[docs]

    def exact_best_sentences(self, query: np.ndarray) -> np.ndarray:
        """Each passage's best sentence cosine; NaN for languages searched approximately.

        Without approximate indexes, one matrix-vector product over every sentence.
        """
        idx = self.index
        starts = self.first_sentence
        if not idx.sentence_index:
            return np.maximum.reduceat(idx.sentence_vectors @ query, starts)
        best = np.full(len(idx.passages), np.nan, dtype=np.float32)
        for lang, rows in idx.lang_rows.items():
            if lang in idx.sentence_index:
                continue
            first, end = idx.sentence_start[lang], int(idx.sentence_ranges[rows[-1], 1])
            sims = idx.sentence_vectors[first:end] @ query
            best[rows] = np.maximum.reduceat(sims, starts[rows] - first)
        return best

    def sentence_candidates(self, lang: str, query: np.ndarray, n: int) -> list[int]:
        """Up to ``n`` passage rows of ``lang`` whose sentences the approximate index finds best, best first.

        Several of the sentences found may belong to one passage, so more sentences than
        passages are asked for.
        """
        idx = self.index
        _, found = vectorindex.search(
            idx.sentence_index[lang], query, SENTENCES_PER_CANDIDATE * n, self.settings.ann_nprobe
        )
        sentence_rows = found[0][found[0] >= 0] + idx.sentence_start[lang]
        passage_rows = np.searchsorted(self.first_sentence, sentence_rows, side="right") - 1
        _, first = np.unique(passage_rows, return_index=True)
        return passage_rows[np.sort(first)][:n].tolist()

    def best_sentences_of(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Exact best sentence cosine of each passage in ``rows`` (a few hundred candidates)."""
        ranges = self.index.sentence_ranges[rows]
        counts = ranges[:, 1] - ranges[:, 0]
        offsets = np.cumsum(counts) - counts
        sentence_rows = np.repeat(ranges[:, 0] - offsets, counts) + np.arange(int(counts.sum()))
        return np.maximum.reduceat(self.index.sentence_vectors[sentence_rows] @ query, offsets)

    def rank(self, text: str, query: np.ndarray, asker: str, mode: str = "full", limit: int = 10) -> list[int]:
        """Passage rows best first, by the full pipeline or by one of its parts (for evaluation)."""
        if mode == "full":
            return [h.row for h in self.search(text, query, asker, limit=limit)]
        if mode == "dense":
            dense_only = replace(self.weights, fusion="score", score_lexical=0.0)
            return [h.row for h in self.search(text, query, asker, limit=limit, weights=dense_only)]
        if mode == "lexical":
            lists = []
            for lang, rows in self.index.lang_rows.items():
                local, _, _ = self.index.lexical[lang].search(text, limit)
                lists.append(([int(rows[i]) for i in local], 1.0))
            fused = rrf(lists, self.weights.rrf_k)
            return sorted(fused, key=lambda row: -fused[row])[:limit]
        raise ValueError(f"mode must be one of full, dense, lexical (got {mode!r})")

    def in_context(self, rows: np.ndarray, sentence_sims: np.ndarray, query: np.ndarray, weight: float) -> np.ndarray:
        """Best-sentence cosines with a share (``weight``) of the passage's heading's cosine mixed in.

        A sentence is read under its heading: "25 percent is the standard rate" says nothing
        of VAT until read under "VAT rates". Embedding each sentence with its heading would
        need a second set of sentence vectors to choose the sentences to quote; a share of the
        heading's own cosine gives most of the gain (on the labelled development questions,
        hit@1 0.927 → 0.953) for one vector per distinct heading. The sentence quoted is still
        the best by its own cosine.
        """
        heading = self.index.passage_heading[rows] if weight else np.empty(0, dtype=np.int64)
        has = heading >= 0
        if not has.any():
            return sentence_sims
        out = sentence_sims.astype(np.float32, copy=True)
        out[has] = (1 - weight) * out[has] + weight * (self.index.heading_vectors[heading[has]] @ query)
        return out

    # -- helpers used by answer composition ---------------------------------------------

    def passage(self, row: int) -> Passage:
        return self.index.passages[row]

    def document(self, doc_id: str, lang: str) -> DocMeta | None:
        return self.index.documents.get((doc_id, lang))

    def sentence_scores(self, row: int, query: np.ndarray) -> np.ndarray:
        a, b = self.index.sentence_ranges[row]
        return self.index.sentence_vectors[a:b] @ query

    def best_sentence(self, row: int, query: np.ndarray) -> tuple[int, float]:
        scores = self.sentence_scores(row, query)
        if not len(scores):
            return int(self.index.sentence_ranges[row][0]), float("-inf")
        best = int(np.argmax(scores))
        return int(self.index.sentence_ranges[row][0]) + best, float(scores[best])

    def rows_of(self, doc_id: str, lang: str) -> list[int]:
        return self.index.doc_rows.get((doc_id, lang), [])

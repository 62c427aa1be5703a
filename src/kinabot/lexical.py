"""Lexical retrieval: per-language tokenizing and BM25 (bm25s).

Chinese is cut with jieba's search mode (overlapping words, so 工业园区 also
matches 园区); Swedish and English are lowercased and Snowball-stemmed. A question
and the passages it is compared with go through the tokenizer of the passages'
language, so that names and numbers still meet across languages.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import jieba
import numpy as np
import Stemmer

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_STEMMER_NAMES = {"sv": "swedish", "en": "english"}

_STOP = {
    "sv": frozenset(
        """
    och i att det som en på är av för med till den har de inte om ett han men var jag sig från
    vi så kan man när år säga hon under också efter eller nu sin där vid mot ska skulle kommer
    ut få hur alla många mycket vad vilka vilken vem finns detta dessa än sina
    """.split()
    ),
    "en": frozenset(
        """
    the a an and or of to in on at for with by from is are was were be been it its this that
    these those as do does did what how where when which who why can could should would will i
    you we they my our your there their not
    """.split()
    ),
    "zh": frozenset(
        """
    的 了 和 是 在 有 我 你 他 她 它 们 这 那 吗 呢 吧 啊 也 就 都 而 及 与 或 一个 什么 怎么 如何 哪些 哪里 多少
    """.split()
    ),
}


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = _STEMMER_NAMES.get(lang)
    return Stemmer.Stemmer(name) if name else None


def tokenize(text: str, lang: str) -> list[str]:
    """Terms of ``text`` as the lexical index of language ``lang`` stores them."""
    stop = _STOP.get(lang, frozenset())
    stemmer = _stemmer(lang)
    tokens: list[str] = []
    pos = 0
    for run in _HAN_RUN.finditer(text):
        tokens.extend(_latin_terms(text[pos : run.start()], stemmer, stop))
        tokens.extend(t for t in jieba.cut_for_search(run.group()) if t not in stop)
        pos = run.end()
    tokens.extend(_latin_terms(text[pos:], stemmer, stop))
    return tokens


def _latin_terms(text: str, stemmer: Stemmer.Stemmer | None, stop: frozenset[str]) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w for w in words if w not in stop]
    if stemmer is None:
        return words
    return [stemmer.stemWord(w) if not w.isdigit() else w for w in words]


class LexicalIndex:
    """BM25 over one language's passages."""

    def __init__(self, lang: str, retriever: bm25s.BM25, size: int) -> None:
        self.lang = lang
        self._bm25 = retriever
        self.size = size

    @classmethod
    def build(cls, lang: str, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        corpus = [tokenize(t, lang) for t in texts]
        retriever.index(corpus, show_progress=False)
        return cls(lang, retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, lang: str, folder: Path, size: int) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), show_progress=False)
        return cls(lang, retriever, size)

    def search(self, question: str, k: int, min_coverage: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, BM25 scores and coverage of the best ``k`` passages that cover enough of the question.

        Coverage is the IDF-weighted share of the question's distinct terms that a passage
        contains. A passage that shares one common word with the question ("Sweden",
        "Suzhou") ranks first in BM25 all the same; requiring coverage keeps such weak
        matches from outvoting the dense ranking in fusion.
        """
        terms = list(dict.fromkeys(tokenize(question, self.lang)))
        if not terms or self.size == 0:
            return _EMPTY
        # Straight from BM25's term-by-passage matrix (compressed by term): each term's
        # passages and scores, so the work grows with the passages that hold a question's
        # terms, not with the whole index (bm25s's own scoring fills an array of every
        # passage per term). Lucene-style BM25, bm25s's default, gives absent terms nothing.
        matrix = self._bm25.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        vocab = self._bm25.vocab_dict
        rows, scores, weights = [], [], []
        weight_sum = 0.0
        for term in terms:
            term_id = vocab.get(term)
            start, end = (int(indptr[term_id]), int(indptr[term_id + 1])) if term_id is not None else (0, 0)
            idf = _idf(end - start, self.size)
            weight_sum += idf
            if end > start:
                rows.append(indices[start:end])
                scores.append(data[start:end])
                weights.append(np.full(end - start, idf))
        if not rows:
            return _EMPTY
        passages = np.concatenate(rows)
        total = np.bincount(passages, weights=np.concatenate(scores), minlength=self.size).astype(np.float32)
        covered = np.bincount(passages, weights=np.concatenate(weights), minlength=self.size)
        coverage = (covered / max(weight_sum, 1e-9)).astype(np.float32)
        eligible = np.flatnonzero((total > 0) & (coverage >= min_coverage))
        if not len(eligible):
            return _EMPTY
        if len(eligible) > k:  # only the best k (and any tied with the last of them) are sorted
            kth = np.partition(total[eligible], len(eligible) - k)[len(eligible) - k]
            eligible = eligible[total[eligible] >= kth]
        order = eligible[np.argsort(-total[eligible], kind="stable")][:k]
        return order.astype(np.int64), total[order], coverage[order]


_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), np.empty(0, dtype=np.float32))


def _idf(df: int, n: int) -> float:
    return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

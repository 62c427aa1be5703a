"""Measuring retrieval on labelled questions: article-level hit@k, MRR and no-answer quality."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kinabot.chunking import Passage, split_sentences
from kinabot.corpus import LANGS
from kinabot.embedcache import CachedEmbedder
from kinabot.evalsets import Task
from kinabot.index import DocMeta, load_index, write_index
from kinabot.model import Embedder
from kinabot.search import Retriever
from kinabot.settings import Settings

Split = Literal["dev", "test"]


class QAItem(BaseModel):
    """One labelled question; ``answers`` empty means the corpus cannot answer it."""

    model_config = ConfigDict(extra="forbid")

    qid: str
    question: str = Field(min_length=1)
    lang: Literal["sv", "zh", "en"]
    answers: list[str]
    split: Split
    cross: bool = False


def load_qa(folder: Path) -> list[QAItem]:
    """Every ``*.jsonl`` in ``folder``; a bad line raises ``ValueError`` naming file and line."""
    items: list[QAItem] = []
    for file in sorted(folder.glob("*.jsonl")):
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(QAItem.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{file.name} line {n}: {exc}") from None
    return items


@dataclass
class LangScores:
    questions: int = 0
    answerable: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    mrr: float = 0.0
    # no-answer confusion: predicted no_answer vs expected
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, ranked_docs: list[str], expected: list[str], no_answer: bool) -> None:
        self.questions += 1
        if expected:
            self.answerable += 1
            rank = next((i for i, d in enumerate(ranked_docs, start=1) if d in expected), None)
            if rank is not None:
                self.hit1 += rank == 1
                self.hit3 += rank <= 3
                self.mrr += 1.0 / rank
            if no_answer:
                self.fp += 1
        elif no_answer:
            self.tp += 1
        else:
            self.fn += 1

    def row(self) -> dict[str, float]:
        n = max(self.answerable, 1)
        predicted = self.tp + self.fp
        actual = self.tp + self.fn
        return {
            "questions": self.questions,
            "hit@1": self.hit1 / n,
            "hit@3": self.hit3 / n,
            "mrr": self.mrr / n,
            "no_answer_precision": self.tp / predicted if predicted else 1.0,
            "no_answer_recall": self.tp / actual if actual else 1.0,
        }


def article_ranking(passage_docs: list[str]) -> list[str]:
    """Documents in the order of their first passage."""
    return list(dict.fromkeys(passage_docs))


@dataclass
class QAResult:
    scores: dict[str, dict[str, float]]  # question language (and "all") -> figures
    failures: list[dict]

    def to_json(self) -> dict:
        return {"scores": self.scores, "failures": self.failures}


def evaluate_qa(retriever: Retriever, items: list[QAItem], top_k: int = 20) -> QAResult:
    """Scores per question language and over all, with each question asked as a visitor would."""
    scores: dict[str, LangScores] = defaultdict(LangScores)
    failures: list[dict] = []
    for item in items:
        answer = retriever.ask(item.question, top_k=top_k)
        ranked = article_ranking([p.doc_id for p in answer.passages])
        for key in (item.lang, "all"):
            scores[key].add(ranked, item.answers, answer.no_answer)
        # Wrong: the no-answer decision differs, or the top article is not one that answers.
        wrong_article = bool(item.answers) and not set(ranked[:1]) & set(item.answers)
        if (not item.answers) != answer.no_answer or wrong_article:
            failures.append(
                {
                    "qid": item.qid,
                    "question": item.question,
                    "expected": item.answers,
                    "got": ranked[:3],
                    "no_answer": answer.no_answer,
                    "relevance": answer.passages[0].relevance if answer.passages else None,
                }
            )
    return QAResult({lang: s.row() for lang, s in sorted(scores.items())}, failures)


def format_table(result: QAResult) -> str:
    lines = [f"{'lang':6s}{'n':>5s}{'hit@1':>8s}{'hit@3':>8s}{'MRR':>8s}{'noans P':>9s}{'noans R':>9s}"]
    for lang in ("sv", "zh", "en", "all"):
        if lang not in result.scores:
            continue
        r = result.scores[lang]
        lines.append(
            f"{lang:6s}{int(r['questions']):5d}{r['hit@1']:8.3f}{r['hit@3']:8.3f}{r['mrr']:8.3f}"
            f"{r['no_answer_precision']:9.3f}{r['no_answer_recall']:9.3f}"
        )
    return "\n".join(lines)


def save_json(result: QAResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")


# -- external sets --------------------------------------------------------------------

MODES = ("dense", "lexical", "full")


def ranking_metrics(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    """R@1, R@5, R@10, MRR@10 and nDCG@10 (binary relevance) of one ranked list."""
    top = ranked[:10]
    first = next((i for i, pid in enumerate(top, start=1) if pid in relevant), None)
    dcg = sum(1.0 / np.log2(i + 1) for i, pid in enumerate(top, start=1) if pid in relevant)
    ideal = sum(1.0 / np.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    hits = lambda k: sum(pid in relevant for pid in ranked[:k]) / max(1, min(len(relevant), k))  # noqa: E731
    return {
        "R@1": hits(1),
        "R@5": hits(5),
        "R@10": hits(10),
        "MRR@10": 1.0 / first if first else 0.0,
        "nDCG@10": dcg / ideal if ideal else 0.0,
    }


def run_task(
    task: Task,
    embedder: Embedder,
    cache: CachedEmbedder,
    settings: Settings,
    workdir: Path,
    reference: dict[str, np.ndarray] | None = None,
) -> dict:
    """Index the task's passages with kinabot's real pipeline and score each mode."""
    order = sorted(task.passages, key=lambda pid: (LANGS.index(task.passages[pid][0]), pid))
    passages = []
    docs = []
    for pid in order:
        lang, text = task.passages[pid]
        spans = tuple(split_sentences(text)) or ((0, len(text)),)
        passages.append(Passage(pid, lang, "", (), text, 0, len(text), spans))
        meta = {"url": "https://example.org/" + pid, "publisher": task.name, "consulted": "2026-11-27"}
        docs.append(DocMeta(pid, lang, "", meta["url"], (meta,), "2026-11-27", None))
    vectors = cache.encode_passages([p.embedding_text() for p in passages])
    sentence_vectors = cache.encode_passages([s for p in passages for s in p.sentence_texts()])
    model = {"name": embedder.name, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension}
    index_dir = workdir / hashlib.sha1(task.name.encode()).hexdigest()[:10]
    write_index(
        docs,
        passages,
        vectors,
        sentence_vectors,
        model,
        task.name,
        index_dir,
        reference=reference,
        ann_min_vectors=settings.ann_min_vectors,
    )
    retriever = Retriever(load_index(index_dir), embedder, settings)
    query_vectors = cache.encode_queries([q[2] for q in task.queries])
    totals: dict[str, dict[str, float]] = {m: defaultdict(float) for m in MODES}
    for (qid, lang, text, relevant), raw in zip(task.queries, query_vectors, strict=True):
        query = retriever.index.center_query(raw, lang)
        skip = task.exclude.get(qid, set())
        for mode in MODES:
            rows = retriever.rank(text, query, lang, mode=mode, limit=10 + len(skip))
            ranked = [retriever.passage(r).doc_id for r in rows if retriever.passage(r).doc_id not in skip]
            scores = ranking_metrics(ranked, relevant)
            for name, value in scores.items():
                totals[mode][name] += value
    n = max(1, len(task.queries))
    result = {mode: {name: value / n for name, value in totals[mode].items()} for mode in MODES}
    return {"task": task.name, "queries": len(task.queries), "passages": len(passages), "scores": result}


def markdown_report(results: list[dict], model: str, settings: Settings) -> str:
    """The results table for docs/, with the model and settings that produced it."""
    knobs = (
        "fusion",
        "score_lexical_weight",
        "lexical_min_coverage",
        "cross_lexical_min_coverage",
        "outline_weight",
        "weaker_evidence_weight",
        "language_calibration",
        "candidates",
    )
    lines = [
        "# Retrieval on external sets",
        "",
        "Regenerate with `make eval` (or `kinabot eval --external --report docs/retrieval.md`).",
        f"Model: {model}. Settings: " + ", ".join(f"`{k}={getattr(settings, k)}`" for k in knobs) + ".",
        "",
        "| set | queries | passages | " + " | ".join(f"{m} nDCG@10 | {m} R@1" for m in MODES) + " |",
        "|---|---:|---:|" + "---:|---:|" * len(MODES),
    ]
    for r in results:
        cells = " | ".join(f"{r['scores'][m]['nDCG@10']:.3f} | {r['scores'][m]['R@1']:.3f}" for m in MODES)
        lines.append(f"| {r['task']} | {r['queries']} | {r['passages']} | {cells} |")
    return "\n".join(lines) + "\n"


def format_external(results: list[dict]) -> str:
    header = f"{'set':36s}{'n':>6s}  " + "  ".join(f"{m:>22s}" for m in MODES)
    sub = f"{'':36s}{'':>6s}  " + "  ".join(f"{'R@1  R@10 MRR nDCG':>22s}" for _ in MODES)
    lines = [header, sub]
    for r in results:
        cells = []
        for mode in MODES:
            s = r["scores"][mode]
            cells.append(f"{s['R@1']:.3f} {s['R@10']:.3f} {s['MRR@10']:.3f} {s['nDCG@10']:.3f}")
        lines.append(f"{r['task']:36s}{r['queries']:6d}  " + "  ".join(f"{c:>22s}" for c in cells))
    return "\n".join(lines)

"""Measuring retrieval on labelled questions: article-level hit@k, MRR and no-answer quality."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kinabot.search import Retriever

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
        wrong = (not item.answers) != answer.no_answer or (item.answers and ranked[:1] != item.answers[:1])
        if wrong and (not item.answers or not set(ranked[:1]) & set(item.answers)):
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

"""The whole retrieval pipeline on approximate indexes against the same pipeline on exact search.

Two copies of `bench_api.py`'s synthetic index (100,000 passages by default) are built, one
searched exactly and one with the approximate indexes kinabot chooses by size. Every
labelled question is asked of both, with each ``--nprobe``; printed are how often the first
passage is the same, how much of the top ten is, the first passage's best-sentence cosine
on exact search minus on approximate search, and the search time per question.

The synthetic passages are mixes of the bundled corpus's few thousand sentences, so each
sentence has about a hundred noisy near-copies: a first passage that differs is usually
another copy, which is why the cosine difference is printed beside the agreement.

    .venv/bin/python benchmarks/bench_ann_pipeline.py [--passages 100000] [--nprobe 64 32]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_api import ROOT, questions, synthetic_index

from kinabot.search import Hit, Retriever
from kinabot.settings import Settings


def first_hits(retriever: Retriever, qs: list[str], vectors: np.ndarray) -> list[list[Hit]]:
    out = []
    for question, vector in zip(qs, vectors, strict=True):
        text, asker = retriever.understand(question)
        out.append(retriever.search(text, retriever.index.center_query(vector, asker), asker, limit=10))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--nprobe", type=int, nargs="+", default=None)
    args = parser.parse_args()
    settings = Settings(corpus_dir=ROOT / "corpus")
    with tempfile.TemporaryDirectory(prefix="kinabot-bench-") as tmp:
        exact_dir, approx_dir = Path(tmp) / "exact", Path(tmp) / "approximate"
        synthetic_index(settings.model_copy(update={"ann_min_vectors": 2**62}), args.passages, exact_dir)
        synthetic_index(settings, args.passages, approx_dir)
        exact = Retriever.from_index(exact_dir, settings)
        qs = questions(10**6)
        vectors = exact.embedder.encode_queries(qs)
        truth = first_hits(exact, qs, vectors)
        print(f"{args.passages} synthetic passages, {len(qs)} labelled questions")
        for nprobe in args.nprobe or [settings.ann_nprobe]:
            approx = Retriever.from_index(approx_dir, settings.model_copy(update={"ann_nprobe": nprobe}))
            started = time.perf_counter()
            got = first_hits(approx, qs, vectors)
            ms = (time.perf_counter() - started) / len(qs) * 1000
            pairs = list(zip(got, truth, strict=True))
            same = np.mean([a[0].row == b[0].row for a, b in pairs])
            overlap = np.mean([len({h.row for h in a} & {h.row for h in b}) / 10 for a, b in pairs])
            gap = np.array([b[0].sentence_score - a[0].sentence_score for a, b in pairs])
            print(
                f"nprobe {nprobe}: same first passage {same:.3f}, top-ten overlap {overlap:.3f}, "
                f"first passage's best-sentence cosine exact minus approximate: mean {gap.mean():+.4f}, "
                f"p99 {np.percentile(gap, 99):+.4f}; search {ms:.2f} ms per question"
            )


if __name__ == "__main__":
    main()

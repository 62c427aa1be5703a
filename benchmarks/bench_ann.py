"""Approximate against exact vector search at 20,000, 100,000 and 1,000,000 vectors.

Vectors: the bundled corpus's sentences are embedded with the bundled model and centred per
language as an index stores them; these real vectors are the seeds. Each synthetic vector
is one seed, plus a random share (0 to 50 %) of a second seed of the same language, plus
Gaussian noise of half its length, normalised (``around`` in bench_api.py, which makes the
sentences of its synthetic index the same way). So the vectors lie in overlapping clouds
around real sentences, the way the sentences of a large corpus gather around its subjects,
and no two are identical. Queries are the labelled questions in qa/, encoded and centred
as the service does.

For each size, exact search (faiss IndexFlatIP) and the index kinabot chooses for that many
vectors (``kinabot.vectorindex.build`` with the default ``KINABOT_ANN_MIN_VECTORS``): build
time, recall@10 against exact search, and time per question, one question at a time on one
thread (median and 99th percentile). Then recall and time for other values of
``KINABOT_ANN_NPROBE``, and with ``--hnsw`` an HNSW graph for comparison.

    .venv/bin/python benchmarks/bench_ann.py [--sizes 20000 100000 1000000] [--hnsw]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from bench_api import around, per_call_ms

from kinabot import vectorindex
from kinabot.corpus import load_corpus
from kinabot.index import build_index, load_index
from kinabot.language import detect_language
from kinabot.model import load_embedder
from kinabot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
K = 10


def seeds_and_queries(settings: Settings) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Centred sentence vectors of the bundled corpus per language, and the centred questions with their languages."""
    embedder = load_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="kinabot-bench-ann-") as tmp:
        build_index(load_corpus(settings.corpus_dir), embedder, Path(tmp))
        index = load_index(Path(tmp))
    seeds = {}
    for lang, rows in index.lang_rows.items():
        start, end = index.sentence_start[lang], int(index.sentence_ranges[rows[-1], 1])
        seeds[lang] = np.unique(index.sentence_vectors[start:end], axis=0)
    questions = []
    for file in sorted((ROOT / "qa").glob("*.jsonl")):
        questions += [json.loads(line)["question"] for line in file.read_text(encoding="utf-8").splitlines() if line]
    langs = [detect_language(q) for q in questions]
    vectors = embedder.encode_queries(questions)
    queries = np.stack([index.center_query(v, lang) for v, lang in zip(vectors, langs, strict=True)])
    return seeds, queries, langs


def synthetic(seeds: dict[str, np.ndarray], n: int, seed: int = 3) -> np.ndarray:
    """``n`` vectors around the seeds, in equal shares per language."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, base in enumerate(seeds.values()):
        m = n // len(seeds) + (i < n % len(seeds))
        parts.append(around(base, rng.integers(0, len(base), m), rng))
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def row(name: str, build_s: float | None, rec: float, times: list[float]) -> dict:
    median, p99 = statistics.median(times), float(np.percentile(times, 99))
    build = f"{build_s:9.1f}" if build_s is not None else f"{'':9s}"
    print(f"  {name:30s}{build}{rec:10.4f}{median:10.3f}{p99:10.3f}", flush=True)
    return {"index": name, "build_s": build_s, "recall_at_10": rec, "median_ms": median, "p99_ms": p99}


def measure(x: np.ndarray, queries: np.ndarray, settings: Settings, hnsw: bool) -> list[dict]:
    """Print and return the figures for one set of vectors."""
    n = len(x)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    t = time.perf_counter()
    exact = vectorindex.build(x, min_vectors=n + 1)
    exact_build = time.perf_counter() - t
    _, truth = exact.search(queries, K)
    t = time.perf_counter()
    chosen = vectorindex.build(x, settings.ann_min_vectors)
    chosen_build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    kind = vectorindex.describe(chosen)
    print(f"\n{n:,} vectors of {x.shape[1]} dimensions; kinabot chooses {kind}")
    print(f"  {'':30s}{'build s':>9s}{'recall@10':>10s}{'median ms':>10s}{'p99 ms':>10s}")
    results = [row("exact", exact_build, 1.0, per_call_ms(queries, lambda q: exact.search(q[None], K)))]
    for nprobe in sorted({8, 16, 32, 64, 128, settings.ann_nprobe}) if vectorindex.is_approximate(chosen) else []:
        _, found = vectorindex.search(chosen, queries, K, nprobe)
        times = per_call_ms(queries, lambda q, p=nprobe: vectorindex.search(chosen, q, K, p))
        default = nprobe == settings.ann_nprobe
        name = f"{kind} nprobe={nprobe}" + (" (default)" if default else "")
        results.append(row(name, chosen_build if default else None, recall(found, truth), times))
    if hnsw:
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        graph = faiss.IndexHNSWFlat(x.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 80
        t = time.perf_counter()
        graph.add(x)
        graph_build = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        for ef in (64, 128, 256):
            graph.hnsw.efSearch = ef
            _, found = graph.search(queries, K)
            times = per_call_ms(queries, lambda q: graph.search(q[None], K))
            results.append(row(f"HNSW32 efC=80 efSearch={ef}", graph_build, recall(found, truth), times))
    return [{"vectors": n, **r} for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--hnsw", action="store_true", help="also build an HNSW graph (M=32) for comparison")
    args = parser.parse_args()
    settings = Settings(corpus_dir=ROOT / "corpus")
    seeds, queries, _ = seeds_and_queries(settings)
    print(f"seeds: {', '.join(f'{len(v)} {k}' for k, v in seeds.items())} sentence vectors; {len(queries)} questions")
    print(f"machine: {os.cpu_count()} cores; builds on all of them, queries one at a time on one thread")
    results = []
    for n in args.sizes:
        results += measure(synthetic(seeds, n), queries, settings, args.hnsw)
    out = ROOT / "build" / "bench-ann.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Latency of /api/ask over HTTP on a 10,000-passage index, next to the bare model.encode.

The synthetic index is made from the bundled corpus's own sentences, shuffled into new
passages of three to six sentences within each language. Each sentence's vector is its
real vector moved a little (plus a random share, up to half, of another sentence's vector
and Gaussian noise of half its length; see ``around``), so that no two of the index's
sentences are identical, as in a real corpus of that size, where approximate search
would otherwise meet the same few thousand vectors copied a hundred times over. A
passage's vector is the normalised mean of its sentences' vectors; every ten passages make
a document, whose title (its heading and outline) has the mean of theirs. Building it costs one
encode of the corpus sentences rather than of 10,000 passages. The real service is started
with `kinabot serve` on loopback and asked 200 questions in mixed languages one at a time;
then the same questions are encoded bare with the same model in this process. The two take
turns (three rounds by default), as the machine's speed drifts from minute to minute.
``--passages 0`` measures the bundled corpus's own index instead, built as `kinabot build`
builds it.

    .venv/bin/python benchmarks/bench_api.py [--passages 10000] [--questions 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from kinabot.builder import build
from kinabot.chunking import Passage, chunk_document
from kinabot.corpus import LANGS, load_corpus
from kinabot.index import DocMeta, write_index
from kinabot.model import load_embedder
from kinabot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MIX = 0.5  # largest share of a second sentence's vector mixed into a synthetic one
NOISE = 0.5  # length of the Gaussian noise added, relative to what sets the vector apart


def around(seeds: np.ndarray, picks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near ``seeds[picks]``: each plus a random share of another seed and noise.

    The moves are made on what sets a vector apart from the seeds' mean: multilingual-e5
    vectors share a large common part, which the index subtracts before searching.
    """
    centre = seeds.mean(axis=0)
    apart = seeds - centre
    length = np.linalg.norm(apart[picks], axis=1, keepdims=True)
    y = (
        apart[picks]
        + rng.uniform(0, MIX, (len(picks), 1)).astype(np.float32) * apart[rng.integers(0, len(seeds), len(picks))]
    )
    y *= length / np.linalg.norm(y, axis=1, keepdims=True)
    noise = rng.standard_normal(y.shape, dtype=np.float32)
    y += NOISE * length * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    y *= length / np.linalg.norm(y, axis=1, keepdims=True)
    x = centre + y
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def synthetic_index(settings: Settings, target: int, out: Path, seed: int = 7) -> tuple[int, float]:
    embedder = load_embedder(settings)
    corpus = load_corpus(settings.corpus_dir)
    by_lang: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for doc in corpus.documents:
        for p in chunk_document(doc):
            by_lang[p.lang].extend(p.sentence_texts())
    started = time.perf_counter()
    vectors = {lang: embedder.encode_passages(s) for lang, s in by_lang.items() if s}
    encode_s = time.perf_counter() - started
    rng = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    total_sentences = sum(len(s) for s in by_lang.values())
    docs: list[DocMeta] = []
    passages: list[Passage] = []
    pvecs: list[np.ndarray] = []
    svecs: list[np.ndarray] = []
    for lang, sentences in by_lang.items():
        share = round(target * len(sentences) / total_sentences)
        sizes: list[int] = []
        chosen: list[int] = []
        for n in range(share):
            if n % 10 == 0:
                doc_id = f"synthetic-{lang}-{n // 10:05d}"
                url = f"https://example.org/{doc_id}"
                meta = {"url": url, "publisher": "Synthetic", "consulted": "2026-11-27"}
                docs.append(DocMeta(doc_id, lang, f"Synthetic {doc_id}", url, (meta,), "2026-11-27", None))
            picks = rng.sample(range(len(sentences)), rng.randint(3, 6))
            joiner = "" if lang == "zh" else " "
            text, spans = "", []
            for i in picks:
                if text:
                    text += joiner
                spans.append((len(text), len(text) + len(sentences[i])))
                text += sentences[i]
            passages.append(
                Passage(docs[-1].id, lang, docs[-1].title, (docs[-1].title,), text, 0, len(text), tuple(spans))
            )
            sizes.append(len(picks))
            chosen += picks
        if not sizes:
            continue
        moved = around(vectors[lang], np.array(chosen), noise_rng)
        means = np.add.reduceat(moved, np.cumsum(sizes) - sizes)
        pvecs.append(means / np.linalg.norm(means, axis=1, keepdims=True))
        svecs.append(moved)
    model = {"name": embedder.name, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension}
    passage_vectors = np.concatenate(pvecs)
    # Each synthetic document's title stands as the heading of its passages and as the
    # document's outline; its vector is the normalised mean of theirs, as a title sums up what
    # stands under it.
    heading_rows = np.unique([p.doc_id for p in passages], return_inverse=True)[1]
    sums = np.zeros((int(heading_rows.max()) + 1, passage_vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, heading_rows, passage_vectors)
    heading_langs = [""] * len(sums)
    for p, row in zip(passages, heading_rows, strict=True):
        heading_langs[row] = p.lang
    titles = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    row_of = dict(zip((p.doc_id for p in passages), heading_rows, strict=True))
    outlines = titles[[row_of[d.id] for d in docs]]
    write_index(
        docs,
        passages,
        passage_vectors,
        np.concatenate(svecs),
        model,
        "synthetic",
        out,
        headings=(titles, heading_langs, heading_rows),
        outline_vectors=outlines,
        ann_min_vectors=settings.ann_min_vectors,
    )
    return len(passages), encode_s


def questions(n: int, seed: int = 11) -> list[str]:
    rows = []
    for file in sorted((ROOT / "qa").glob("*.jsonl")):
        rows += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(seed).shuffle(rows)
    return [r["question"] for r in rows[:n]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def per_call_ms(items, call) -> list[float]:
    """Milliseconds of ``call(item)`` for each item, after ten calls to warm up."""
    for item in items[:10]:
        call(item)
    times = []
    for item in items:
        t = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=10_000, help="0: the bundled corpus's own index")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="turns of the service and the bare model")
    args = parser.parse_args()
    settings = Settings(corpus_dir=ROOT / "corpus")
    with tempfile.TemporaryDirectory(prefix="kinabot-bench-") as tmp:
        index_dir = Path(tmp) / "indexes"
        if args.passages:
            n_passages, _ = synthetic_index(settings, args.passages, index_dir)
            kind = "synthetic"
        else:
            summary = build(settings.model_copy(update={"index_dir": index_dir}))
            n_passages, kind = summary.passages, "the bundled corpus"
        qs = questions(args.questions)
        embedder = load_embedder(settings)  # the bare model, in this process
        port = free_port()
        env = {
            **os.environ,
            "KINABOT_INDEX_DIR": str(index_dir),
            "KINABOT_LOG_LEVEL": "WARNING",
            "KINABOT_RATE_LIMIT_PER_MINUTE": "0",  # one client asks all the questions
            "KINABOT_DATA_DIR": tmp,  # its questions go to a throwaway database
            "KINABOT_ANSWER_CACHE": "0",  # each round asks the same questions again
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "kinabot.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as client:
                deadline = time.time() + 180
                while time.time() < deadline:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.5)
                else:
                    raise SystemExit("the service did not become ready in 180 s")
                # The machine's speed drifts over minutes, so the service and the bare model
                # take turns, a round of all the questions each, and each ratio is of one round.
                rounds = []
                for _ in range(args.rounds):
                    http_ms = per_call_ms(
                        qs, lambda q, c=client: c.post("/api/ask", json={"question": q}).raise_for_status()
                    )
                    encode_ms = per_call_ms(qs, lambda q: embedder.encode_bare([q]))
                    fast_ms = per_call_ms(qs, lambda q: embedder.encode_queries([q]))
                    rounds.append((http_ms, encode_ms, fast_ms))
        finally:
            server.terminate()
            server.wait(timeout=30)
    http_ms, encode_ms, fast_ms = ([t for r in rounds for t in r[i]] for i in range(3))
    med_http, p99_http = statistics.median(http_ms), percentile(http_ms, 99)
    med_enc, p99_enc = statistics.median(encode_ms), percentile(encode_ms, 99)
    med_fast, p99_fast = statistics.median(fast_ms), percentile(fast_ms, 99)
    print(f"index: {n_passages} passages ({kind}), {len(qs)} questions in sv/zh/en, one at a time")
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'':24s}{'median ms':>10s}{'p99 ms':>10s}")
    print(f"{'/api/ask over HTTP':24s}{med_http:10.1f}{p99_http:10.1f}")
    print(f"{'bare model.encode':24s}{med_enc:10.1f}{p99_enc:10.1f}")
    print(f"{'kinabot query encoder':24s}{med_fast:10.1f}{p99_fast:10.1f}")
    print(f"median ratio /api/ask : bare model.encode = {med_http / med_enc:.2f}  (goal <= 1.5)")
    each = ", ".join(f"{statistics.median(h) / statistics.median(e):.2f}" for h, e, _ in rounds)
    print(f"  the same ratio in each round: {each}")
    print(f"median ratio /api/ask : kinabot's own query encoding = {med_http / med_fast:.2f}")
    print(f"p99 /api/ask = {p99_http:.1f} ms  (goal < 100)")


if __name__ == "__main__":
    main()

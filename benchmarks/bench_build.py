"""Build benchmark: full build, rebuild after one changed document, and embedding throughput.

For the bundled corpus and for a generated corpus of N documents (default 2,000) it prints:
- full build time (empty embedding cache, model already loaded and timed apart);
- rebuild time after changing one document, as the running service does it (model loaded),
  and as a cold `kinabot build` process does it (model load included), each as a share of
  the full build;
- texts embedded per second during the full build next to bare `SentenceTransformer.encode`
  on the same texts in the same run.

    .venv/bin/python benchmarks/bench_build.py [--docs 2000] [--output build/bench-build.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kinabot.builder import build
from kinabot.corpus import load_corpus
from kinabot.model import load_embedder
from kinabot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


class Recorder:
    """Passes encoding through and keeps the texts and the time spent, per prompt kind."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder
        self.name, self.fingerprint, self.dimension = embedder.name, embedder.fingerprint, embedder.dimension
        self.calls: list[tuple[str, list[str]]] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(("query", list(texts)))
        return self._embedder.encode_queries(texts)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.calls.append(("passage", list(texts)))
        return self._embedder.encode_passages(texts)


def bare_encode(embedder, calls: list[tuple[str, list[str]]]) -> float:
    """Seconds for ``SentenceTransformer.encode`` on the same texts, batch by batch as the build
    sent them, in the same arithmetic (``KINABOT_PRECISION``) as the build used."""
    import torch

    model = embedder._model
    started = time.perf_counter()
    for kind, texts in calls:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=embedder.precision == "bfloat16"):
            model.encode(texts, prompt_name=kind, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    return time.perf_counter() - started


def generated_corpus(folder: Path, count: int, seed: int = 7) -> None:
    """``count`` documents of real sentences from the bundled corpus, recombined: Markdown
    without front matter and plain text, in Swedish, Chinese and English."""
    sentences: dict[str, list[str]] = {"sv": [], "zh": [], "en": []}
    for doc in load_corpus(ROOT / "corpus").documents:
        for line in doc.body.splitlines():
            if line.strip() and not line.startswith("#"):
                parts = re.split(r"(?<=[.!?。！？])\s*", line.strip())
                sentences[doc.lang].extend(p for p in parts if len(p) > 15)
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        lang = ("sv", "zh", "en")[i % 3]
        pool = sentences[lang]
        sections = []
        for s in range(3):
            body = ("" if lang == "zh" else " ").join(rng.sample(pool, 3))
            sections.append(f"## {rng.choice(pool)[:40]} {s + 1}\n\n{body}")
        text = f"# {rng.choice(pool)[:50]} ({i})\n\n" + "\n\n".join(sections) + "\n"
        suffix = ".md" if i % 2 else ".txt"
        (folder / f"doc-{i:04d}.{lang}{suffix}").write_text(text, encoding="utf-8")


def run(name: str, corpus: Path, work: Path, embedder, load_seconds: float) -> dict:
    settings = Settings(corpus_dir=corpus, index_dir=work / "indexes", keep_versions=2)
    recorder = Recorder(embedder)
    started = time.perf_counter()
    full = build(settings, embedder=recorder)
    full_seconds = time.perf_counter() - started
    texts = sum(len(t) for _, t in recorder.calls)
    bare_seconds = bare_encode(embedder, recorder.calls)

    target = sorted(p for p in corpus.rglob("*") if p.suffix in (".md", ".txt") and p.name != "README.md")[0]
    with target.open("a", encoding="utf-8") as fh:
        fh.write("\n\nEn ny mening om moms och tullar har lagts till i dokumentet.\n")
    started = time.perf_counter()
    warm = build(settings, embedder=embedder)
    warm_seconds = time.perf_counter() - started

    with target.open("a", encoding="utf-8") as fh:
        fh.write("\nÄnnu en ny mening om exportstöd.\n")
    env = {**os.environ, "KINABOT_CORPUS_DIR": str(corpus), "KINABOT_INDEX_DIR": str(settings.index_dir)}
    env["KINABOT_LOG_LEVEL"] = "WARNING"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kinabot", "build"], env=env, check=True, capture_output=True)
    cold_seconds = time.perf_counter() - started

    result = {
        "corpus": name,
        "documents": full.documents,
        "passages": full.passages,
        "texts_embedded": texts,
        "model_load_s": round(load_seconds, 2),
        "full_build_s": round(full_seconds, 2),
        "embedding_s": full.embed_seconds,
        "texts_per_s": round(texts / full.embed_seconds, 1),
        "bare_encode_s": round(bare_seconds, 2),
        "bare_texts_per_s": round(texts / bare_seconds, 1),
        "throughput_ratio": round(bare_seconds / full.embed_seconds, 3),
        "rebuild_one_changed_s": round(warm_seconds, 2),
        "rebuild_share": round(warm_seconds / full_seconds, 4),
        "rebuild_embedded": warm.embedded,
        "cold_cli_rebuild_s": round(cold_seconds, 2),
        "cold_cli_rebuild_share": round(cold_seconds / full_seconds, 4),
    }
    print_result(result)
    return result


def print_result(r: dict) -> None:
    print(f"\n== {r['corpus']}: {r['documents']} documents, {r['passages']} passages, {r['texts_embedded']} texts")
    print(f"  full build                     {r['full_build_s']:8.1f} s   (model load {r['model_load_s']} s apart)")
    print(
        f"  embedding rate                 {r['texts_per_s']:8.1f} texts/s"
        f"   bare model.encode {r['bare_texts_per_s']:.1f} texts/s  -> ratio {r['throughput_ratio']:.3f} (goal >= 0.9)"
    )
    print(
        f"  rebuild, one document changed  {r['rebuild_one_changed_s']:8.2f} s   "
        f"= {r['rebuild_share']:.1%} of the full build (goal < 5%), {r['rebuild_embedded']} texts embedded"
    )
    print(
        f"  same, cold `kinabot build`     {r['cold_cli_rebuild_s']:8.2f} s   "
        f"= {r['cold_cli_rebuild_share']:.1%} (a new process: imports and model load included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="Documents in the generated corpus (0: skip it).")
    parser.add_argument("--no-bundled", action="store_true", help="Skip the bundled corpus.")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "bench-build.json")
    args = parser.parse_args()

    started = time.perf_counter()
    embedder = load_embedder(Settings())
    load_seconds = time.perf_counter() - started
    embedder.encode_passages(["warm-up"])
    results = []
    with tempfile.TemporaryDirectory(prefix="kinabot-bench-build-") as tmp:
        work = Path(tmp)
        if not args.no_bundled:
            shutil.copytree(ROOT / "corpus", work / "bundled" / "corpus")
            bundled = work / "bundled"
            results.append(run("bundled corpus", bundled / "corpus", bundled, embedder, load_seconds))
        if args.docs:
            generated_corpus(work / "generated" / "corpus", args.docs)
            label = f"{args.docs} generated documents"
            results.append(run(label, work / "generated" / "corpus", work / "generated", embedder, load_seconds))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from kinabot import vectorindex
from kinabot.index import CURRENT, IndexInvalid, load_index
from kinabot.search import Retriever
from kinabot.settings import Settings
from tests.builders import clustered_vectors, vector_index


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def test_exact_below_the_threshold_and_approximate_from_it() -> None:
    x = clustered_vectors(600)
    assert isinstance(vectorindex.build(x, min_vectors=601), faiss.IndexFlatIP)
    approximate = vectorindex.build(x, min_vectors=600)
    assert vectorindex.is_approximate(approximate)
    assert vectorindex.describe(approximate) == f"IVF{vectorindex.clusters_for(600)},SQfp16"
    assert vectorindex.describe(vectorindex.build(x, min_vectors=601)) == "Flat"


def test_clusters_grow_with_the_square_root_and_keep_enough_training_points() -> None:
    assert vectorindex.clusters_for(10) == 1
    assert vectorindex.clusters_for(1_000_000) == 4000
    for n in (100, 5_000, 20_000, 100_000):
        assert 1 <= vectorindex.clusters_for(n) <= n // 39


def test_approximate_search_finds_what_exact_search_finds() -> None:
    x = clustered_vectors(8000, seed=2)
    queries = clustered_vectors(200, seed=3)
    exact = vectorindex.build(x, min_vectors=len(x) + 1)
    approximate = vectorindex.build(x, min_vectors=1000)
    _, truth = vectorindex.search(exact, queries, 10, nprobe=1)
    _, found = vectorindex.search(approximate, queries, 10, nprobe=Settings().ann_nprobe)
    assert _recall(found, truth) >= 0.95
    # Searching every cluster is exact search but for 16-bit rounding, which may swap near-ties.
    truth_scores, _ = vectorindex.search(exact, queries, 10, nprobe=1)
    scores, everything = vectorindex.search(approximate, queries, 10, nprobe=vectorindex.clusters_for(len(x)))
    assert _recall(everything, truth) >= 0.995
    np.testing.assert_allclose(scores, truth_scores, atol=2e-3)


def test_ids_are_rows_and_16_bit_storage_scores_within_rounding() -> None:
    x = clustered_vectors(500)
    for min_vectors in (100, 1000):  # approximate, exact
        index = vectorindex.build(x, min_vectors=min_vectors)
        scores, ids = vectorindex.search(index, x[:50], 1, nprobe=vectorindex.clusters_for(len(x)))
        np.testing.assert_array_equal(ids[:, 0], np.arange(50))
        np.testing.assert_allclose(scores[:, 0], 1.0, atol=2e-3)


def test_small_index_is_exact_and_has_no_sentence_indexes(tmp_path: Path) -> None:
    version = vector_index(tmp_path, per_language=100, ann_min_vectors=1000)
    manifest = json.loads((version / "manifest.json").read_text())
    assert set(manifest["vector_indexes"].values()) == {"Flat"}
    assert not [name for name in manifest["files"] if name.startswith("sentences-")]
    assert load_index(tmp_path).sentence_index == {}


def test_large_index_lists_its_approximate_indexes_in_the_manifest(tmp_path: Path) -> None:
    version = vector_index(tmp_path, per_language=400, ann_min_vectors=300)
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["ann_min_vectors"] == 300
    for lang in ("sv", "zh", "en"):
        assert manifest["vector_indexes"][f"dense-{lang}"].startswith("IVF")
        assert manifest["vector_indexes"][f"sentences-{lang}"].startswith("IVF")
        assert f"sentences-{lang}.faiss" in manifest["files"]
    index = load_index(tmp_path)
    assert set(index.sentence_index) == {"sv", "zh", "en"}
    for lang, rows in index.lang_rows.items():
        start = index.sentence_start[lang]
        assert start == index.sentence_ranges[rows[0], 0]
        # The sentence index's ids count from the language's first sentence.
        count = index.sentence_index[lang].ntotal
        assert count == index.sentence_ranges[rows[-1], 1] - start
        probe = index.sentence_vectors[start : start + count : 37]
        _, ids = vectorindex.search(index.sentence_index[lang], probe, 1, nprobe=vectorindex.clusters_for(count))
        np.testing.assert_array_equal(ids[:, 0], np.arange(0, count, 37))
    # Passage vectors are kept exactly, beside the approximate indexes.
    for lang, rows in index.lang_rows.items():
        _, ids = vectorindex.search(index.dense[lang], index.passage_vectors[rows], 1, nprobe=10_000)
        np.testing.assert_array_equal(ids[:, 0], np.arange(len(rows)))


def test_tampered_sentence_index_is_named(tmp_path: Path) -> None:
    version = vector_index(tmp_path / "built", per_language=400, ann_min_vectors=300)
    index_dir = tmp_path / "copy"
    index_dir.mkdir()
    shutil.copytree(version, index_dir / version.name)
    (index_dir / CURRENT).write_text(version.name)
    with (index_dir / version.name / "sentences-zh.faiss").open("r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\0\0\0\1")
    with pytest.raises(IndexInvalid, match=r"sentences-zh\.faiss .* does not match"):
        load_index(index_dir)
    (index_dir / version.name / "sentences-zh.faiss").unlink()
    with pytest.raises(IndexInvalid, match=r"missing sentences-zh\.faiss"):
        load_index(index_dir)


def _retriever(index_dir: Path) -> Retriever:
    # search() takes query vectors; the model only has to agree with the index's manifest.
    stub = SimpleNamespace(name="clustered", fingerprint="clustered", dimension=32)
    return Retriever(load_index(index_dir), stub, Settings())  # type: ignore[arg-type]


def test_approximate_retrieval_ranks_like_exact_retrieval(tmp_path: Path) -> None:
    exact = _retriever(vector_index(tmp_path / "exact", per_language=1500, ann_min_vectors=100_000).parent)
    approximate = _retriever(vector_index(tmp_path / "ann", per_language=1500, ann_min_vectors=1000).parent)
    assert not exact.index.sentence_index and set(approximate.index.sentence_index) == {"sv", "zh", "en"}
    np.testing.assert_array_equal(exact.index.sentence_vectors, approximate.index.sentence_vectors)
    shared = 0
    queries = clustered_vectors(60, seed=5)
    for i, query in enumerate(queries):
        lang = ("sv", "zh", "en")[i % 3]
        want = exact.search("", query, lang, limit=10)
        got = approximate.search("", query, lang, limit=10)
        shared += len({h.row for h in want} & {h.row for h in got})
        # The evidence of a passage found both ways is the same: it is computed exactly. (Its
        # fused score may differ a little: languages are calibrated over the candidates found.)
        scores = {h.row: (h.dense, h.sentence, h.sentence_score) for h in want}
        for hit in got:
            if hit.row in scores:
                assert scores[hit.row] == pytest.approx((hit.dense, hit.sentence, hit.sentence_score))
    assert shared / (10 * len(queries)) >= 0.95


def test_search_runs_on_one_thread_and_leaves_the_setting_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    index = vectorindex.build(clustered_vectors(600), min_vectors=100)
    seen: list[int] = []
    real = type(index).search

    def spy(self: faiss.Index, *args: object, **kwargs: object) -> object:
        seen.append(faiss.omp_get_max_threads())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(index), "search", spy)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(2)
    try:
        vectorindex.search(index, clustered_vectors(3, seed=9), 5, nprobe=4)
        assert seen == [1]
        assert faiss.omp_get_max_threads() == 2
    finally:
        faiss.omp_set_num_threads(before)

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kinabot.chunking import Passage
from kinabot.corpus import load_corpus
from kinabot.index import (
    CURRENT,
    IndexInvalid,
    IndexNotBuilt,
    build_index,
    current_version,
    is_up_to_date,
    load_index,
    passage_headings,
)

pytestmark = pytest.mark.slow


def test_version_folder_has_manifest_with_counts_and_hashes(built_index: Path, settings) -> None:
    manifest = json.loads((built_index / "manifest.json").read_text())
    assert manifest["model"]["dimension"] == 384
    assert manifest["documents"] == {"sv": 7, "zh": 6, "en": 2}
    assert sum(manifest["passages"].values()) >= 9
    assert set(manifest["files"]) >= {"passages.jsonl", "dense-sv.faiss", "dense-zh.faiss", "sentences.npy"}
    assert current_version(settings.index_dir) == built_index


def test_unchanged_corpus_and_model_need_no_rebuild(built_index: Path, settings, embedder) -> None:
    assert is_up_to_date(settings.index_dir, load_corpus(settings.corpus_dir), embedder)


def _copy(built_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "indexes"
    target.mkdir()
    shutil.copytree(built_index, target / built_index.name)
    (target / CURRENT).write_text(built_index.name)
    return target


def test_missing_file_is_named(built_index: Path, tmp_path: Path) -> None:
    index_dir = _copy(built_index, tmp_path)
    (index_dir / built_index.name / "dense-zh.faiss").unlink()
    with pytest.raises(IndexInvalid, match=r"missing dense-zh\.faiss"):
        load_index(index_dir)


def test_tampered_file_is_named(built_index: Path, tmp_path: Path) -> None:
    index_dir = _copy(built_index, tmp_path)
    with (index_dir / built_index.name / "passages.jsonl").open("a") as fh:
        fh.write("{}\n")
    with pytest.raises(IndexInvalid, match=r"passages\.jsonl .* does not match"):
        load_index(index_dir)


def test_no_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuilt, match="kinabot build"):
        load_index(tmp_path)


def test_index_built_with_another_model_is_refused(built_index: Path, tmp_path: Path, embedder, settings) -> None:
    from kinabot.search import Retriever

    index_dir = _copy(built_index, tmp_path)
    manifest_path = index_dir / built_index.name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"]["fingerprint"] = "another-model"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexInvalid, match="built with model"):
        Retriever(load_index(index_dir), embedder, settings)


def test_build_writes_a_new_version_and_prunes_old_ones(tmp_path: Path, corpus_dir: Path, embedder) -> None:
    corpus = load_corpus(corpus_dir)
    index_dir = tmp_path / "idx"
    versions = [build_index(corpus, embedder, index_dir, keep=2).name for _ in range(3)]
    left = sorted(p.name for p in index_dir.iterdir() if p.is_dir())
    assert left == sorted(versions[1:])
    assert current_version(index_dir).name == versions[-1]
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".build-")]


def _passage(lang: str, title: str, headings: tuple[str, ...]) -> Passage:
    return Passage("doc", lang, title, headings, "Text.", 0, 5, ((0, 5),))


def test_each_passage_points_at_its_innermost_heading() -> None:
    passages = [
        _passage("sv", "Moms", ("Moms", "Momssatser")),
        _passage("sv", "Moms", ("Moms",)),
        _passage("sv", "Moms", ("Moms", "Momssatser")),
        _passage("en", "VAT", ("VAT", "VAT rates")),
        _passage("en", "", ()),
    ]
    keys, rows = passage_headings(passages)
    assert keys == [("sv", "Momssatser"), ("sv", "Moms"), ("en", "VAT rates")]
    assert rows.tolist() == [0, 1, 0, 2, -1]  # a passage with neither heading nor title has none


def test_heading_vectors_are_loaded_for_every_passage(built_index: Path, settings) -> None:
    index = load_index(settings.index_dir)
    assert index.passage_heading.shape == (len(index.passages),)
    assert (index.passage_heading >= 0).all()  # every test document has a title
    assert index.heading_vectors.shape == (int(index.passage_heading.max()) + 1, index.passage_vectors.shape[1])

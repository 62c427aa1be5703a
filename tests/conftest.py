"""Shared fixtures: the real bundled model, loaded once, and a small real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinabot.settings import Settings
from tests.builders import write_corpus


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def settings(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Rate limits get their own tests; here one test client asks many questions in a row.
    return Settings(
        corpus_dir=corpus_dir,
        index_dir=tmp_path_factory.mktemp("indexes"),
        data_dir=tmp_path_factory.mktemp("data"),
        rate_limit_per_minute=0,
        reload_interval=0,
    )


@pytest.fixture(scope="session")
def embedder(settings: Settings):
    from kinabot.model import load_embedder

    return load_embedder(settings)


@pytest.fixture(scope="session")
def built_index(settings: Settings, embedder) -> Path:
    from kinabot.corpus import load_corpus
    from kinabot.index import build_index

    return build_index(load_corpus(settings.corpus_dir), embedder, settings.index_dir)


@pytest.fixture(scope="session")
def retriever(settings: Settings, embedder, built_index: Path):
    from kinabot.index import load_index
    from kinabot.search import Retriever

    return Retriever(load_index(settings.index_dir), embedder, settings)

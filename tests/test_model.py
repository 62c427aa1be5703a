from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from kinabot.model import (
    MIN_BF16_BATCH,
    SentenceTransformerEmbedder,
    model_identity,
    resolve_precision,
    token_length_runs,
)
from kinabot.settings import Settings

TEXTS = [
    "Hur registrerar jag ett aktiebolag i Sverige?",
    "苏州工业园区有哪些瑞典企业？",
    "How far is Suzhou from Shanghai by high-speed train?",
    "Växjö kommun har som mål att bli fossilfri.",
    "外国投资法自2020年1月1日起施行。",
    "kan jag sälja möbler på tmall",
    "CCC",
]


def test_runs_cover_every_text_once_in_length_order() -> None:
    lengths = [12, 40, 9, 11, 38, 10, 13, 41, 12, 10, 9, 39]
    runs = token_length_runs(lengths)
    assert sorted(i for run in runs for i in run) == list(range(len(lengths)))
    flat = [lengths[i] for run in runs for i in run]
    assert flat == sorted(flat)
    # Short and long questions are not padded together; like lengths stay together.
    assert len(runs) == 2
    assert {lengths[i] for i in runs[0]} <= set(range(9, 14)) and min(lengths[i] for i in runs[1]) >= 38


def test_like_lengths_make_one_run() -> None:
    assert token_length_runs([20, 21, 19, 20, 22, 20]) == [[2, 0, 3, 5, 1, 4]]
    assert token_length_runs([7]) == [[0]]
    assert token_length_runs([]) == []


def test_explicit_precision_is_kept() -> None:
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") in {"float32", "bfloat16"}


def test_unknown_precision_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINABOT_PRECISION", "float8")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.slow
def test_bfloat16_batches_give_the_float32_vectors(settings: Settings) -> None:
    identity = model_identity(settings)
    exact = SentenceTransformerEmbedder(*identity, precision="float32")
    fast = SentenceTransformerEmbedder(*identity, precision="bfloat16")
    assert len(TEXTS) >= MIN_BF16_BATCH
    for encode in ("encode_queries", "encode_passages"):
        a, b = getattr(exact, encode)(TEXTS), getattr(fast, encode)(TEXTS)
        assert a.dtype == b.dtype == np.float32
        assert a.shape == b.shape == (len(TEXTS), exact.dimension)
        assert np.sum(a * b, axis=1).min() >= 0.9999
        assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_a_batch_of_questions_gives_the_vectors_one_at_a_time_does(embedder) -> None:
    together = embedder.encode_queries(TEXTS * 2)
    alone = np.vstack([embedder.encode_queries([text]) for text in TEXTS * 2])
    reference = embedder.encode_bare(TEXTS * 2)
    assert np.sum(together * alone, axis=1).min() >= 0.9999
    assert np.sum(together * reference, axis=1).min() >= 0.9999

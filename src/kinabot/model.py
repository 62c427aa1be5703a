"""The embedding model: resolving the bundled one, loading it, and its prompts."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from kinabot.settings import BUNDLED_MODEL, Settings

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """What retrieval needs from a model; a second implementation is a real option (tests, ONNX)."""

    @property
    def name(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...


class ModelNotAvailable(RuntimeError):
    """The configured model cannot be loaded from this machine."""


class SentenceTransformerEmbedder:
    """A sentence-transformers model with e5-style ``query:`` / ``passage:`` prompts."""

    def __init__(self, path: str, name: str, fingerprint: str, precision: str = "float32") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # A batch of questions is a few hundred tokens: handing it to a pool of tokenizer
        # threads costs more than it saves, and those threads would compete with torch's.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        try:
            self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except OSError as exc:
            raise ModelNotAvailable(
                f"cannot load embedding model {name!r}: {exc.__class__.__name__}. "
                "Set KINABOT_MODEL to 'bundled' or to a sentence-transformers folder on this machine."
            ) from None
        self.name = name
        self.fingerprint = fingerprint
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or 0)
        prompts = self._model.prompts or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self.precision = resolve_precision(precision)
        self._graphs: dict[bool, object] = {}
        self._pad_id = int(self._model.tokenizer.pad_token_id or 0)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions straight through the modules: the serving hot path.

        ``SentenceTransformer.encode`` re-checks the device of every parameter on each call
        and sorts by characters, which says little about tokens when Chinese and Swedish
        questions share a batch. Here a batch is cut into runs of like token length, so a
        short question is not padded to the longest one. The vectors are the same as
        ``encode`` gives (checked by the tests).
        """
        import torch

        prompt = (self._model.prompts.get(self._query_prompt) or "") if self._query_prompt else ""
        texts = [prompt + text for text in texts]
        prepare = getattr(self._model, "preprocess", None) or self._model.tokenize
        ids = self._token_ids(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for rows in token_length_runs([len(i) for i in ids]):
            fast = self.precision == "bfloat16" and len(rows) >= MIN_BF16_BATCH
            graph = self._graph(fast)
            with torch.inference_mode():
                if graph is not None:
                    vectors = graph(*_padded([ids[i] for i in rows], self._pad_id))
                else:
                    features = prepare([texts[i] for i in rows])
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
                        vectors = self._model(features)["sentence_embedding"]
            out[rows] = torch.nn.functional.normalize(vectors.float(), dim=-1).numpy()
        return out

    def _graph(self, bf16: bool):
        """The model traced into one TorchScript graph, made on first use (per arithmetic).

        Run eagerly, every layer of every module comes back to Python and takes the GIL
        again; on a busy server the web thread holds it, and an encode can take ten times
        as long. A traced graph runs in C++ from start to end. Only the plain shape of
        model (a BERT-style transformer, then mean pooling) is traced; anything else runs
        eagerly.
        """
        if bf16 in self._graphs:
            return self._graphs[bf16]
        graph = None
        try:
            graph = _trace_mean_pooled(self._model, bf16)
        except Exception as exc:  # an unusual model: eager mode is correct, only slower
            logger.info("encoding eagerly, the model could not be traced: %s", type(exc).__name__)
        self._graphs[bf16] = graph
        return graph

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        limit = self._model.max_seq_length or 512
        return self._model.tokenizer(texts, truncation=True, max_length=limit)["input_ids"]

    def encode_bare(self, texts: list[str]) -> np.ndarray:
        """Queries through ``SentenceTransformer.encode`` itself: the reference the benchmark compares with."""
        return self._encode(texts, self._query_prompt, False)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._passage_prompt, show_progress)

    def _encode(self, texts: list[str], prompt: str | None, show_progress: bool) -> np.ndarray:
        """Batches, sorted by length in ``encode``; in bfloat16 where the CPU does that natively.

        A few texts stay in float32: casting the weights costs more than it saves there.
        """
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        fast = self.precision == "bfloat16" and len(texts) >= MIN_BF16_BATCH
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
            vectors = self._model.encode(
                texts,
                prompt_name=prompt,
                batch_size=32,
                normalize_embeddings=True,
                convert_to_tensor=True,
                show_progress_bar=show_progress,
            )
        return np.ascontiguousarray(vectors.float().numpy(), dtype=np.float32)


MIN_BF16_BATCH = 4


def _padded(rows: list[list[int]], pad_id: int):
    """Token ids padded to the longest row, and the attention mask that says which are real."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for n, row in enumerate(rows):
        ids[n, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[n, : len(row)] = 1
    return ids, mask


def _trace_mean_pooled(model, bf16: bool):
    """A TorchScript graph of transformer plus mean pooling, or ``None`` for other models."""
    import warnings

    import torch

    names = [type(module).__name__ for module in model]
    pooling = model[1].get_config_dict() if len(model) > 1 else {}
    if names[:2] != ["Transformer", "Pooling"] or pooling.get("pooling_mode", "mean") != "mean":
        return None
    if not pooling.get("include_prompt", True):
        return None

    class MeanPooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    wrapped = MeanPooled(model[0].auto_model).eval()
    prepare = getattr(model, "preprocess", None) or model.tokenize
    example = prepare(["query: ett exempel på en fråga", "query: 一个示例问题", "query: x", "query: y"])
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about Python values; checked against eager below
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            graph = torch.jit.trace(wrapped, (example["input_ids"], example["attention_mask"]), check_trace=False)
            # The graph must agree with the eager model on another batch and length.
            check = prepare(["query: " + "en längre fråga om varumärken i Kina " * 3] * 5)
            eager = wrapped(check["input_ids"], check["attention_mask"]).float()
            traced = graph(check["input_ids"], check["attention_mask"]).float()
    cosine = torch.nn.functional.cosine_similarity(eager, traced, dim=-1).min().item()
    if cosine < 0.9999:
        raise ValueError(f"traced model disagrees with the eager one (cosine {cosine:.5f})")
    return graph


RUN_OVERHEAD_TOKENS = 32  # a forward pass costs about as much as this many more tokens


def token_length_runs(lengths: list[int]) -> list[list[int]]:
    """Split texts into runs to encode together, each padded to its longest member.

    Sorted by length, the cheapest cut is found exactly (there are at most a few dozen
    texts): a run costs its size times its longest length, plus a fixed cost per forward
    pass; runs under ``MIN_BF16_BATCH`` are charged as that size, since bfloat16 needs a
    few rows to pay off.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    best = [0.0] + [float("inf")] * len(order)
    start = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        for begin in range(end):
            cost = best[begin] + RUN_OVERHEAD_TOKENS + max(end - begin, MIN_BF16_BATCH) * longest
            if cost < best[end]:
                best[end], start[end] = cost, begin
    runs, end = [], len(order)
    while end > 0:
        runs.append(order[start[end] : end])
        end = start[end]
    return runs[::-1]


def resolve_precision(precision: str) -> str:
    """``auto`` means bfloat16 only where oneDNN runs it natively; emulated bfloat16 is slower than float32."""
    if precision != "auto":
        return precision
    import torch

    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return "bfloat16" if native else "float32"


def _folder_fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(file.relative_to(folder).as_posix().encode())
        if file.suffix in {".json", ".txt", ".model"} or file.stat().st_size < 1 << 20:
            digest.update(file.read_bytes())
        else:
            digest.update(str(file.stat().st_size).encode())
    return digest.hexdigest()[:16]


def model_identity(settings: Settings) -> tuple[str, str, str]:
    """Where the configured model is, its name and fingerprint, without loading it."""
    if settings.model == BUNDLED_MODEL:
        from kinabot.e5convert import ensure_bundled_model

        folder = ensure_bundled_model(settings.model_cache_dir)
        source = json.loads((folder / "kinabot_source.json").read_text())
        return str(folder), "bundled:multilingual-e5-small-q4", f"{source['sha256'][:16]}-c{source['converter']}"
    folder = Path(settings.model).expanduser()
    if folder.is_dir():
        return str(folder), settings.model, _folder_fingerprint(folder)
    # A hub-style name only works if it is already in the local cache: nothing is downloaded.
    return settings.model, settings.model, hashlib.sha256(settings.model.encode()).hexdigest()[:16]


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The model named by ``KINABOT_MODEL``: the bundled one (converted once, then cached) or a folder/name."""
    return SentenceTransformerEmbedder(*model_identity(settings), precision=settings.precision)

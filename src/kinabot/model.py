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

    def __init__(self, path: str, name: str, fingerprint: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._encode_one(texts[0], self._query_prompt)
        return self._encode(texts, self._query_prompt, False)

    def _encode_one(self, text: str, prompt_name: str | None) -> np.ndarray:
        """One short text straight through the modules: the serving hot path.

        ``SentenceTransformer.encode`` re-checks the device of every parameter and sorts
        batches on each call, a few milliseconds that a single question does not need.
        The result is the same vector (checked by the tests against ``encode``).
        """
        import torch

        prompt = (self._model.prompts.get(prompt_name) or "") if prompt_name else ""
        prepare = getattr(self._model, "preprocess", None) or self._model.tokenize
        features = prepare([prompt + text])
        with torch.inference_mode():
            vector = self._model(features)["sentence_embedding"]
            vector = torch.nn.functional.normalize(vector, dim=-1)
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)

    def encode_bare(self, texts: list[str]) -> np.ndarray:
        """Queries through ``SentenceTransformer.encode`` itself: the reference the benchmark compares with."""
        return self._encode(texts, self._query_prompt, False)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._passage_prompt, show_progress)

    def _encode(self, texts: list[str], prompt: str | None, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            prompt_name=prompt,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


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
    return SentenceTransformerEmbedder(*model_identity(settings))

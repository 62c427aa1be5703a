"""Vectors remembered by model and text, so a rebuild embeds only what changed.

``CachedEmbedder`` is itself an :class:`~kinabot.model.Embedder`: the index builder and
the evaluation harness use it without knowing. The model is loaded on the first text
the cache does not hold, so a rebuild that changes nothing never loads it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kinabot.model import Embedder

Progress = Callable[[int, int], None]  # (texts just encoded, texts newly queued)
CHUNK = 256


class CachedEmbedder:
    """An embedder in front of an SQLite table of vectors keyed by (model, prompt, text)."""

    def __init__(
        self,
        path: Path,
        embedder: Embedder | Callable[[], Embedder],
        fingerprint: str | None = None,
        name: str | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
        self._lock = threading.Lock()
        self._loaded: Embedder | None = None if callable(embedder) and fingerprint else embedder  # type: ignore[assignment]
        self._load = embedder if self._loaded is None else None
        self.fingerprint = fingerprint or self._model().fingerprint
        self.name = name or self._model().name
        self._dimension: int | None = None
        self.embedded = 0  # texts the model had to encode
        self.reused = 0  # texts found in the cache
        self.seconds = 0.0  # time spent getting vectors, from the cache or the model
        self.on_progress: Progress | None = None

    def _model(self) -> Embedder:
        if self._loaded is None:
            assert self._load is not None
            self._loaded = self._load()  # type: ignore[operator]
        return self._loaded

    @property
    def model_loaded(self) -> bool:
        return self._loaded is not None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            query = "SELECT vector FROM vectors WHERE key LIKE ? LIMIT 1"
            row = self._db.execute(query, (self._prefix() + "%",)).fetchone()
            self._dimension = len(row[0]) // 4 if row else self._model().dimension
        return self._dimension

    def _prefix(self) -> str:
        return self.fingerprint[:16] + ":"

    def _key(self, kind: str, text: str) -> str:
        return self._prefix() + hashlib.sha256(f"{self.fingerprint}\0{kind}\0{text}".encode()).hexdigest()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query", False)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", show_progress)

    def _encode(self, texts: list[str], kind: str, show_progress: bool) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self._vectors(texts, kind)
        finally:
            self.seconds += time.perf_counter() - started

    def _vectors(self, texts: list[str], kind: str) -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        found = self._lookup(keys)
        # Longest first, so each slice sent to the model holds texts of like length and
        # little of every batch is padding.
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items(), key=lambda kv: -len(kv[1])
        )
        self.reused += len(set(keys)) - len(missing)
        if missing and self.on_progress is not None:
            self.on_progress(0, len(missing))
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            model = self._model()
            encode = model.encode_queries if kind == "query" else model.encode_passages
            vectors = encode([t for _, t in chunk])
            rows = [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(chunk, vectors, strict=True)]
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            found.update({k: v for (k, _), v in zip(chunk, vectors, strict=True)})
            self.embedded += len(chunk)
            if self.on_progress is not None:
                self.on_progress(len(chunk), 0)
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.ascontiguousarray(np.stack([found[k] for k in keys]), dtype=np.float32)

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def close(self) -> None:
        self._db.close()

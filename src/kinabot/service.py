"""The running service's state: the model, the index being served, and what happens around
each answer (batching, switching to a new index version, recording).

The HTTP layer calls this; nothing here knows about HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kinabot.answer import Answer
from kinabot.errors import IndexNotReady, KinabotError
from kinabot.index import IndexError_, current_version, load_index
from kinabot.model import Embedder, ModelNotAvailable, load_embedder
from kinabot.observability import Metrics
from kinabot.search import Retriever
from kinabot.settings import Settings

if TYPE_CHECKING:
    from kinabot.records import Store

logger = logging.getLogger(__name__)

MAX_BATCH = 32
PURGE_EVERY = 24 * 3600.0  # seconds between deletions of records past the retention period


@dataclass
class _Pending:
    question: str
    lang: str | None
    top_k: int | None
    future: asyncio.Future


class Service:
    """One per process: answers questions, keeps the newest good index, records use."""

    def __init__(self, settings: Settings, retriever: Retriever | None = None, store: Store | None = None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.embedder: Embedder | None = retriever.embedder if retriever else None
        self.store = store
        self.metrics = Metrics()
        self.load_error: str | None = None  # why nothing is served yet
        self.reload_error: str | None = None  # why the newest version is not the one served
        self._failed_version: str | None = None
        self._queue: asyncio.Queue[_Pending] | None = None
        self._tasks: list[asyncio.Task] = []
        self.background: set[asyncio.Task] = set()  # rebuilds started by an admin
        # All model work runs on one long-lived thread: torch's OpenMP team is per calling
        # thread, and several teams spinning on two cores make every encode slower.
        self._model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinabot-model")
        # Loading a new index and writing records must not wait behind questions, nor delay them.
        self._side_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinabot-side")
        self._reload_lock = asyncio.Lock()

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        if self.retriever is None:
            try:
                self.retriever = await loop.run_in_executor(self._model_thread, self._load)
            except (IndexError_, KinabotError, ModelNotAvailable, OSError) as exc:
                self.load_error = str(exc)
                logger.error("not ready: %s", exc)
                # The watcher tries again once CURRENT points at another version, not before.
                version = current_version(self.settings.index_dir)
                self._failed_version = version.name if version is not None else None
        if self.retriever is not None:
            self.metrics.set_index(self.retriever.index.manifest)
        if self.store is not None:
            await loop.run_in_executor(self._side_thread, self._start_store)
            self._tasks.append(asyncio.create_task(self._purge_daily(self.store), name="kinabot-purge"))
        self._tasks.append(asyncio.create_task(self._answer_batches(), name="kinabot-batches"))
        if self.settings.reload_interval > 0:
            self._tasks.append(asyncio.create_task(self._watch(), name="kinabot-watch"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._model_thread.shutdown(wait=False, cancel_futures=True)
        self._side_thread.shutdown(wait=True)
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def _load(self) -> Retriever:
        if self.embedder is None:
            self.embedder = load_embedder(self.settings)
        found = Retriever(load_index(self.settings.index_dir), self.embedder, self.settings)
        found.warm_up()
        return found

    def _start_store(self) -> None:
        # The store migrates and deletes rows past the retention period; it never raises,
        # and the answers go out whether or not the database is there.
        if self.store is not None and not self.store.start():
            logger.error("database unavailable: questions will not be recorded until it is back")

    async def _purge_daily(self, store: Store) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(PURGE_EVERY)
            try:
                await loop.run_in_executor(self._side_thread, store.purge, self.settings.retention_days)
            except Exception as exc:
                logger.error("purging old records failed: %s", type(exc).__name__)

    # -- answering ----------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.retriever is not None

    async def ask(self, question: str, lang: str | None, top_k: int | None) -> Answer:
        if self.retriever is None or self._queue is None:
            raise IndexNotReady()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(question, lang, top_k, future))
        return await future

    async def _answer_batches(self) -> None:
        """Take every question waiting, answer them with one model call, repeat."""
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [p for p in batch if not p.future.done()]  # the client went away
            if not batch:
                continue
            retriever = self.retriever  # one index for the whole batch, even if a switch happens meanwhile
            assert retriever is not None
            self.metrics.batch_size.observe(len(batch))
            try:
                results = await loop.run_in_executor(
                    self._model_thread, retriever.ask_many, [(p.question, p.lang, p.top_k) for p in batch]
                )
            except Exception as exc:
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            for pending, result in zip(batch, results, strict=True):
                if pending.future.done():
                    continue
                if isinstance(result, KinabotError):
                    pending.future.set_exception(result)
                else:
                    pending.future.set_result(result)

    def record_answer(self, answer: Answer, seconds: float) -> None:
        """Count the answer and store it, off the request's path."""
        self.metrics.answers.labels(lang=answer.language).inc()
        if answer.no_answer:
            self.metrics.no_answers.labels(lang=answer.language).inc()
        if self.store is None or not self.settings.record_questions:
            return
        doc_ids = list(dict.fromkeys(p.doc_id for p in answer.passages))
        self._side(
            self.store.record_question,
            question=answer.question,
            lang=answer.language,
            doc_ids=doc_ids,
            no_answer=answer.no_answer,
            latency_ms=round(seconds * 1000, 2),
            index_version=answer.index_version,
        )

    def record_feedback(self, **fields: object) -> None:
        if self.store is None or not self.settings.record_questions:
            return
        self._side(self.store.record_feedback, **fields)

    def _side(self, call: Callable[..., bool], **fields: object) -> None:
        def run() -> None:
            try:
                ok = call(**fields)
            except Exception as exc:  # a recording must never reach the visitor
                logger.error("recording failed: %s", type(exc).__name__)
                ok = False
            if ok is False:
                self.metrics.record_failures.inc()

        with contextlib.suppress(RuntimeError):  # shutting down
            self._side_thread.submit(run)

    def embedder_for_builds(self) -> Embedder | None:
        """The served model for a build in this process, its work queued on the model
        thread in small pieces so questions still get answered between them (and the
        tokenizer is never used by two threads at once)."""
        if self.embedder is None:
            return None
        return _QueuedEmbedder(self.embedder, self._model_thread)

    # -- switching index versions -------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_interval)
            try:
                await self.reload()
            except Exception as exc:  # the watcher must outlive any one failure
                logger.error("index check failed: %s", exc)

    async def reload(self) -> str | None:
        """Switch to the version CURRENT points at if it is new and verifies; returns it.

        Questions already taken keep the index they started with; the next batch gets the
        new one. A version that fails verification is left alone until CURRENT changes.
        """
        async with self._reload_lock:
            version = current_version(self.settings.index_dir)
            if version is None:
                return None
            serving = self.retriever.index.version if self.retriever else None
            if version.name in (serving, self._failed_version):
                return None
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            try:
                if self.embedder is None:
                    self.embedder = await loop.run_in_executor(self._model_thread, load_embedder, self.settings)
                index = await loop.run_in_executor(self._side_thread, load_index, self.settings.index_dir, version.name)
                fresh = Retriever(index, self.embedder, self.settings)
            except (IndexError_, OSError, ValueError, ModelNotAvailable) as exc:
                self._failed_version = version.name
                self.reload_error = f"index version {version.name} was not loaded: {exc}"
                self.metrics.reloads.labels(outcome="failed").inc()
                logger.error("%s; still serving %s", self.reload_error, serving or "nothing")
                return None
            self.retriever = fresh
            self.load_error = self.reload_error = self._failed_version = None
            self.metrics.set_index(index.manifest)
            self.metrics.reloads.labels(outcome="switched").inc()
            logger.info(
                "now serving index version %s (was %s, loaded in %.2f s)",
                index.version,
                serving,
                time.monotonic() - started,
            )
            return index.version


class _QueuedEmbedder:
    """An embedder whose encoding runs on another thread's executor, a slice at a time."""

    SLICE = 32

    def __init__(self, embedder: Embedder, executor: ThreadPoolExecutor) -> None:
        self._embedder = embedder
        self._executor = executor
        self.name = embedder.name
        self.fingerprint = embedder.fingerprint
        self.dimension = embedder.dimension

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._sliced(self._embedder.encode_queries, texts)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._sliced(self._embedder.encode_passages, texts)

    def _sliced(self, encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._executor.submit(encode, texts[i : i + self.SLICE]).result() for i in range(0, len(texts), self.SLICE)
        ]
        return np.concatenate(parts)

"""The running service's state: the model, the index being served, and what happens around
each answer (batching, switching to a new index version, recording).

The HTTP layer calls this; nothing here knows about HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from kinabot.answer import Answer
from kinabot.errors import IndexNotReady, KinabotError
from kinabot.index import IndexError_, current_version, load_index
from kinabot.model import Embedder, ModelNotAvailable, load_embedder
from kinabot.modelthread import ModelThread, Question
from kinabot.observability import Metrics
from kinabot.search import Retriever
from kinabot.settings import Settings

if TYPE_CHECKING:
    from kinabot.records import Store

logger = logging.getLogger(__name__)

PURGE_EVERY = 24 * 3600.0  # seconds between deletions of records past the retention period


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
        self._running = False
        self._tasks: list[asyncio.Task] = []
        self.background: set[asyncio.Task] = set()  # rebuilds started by an admin
        self._model_thread = ModelThread(self._answer_batch)
        # Loading a new index and writing records must not wait behind questions, nor delay them.
        self._side_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinabot-side")
        self.answers = AnswerCache(settings.answer_cache)
        # Answered questions wait here for the side thread, which stores all of them in one go.
        self._unrecorded: list[dict[str, object]] = []
        self._unrecorded_lock = threading.Lock()
        self._reload_lock = asyncio.Lock()

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._model_thread.alive:  # started again after a stop
            self._model_thread = ModelThread(self._answer_batch)
        self._running = True
        if self.retriever is None:
            try:
                self.retriever = await self._model_thread.run(self._load)
            except (IndexError_, KinabotError, ModelNotAvailable, OSError) as exc:
                self.load_error = str(exc)
                logger.error("not ready: %s", exc)
                # The watcher tries again once CURRENT points at another version, not before.
                version = current_version(self.settings.index_dir)
                self._failed_version = version.name if version is not None else None
        if self.retriever is not None:
            self.metrics.set_index(self.retriever.index.manifest)
            settle_heap()
        if self.store is not None:
            await loop.run_in_executor(self._side_thread, self._start_store)
            self._tasks.append(asyncio.create_task(self._purge_daily(self.store), name="kinabot-purge"))
        if self.settings.reload_interval > 0:
            self._tasks.append(asyncio.create_task(self._watch(), name="kinabot-watch"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._running = False
        self._model_thread.stop()
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
        if self.retriever is None or not self._running:
            raise IndexNotReady()
        started = time.perf_counter()
        cached = self.answers.get((self.retriever.index.version, question, lang, top_k))
        if cached is not None:
            self.metrics.cached_answers.inc()
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._model_thread.ask(Question(question, lang, top_k, future, loop))
        return await future

    def _answer_batch(self, batch: list[Question]) -> list[Answer | KinabotError]:
        """On the model thread: every question waiting, with one model call."""
        retriever = self.retriever  # one index for the whole batch, even if a switch happens meanwhile
        if retriever is None:
            return [IndexNotReady() for _ in batch]
        self.metrics.batch_size.observe(len(batch))
        results = retriever.ask_many([(q.question, q.lang, q.top_k) for q in batch])
        for q, result in zip(batch, results, strict=True):
            if not isinstance(result, KinabotError):
                self.answers.put((retriever.index.version, q.question, q.lang, q.top_k), result)
        return results

    def record_answer(self, answer: Answer, seconds: float) -> None:
        """Count the answer and store it, off the request's path."""
        self.metrics.answers.labels(lang=answer.language).inc()
        if answer.no_answer:
            self.metrics.no_answers.labels(lang=answer.language).inc()
        if self.store is None or not self.settings.record_questions:
            return
        row = {
            "question": answer.question,
            "lang": answer.language,
            "doc_ids": list(dict.fromkeys(p.doc_id for p in answer.passages)),
            "no_answer": answer.no_answer,
            "latency_ms": round(seconds * 1000, 2),
            "index_version": answer.index_version,
        }
        with self._unrecorded_lock:
            self._unrecorded.append(row)
            first = len(self._unrecorded) == 1
        if first:  # otherwise a flush is already on its way and will take this row too
            self._side(self._flush_questions)

    def _flush_questions(self) -> int:
        with self._unrecorded_lock:
            rows, self._unrecorded = self._unrecorded, []
        return self.store.record_questions(rows) if self.store is not None and rows else 0

    def record_feedback(self, **fields: Any) -> None:
        store = self.store
        if store is None or not self.settings.record_questions:
            return
        self._side(lambda: 0 if store.record_feedback(**fields) else 1)

    def _side(self, record: Callable[[], int]) -> None:
        """Run a recording on the side thread; ``record`` returns how many rows it lost."""

        def run() -> None:
            try:
                lost = record()
            except Exception as exc:  # a recording must never reach the visitor
                logger.error("recording failed: %s", type(exc).__name__)
                lost = 1
            if lost:
                self.metrics.record_failures.inc(lost)

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
                    self.embedder = await self._model_thread.run(load_embedder, self.settings)
                index = await loop.run_in_executor(self._side_thread, load_index, self.settings.index_dir, version.name)
                fresh = Retriever(index, self.embedder, self.settings)
            except (IndexError_, OSError, ValueError, ModelNotAvailable) as exc:
                self._failed_version = version.name
                self.reload_error = f"index version {version.name} was not loaded: {exc}"
                self.metrics.reloads.labels(outcome="failed").inc()
                logger.error("%s; still serving %s", self.reload_error, serving or "nothing")
                return None
            self.retriever = fresh
            self.answers.clear()
            del index, fresh
            await loop.run_in_executor(self._side_thread, settle_heap)
            self.load_error = self.reload_error = self._failed_version = None
            self.metrics.set_index(self.retriever.index.manifest)
            self.metrics.reloads.labels(outcome="switched").inc()
            logger.info(
                "now serving index version %s (was %s, loaded in %.2f s)",
                version.name,
                serving,
                time.monotonic() - started,
            )
            return version.name


class AnswerCache:
    """The most recently used answers, by (index version, question, lang, top_k).

    Visitors click the same suggested questions and ask the same few things; an answer
    already given costs nothing to give again. Read on the event loop, filled on the
    model thread.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: tuple, answer: Answer) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)


def settle_heap() -> None:
    """Collect once, then exempt what is alive now (the index, the model) from the collector.

    An index is hundreds of thousands of long-lived objects; a full collection over them
    stops every thread for about 200 ms, which a visitor would feel as a random stall.
    The old index's cycles are collected here first, so nothing from it stays frozen.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class _QueuedEmbedder:
    """An embedder whose encoding runs on another thread's executor, a slice at a time."""

    SLICE = 32

    def __init__(self, embedder: Embedder, executor: ModelThread) -> None:
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

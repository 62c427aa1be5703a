"""The one thread that owns the model: batches of questions, and other model work between them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

MAX_BATCH = 32


@dataclass
class Question:
    """A question waiting for the model, and where its answer goes."""

    question: str
    lang: str | None
    top_k: int | None
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop


@dataclass
class _Call:
    fn: Callable[..., Any]
    args: tuple
    future: Future


_STOP = object()


class ModelThread:
    """Runs every use of the model on one long-lived thread.

    torch's OpenMP team belongs to the calling thread, and two teams spinning on two
    cores slow every encode down. The thread takes its next batch from the queue itself
    the moment the last one is done, so a busy event loop never leaves it idle; answers
    go back to the loop in one callback per batch.
    """

    def __init__(self, answer_batch: Callable[[list[Question]], list[Any]], name: str = "kinabot-model") -> None:
        self._answer_batch = answer_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def ask(self, question: Question) -> None:
        self._queue.put(question)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` on the model thread, between two batches of questions."""
        future: Future = Future()
        self._queue.put(_Call(fn, args, future))
        return future

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def stop(self) -> None:
        self._queue.put(_STOP)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        carried = None
        while True:
            item = carried if carried is not None else self._queue.get()
            carried = None
            if item is _STOP:
                return
            if isinstance(item, _Call):
                self._call(item)
                continue
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, Question):
                    batch.append(more)
                else:
                    carried = more  # a call or the stop: after this batch
                    break
            self._answer(batch)

    @staticmethod
    def _call(call: _Call) -> None:
        if not call.future.set_running_or_notify_cancel():
            return
        try:
            call.future.set_result(call.fn(*call.args))
        except BaseException as exc:
            call.future.set_exception(exc)

    def _answer(self, batch: list[Question]) -> None:
        batch = [q for q in batch if not q.future.done()]  # the visitor went away
        if not batch:
            return
        try:
            results: list[Any] = self._answer_batch(batch)
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} answers for {len(batch)} questions")
        except Exception as exc:  # every question in the batch gets the error, the thread lives on
            logger.error("answering a batch failed: %s", type(exc).__name__)
            results = [exc] * len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any]]] = {}
        for question, result in zip(batch, results, strict=True):
            by_loop.setdefault(question.loop, []).append((question.future, result))
        for loop, outcomes in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[tuple[asyncio.Future, Any]]) -> None:
    for future, result in outcomes:
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)

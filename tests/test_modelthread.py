from __future__ import annotations

import asyncio
import threading

import pytest

from kinabot.modelthread import MAX_BATCH, ModelThread, Question


def _echo_thread(batches: list[list[str]]) -> ModelThread:
    def answer(batch: list[Question]) -> list[object]:
        batches.append([q.question for q in batch])
        return [q.question.upper() for q in batch]

    return ModelThread(answer)


def test_questions_that_wait_are_answered_together() -> None:
    batches: list[list[str]] = []
    worker = _echo_thread(batches)
    gate = threading.Event()

    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        blocked = worker.submit(gate.wait)  # the thread is busy while the questions arrive
        futures = []
        for i in range(MAX_BATCH + 3):
            future = loop.create_future()
            worker.ask(Question(f"q{i}", None, None, future, loop))
            futures.append(future)
        gate.set()
        assert await asyncio.wrap_future(blocked) is True
        return await asyncio.gather(*futures)

    try:
        answers = asyncio.run(main())
    finally:
        worker.stop()
    assert answers == [f"Q{i}" for i in range(MAX_BATCH + 3)]
    assert [len(b) for b in batches] == [MAX_BATCH, 3]


def test_a_failing_batch_fails_its_questions_and_the_thread_goes_on() -> None:
    calls = []

    def answer(batch: list[Question]) -> list[object]:
        calls.append(len(batch))
        if len(calls) == 1:
            raise ValueError("broken model")
        if len(calls) == 2:
            return []  # answers missing: an error for each question, not a dead thread
        return ["fine"] * len(batch)

    worker = ModelThread(answer)

    async def ask(question: str) -> object:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        worker.ask(Question(question, None, None, future, loop))
        return await future

    try:
        with pytest.raises(ValueError, match="broken model"):
            asyncio.run(ask("first"))
        with pytest.raises(RuntimeError, match="0 answers for 1 questions"):
            asyncio.run(ask("second"))
        assert asyncio.run(ask("third")) == "fine"
        assert asyncio.run(worker.run(lambda a, b: a + b, 2, 3)) == 5
        with pytest.raises(ZeroDivisionError):
            asyncio.run(worker.run(lambda: 1 / 0))
    finally:
        worker.stop()


def test_a_question_whose_visitor_left_is_not_answered() -> None:
    batches: list[list[str]] = []
    worker = _echo_thread(batches)
    gate = threading.Event()

    async def main() -> object:
        loop = asyncio.get_running_loop()
        blocked = worker.submit(gate.wait)
        gone, kept = loop.create_future(), loop.create_future()
        worker.ask(Question("gone", None, None, gone, loop))
        worker.ask(Question("kept", None, None, kept, loop))
        gone.cancel()
        gate.set()
        await asyncio.wrap_future(blocked)
        return await kept

    try:
        assert asyncio.run(main()) == "KEPT"
    finally:
        worker.stop()
    assert batches == [["kept"]]


def test_stop_ends_the_thread() -> None:
    worker = _echo_thread([])
    assert worker.alive
    worker.stop()
    worker._thread.join(timeout=5)
    assert not worker.alive

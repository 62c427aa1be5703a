"""Server workers: the shared board, whose turn it is, and `kinabot serve --workers 2` for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kinabot.builder import build
from kinabot.settings import Settings
from kinabot.workers import NOT_READY, Board, my_turn
from tests.builders import write_corpus
from tests.servers import running_service


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_each_worker_claims_its_own_slot(tmp_path: Path) -> None:
    board = Board.create(tmp_path / "board", 2)
    assert board.claim(pid=os.getpid()) == 0
    assert board.claim(pid=os.getppid()) == 1
    with pytest.raises(RuntimeError, match="all 2 worker slots are taken"):
        board.claim(pid=os.getpid())


def test_a_restarted_worker_takes_the_slot_of_one_that_ended(tmp_path: Path) -> None:
    board = Board.create(tmp_path / "board", 2)
    board.claim(pid=os.getppid())
    board.claim(pid=_ended_pid())
    board.publish(1, 7)
    assert board.claim(pid=os.getpid()) == 1
    assert board.rows[1].tolist() == [os.getpid(), 0]


def test_the_least_busy_live_peer_is_what_counts(tmp_path: Path) -> None:
    board = Board.create(tmp_path / "board", 4)
    me = board.claim(pid=os.getpid())
    assert board.fewest_elsewhere(me) is None  # alone
    busy, quiet, dead = board.claim(pid=os.getppid()), board.claim(pid=1), board.claim(pid=_ended_pid())
    board.publish(busy, 9)
    board.publish(quiet, 4)
    board.publish(dead, 0)  # an ended worker's last figure does not hold the others back
    assert board.fewest_elsewhere(me) == 4
    board.release(1)
    assert board.fewest_elsewhere(me) == 9


def test_every_process_sees_the_same_board(tmp_path: Path) -> None:
    board = Board.create(tmp_path / "board", 2)
    code = (
        "import sys; from pathlib import Path; from kinabot.workers import Board;"
        "b = Board(Path(sys.argv[1])); b.publish(b.claim(), 5)"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "board")], check=True)
    assert board.rows[0, 1] == 5


@pytest.mark.parametrize(
    ("mine", "fewest", "turn"),
    [
        (3, None, True),  # no peer
        (3, 3, True),  # level: both may take it
        (2, 5, True),
        (6, 5, False),  # a peer holds fewer
        (NOT_READY, 40, False),  # loading: leave visitors to a ready peer
        (NOT_READY, NOT_READY + 2, True),  # everyone is loading: /readyz must still answer
    ],
)
def test_a_worker_takes_the_next_connection_only_when_no_peer_is_less_busy(
    mine: int, fewest: int | None, turn: bool
) -> None:
    assert my_turn(mine, fewest) is turn


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _workers(parent: int) -> set[int]:
    return {c for c in _children(parent) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()}


@pytest.mark.slow
def test_two_workers_share_the_questions_and_survive_losing_one(tmp_path: Path, embedder) -> None:
    corpus, index_dir = write_corpus(tmp_path / "corpus"), tmp_path / "indexes"
    build(Settings(corpus_dir=corpus, index_dir=index_dir), embedder=embedder)
    env = {
        "KINABOT_CORPUS_DIR": str(corpus),
        "KINABOT_INDEX_DIR": str(index_dir),
        "KINABOT_DATA_DIR": str(tmp_path / "data"),
        "KINABOT_RATE_LIMIT_PER_MINUTE": "0",
        "KINABOT_RELOAD_INTERVAL": "0",
        "KINABOT_LOG_FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    questions = ["Hur startar jag ett företag?", "如何在苏州设立公司？", "How do I register a company?"] * 10

    def ask(question: str) -> int:
        # A new connection for each question, as the load test makes.
        return httpx.post(f"{base}/api/ask", json={"question": question}, timeout=60).status_code

    def logged() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]

    def answered_by() -> set[int]:
        return {e["pid"] for e in logged() if e.get("route") == "/api/ask" and e.get("status") == 200}

    def started() -> set[int]:
        return {e["pid"] for e in logged() if e["message"] == "Application startup complete."}

    def wait_for(condition, what: str) -> None:
        deadline = time.monotonic() + 180
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what} in time:\n" + log.read_text()[-3000:])
            time.sleep(0.3)

    with running_service(env, log, "--workers", "2") as base, ThreadPoolExecutor(12) as pool:
        parent = int(subprocess.check_output(["pgrep", "-f", f"kinabot serve .*--port {base.rsplit(':', 1)[1]}"]))
        first = _workers(parent)
        assert len(first) == 2
        wait_for(lambda: started() == first, "both workers did not start")
        assert set(pool.map(ask, questions)) == {200}
        assert answered_by() == first, "both workers answered"

        # A worker that dies is replaced; the other answers meanwhile, then both do again.
        victim = first.pop()
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(_workers(parent) - first - {victim}) == 1, "no worker replaced the one that ended")
        (replacement,) = _workers(parent) - first - {victim}

        def replacement_answers() -> bool:
            assert set(pool.map(ask, questions[:6])) == {200}
            return replacement in answered_by()

        wait_for(replacement_answers, "the replacement worker did not answer")
        everyone = first | {replacement}
    # Stopping the service stops every worker.
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in everyone) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in everyone)

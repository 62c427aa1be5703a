"""Several server processes on one port, each new connection going to the least busy one.

With uvicorn's own ``--workers`` every worker accepts from the shared socket, so a new
connection goes to whichever worker wakes first, however many questions it already
holds; on two cores one worker's queue then runs longer than the other's and the slow
tail grows. Here each worker writes how many connections it holds on a small board, a
memory-mapped file all workers share, and takes a new connection only while it holds
no more than the least busy live worker: join the shortest queue, agreed among the
workers themselves. A worker still loading its index counts as very busy, so a restarted
worker leaves visitors to its ready peers. The parent process only starts, restarts and
signals the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import mmap
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import numpy as np
import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger(__name__)

# A ready worker that has waited this long for a peer to take new connections takes one
# itself, so a stuck peer cannot hold visitors at the door.
MAX_WAIT_S = 0.1
POLL_S = 0.001
ROW = 16  # bytes per slot: process id and load, two int64
# The load of a worker that cannot answer yet, above any count of connections.
NOT_READY = 1 << 20


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Board:
    """One row per worker slot, (process id, load), in a memory-mapped file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("r+b") as fh:
            self._map = mmap.mmap(fh.fileno(), 0)
        self.rows = np.ndarray((len(self._map) // ROW, 2), dtype=np.int64, buffer=self._map)

    @classmethod
    def create(cls, path: Path, slots: int) -> Board:
        path.write_bytes(bytes(ROW * slots))
        return cls(path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self.path.open("rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def claim(self, pid: int | None = None) -> int:
        """Take a slot no live process holds, so a restarted worker inherits its predecessor's."""
        pid = pid or os.getpid()
        with self._locked():
            for slot, (holder, _) in enumerate(self.rows.tolist()):
                if holder == 0 or not _alive(holder):
                    self.rows[slot] = (pid, 0)
                    return slot
        raise RuntimeError(f"all {len(self.rows)} worker slots are taken")

    def release(self, pid: int) -> None:
        """Clear the slot of a process that has ended."""
        with self._locked():
            self.rows[self.rows[:, 0] == pid] = 0

    def publish(self, slot: int, load: int) -> None:
        self.rows[slot, 1] = load

    def fewest_elsewhere(self, slot: int) -> int | None:
        """The load of the least busy other live worker; None when there is none."""
        fewest: int | None = None
        for other, (holder, held) in enumerate(self.rows.tolist()):
            if other != slot and holder and _alive(holder):
                fewest = held if fewest is None else min(fewest, held)
        return fewest

    def close(self) -> None:
        del self.rows
        self._map.close()


def my_turn(mine: int, fewest_elsewhere: int | None) -> bool:
    """Whether a worker with load ``mine`` should take the next connection."""
    return fewest_elsewhere is None or mine <= fewest_elsewhere


class BalancedServer(uvicorn.Server):
    """A uvicorn server that accepts from the shared socket only on its turn.

    Its load is the number of connections it holds, plus ``NOT_READY`` while the app's
    lifespan state has a ``ready`` callable that returns False.
    """

    def __init__(self, config: uvicorn.Config, board: Path) -> None:
        super().__init__(config)
        self.board_path = board
        self._acceptors: list[asyncio.Task[None]] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not sockets:
            await super().startup(sockets)
            return
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        self.board = Board(self.board_path)
        self.slot = self.board.claim()
        self._published = asyncio.Event()
        protocol = self._counted_protocol()
        loop = asyncio.get_running_loop()
        self.servers = []
        self._acceptors = [loop.create_task(self._accept(sock, protocol)) for sock in sockets]
        self.started = True

    def _counted_protocol(self) -> Callable[[], asyncio.Protocol]:
        """uvicorn's HTTP protocol, telling the board whenever a connection opens or closes."""
        server = self
        base = self.config.http_protocol_class

        class Counted(base):  # type: ignore[valid-type,misc]
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                server._publish()

            def connection_lost(self, exc: Exception | None) -> None:
                super().connection_lost(exc)
                server._publish()

        def make() -> asyncio.Protocol:
            return Counted(config=self.config, server_state=self.server_state, app_state=self.lifespan.state)

        return make

    def _publish(self) -> int:
        ready = self.lifespan.state.get("ready")
        load = len(self.server_state.connections) + (0 if ready is None or ready() else NOT_READY)
        self.board.publish(self.slot, load)
        self._published.set()
        return load

    async def _turn(self) -> None:
        give_up = time.monotonic() + MAX_WAIT_S
        while True:
            load = self._publish()
            if my_turn(load, self.board.fewest_elsewhere(self.slot)):
                return
            if load < NOT_READY and time.monotonic() > give_up:
                return
            # Wait for one of this worker's connections to close, or look again shortly
            # in case a peer has taken on more.
            self._published.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._published.wait(), POLL_S)

    async def _accept(self, sock: socket.socket, protocol: Callable[[], asyncio.Protocol]) -> None:
        loop = asyncio.get_running_loop()
        sock.setblocking(False)
        while True:
            await self._turn()
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:  # out of file descriptors and the like: pause, then go on
                logger.warning("accepting a connection failed: %s", exc.strerror or exc)
                await asyncio.sleep(0.1)
                continue
            try:
                await loop.connect_accepted_socket(protocol, conn)
            except OSError:
                conn.close()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for task in self._acceptors:
            task.cancel()
        await asyncio.gather(*self._acceptors, return_exceptions=True)
        await super().shutdown(sockets)


def _worker(config: uvicorn.Config, sock: socket.socket, board: Path) -> None:
    config.configure_logging()
    BalancedServer(config, board).run(sockets=[sock])


def serve_workers(config: uvicorn.Config, count: int) -> int:
    """Run ``count`` worker processes on one listening socket until told to stop; the exit status."""
    sock = config.bind_socket()
    sock.listen(config.backlog)
    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def on_stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        for proc in workers:
            if proc.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGHUP)

    with tempfile.TemporaryDirectory(prefix="kinabot-workers-") as tmp:
        board_path = Path(tmp) / "board"
        board = Board.create(board_path, count)

        def start() -> BaseProcess:
            proc = context.Process(target=_worker, args=(config, sock, board_path), name="kinabot-worker")
            proc.start()
            return proc

        workers = [start() for _ in range(count)]
        previous = {sig: signal.signal(sig, on_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, on_hangup)
        status = 0
        try:
            while not stopping:
                time.sleep(0.2)
                for i, proc in enumerate(workers):
                    if proc.is_alive() or stopping:
                        continue
                    board.release(proc.pid or 0)
                    if proc.exitcode == STARTUP_FAILURE:
                        logger.error("a server worker could not start; stopping")
                        stopping.append(0)
                        status = STARTUP_FAILURE
                        break
                    logger.warning("server worker %s ended with status %s; starting another", proc.pid, proc.exitcode)
                    workers[i] = start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for proc in workers:
                if proc.is_alive():
                    proc.terminate()
            deadline = time.monotonic() + (config.timeout_graceful_shutdown or 10) + 5
            for proc in workers:
                proc.join(max(0.1, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            board.close()
            sock.close()
    return status

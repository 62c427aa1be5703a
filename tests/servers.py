"""`kinabot serve` as a real process on a free loopback port, for tests that need one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read()).get("detail") or ""
        except ValueError:
            return exc.code, ""
    except OSError:
        return 0, "not listening"


@contextmanager
def running_service(env: dict[str, str], log_path: Path, *args: str) -> Iterator[str]:
    """Start the service with ``KINABOT_*`` settings in ``env``; yield its base URL once ready."""
    port = free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kinabot", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            status, detail = _ready(base + "/readyz")
            if status == 200:
                break
            if proc.poll() is not None or time.monotonic() > deadline or (status == 503 and detail != "loading"):
                raise RuntimeError(f"kinabot serve is not ready ({status} {detail}):\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

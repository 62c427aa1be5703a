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
def running_service(env: dict[str, str | None], log_path: Path, *args: str) -> Iterator[str]:
    """Start the service with ``KINABOT_*`` settings in ``env`` (None removes a variable);
    yield its base URL once ready."""
    port = free_port()
    merged = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kinabot", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=merged,
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


CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's headless chromium through Playwright (its own browser download cannot work here)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make browser` installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(browser, errors: list[str], init_script: str | None = None, **context_options) -> Iterator[object]:
    """A page in a fresh browser context; console errors and uncaught exceptions go to ``errors``."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(30_000)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        yield page
    finally:
        context.close()

"""Load test: many concurrent clients asking /api/ask of the real service on loopback.

Starts `kinabot serve` itself (once per setup: one process, then several workers sharing
the index files), or tests a running server with --url. Each of --concurrency clients
sends its next question as soon as the previous answer arrives (closed loop). Questions
are real and in mixed languages: the labelled ones in qa/*.jsonl plus XQuAD (English,
Chinese) and the Swedish FAQ set, read in place from ../shared/evaldata. Latency figures
count successful answers; any non-200 or exception is an error, and any error makes
the exit status 1.

    .venv/bin/python benchmarks/load_test.py [--questions 5000] [--concurrency 50] [--setups 1,2]
    .venv/bin/python benchmarks/load_test.py --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("sv", "zh", "en")


@dataclass
class Sample:
    lang: str
    ms: float
    error: str | None = None
    took_ms: float | None = None


def question_pool(evaldata: Path, seed: int = 13) -> list[tuple[str, str]]:
    """Distinct (lang, question) pairs from qa/*.jsonl, XQuAD and the Swedish FAQ, shuffled."""
    rows: list[tuple[str, str]] = []
    for file in sorted((ROOT / "qa").glob("*.jsonl")):
        rows += [(r["lang"], r["question"]) for r in _jsonl(file)]
    for lang in ("en", "zh"):
        path = evaldata / "xquad" / f"xquad.{lang}.json"
        if path.is_file():
            data = json.loads(path.read_text("utf-8"))["data"]
            rows += [(lang, qa["question"]) for a in data for p in a["paragraphs"] for qa in p["qas"]]
    path = evaldata / "swefaq" / "swefaq_dev.jsonl"
    if path.is_file():
        rows += [("sv", r["question"]) for r in _jsonl(path)]
    pool = list({q.strip(): (lang, q.strip()) for lang, q in rows if q.strip()}.values())
    random.Random(seed).shuffle(pool)
    return pool


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def group_cpu_seconds(pgid: int) -> float:
    """CPU time used so far by the live processes of one process group (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve(workers: int, cache: bool = False, timeout: float = 180) -> Iterator[tuple[str, int, BinaryIO]]:
    """Run `kinabot serve` in its own process group until ready and idle; yield (url, pgid, log)."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("kinabot")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with tempfile.TemporaryDirectory(prefix="kinabot-load-") as work, open(Path(work) / "server.log", "w+b") as log:
        env = {
            **os.environ,
            "KINABOT_RATE_LIMIT_PER_MINUTE": "0",
            "KINABOT_LOG_LEVEL": "WARNING",
            "KINABOT_DATA_DIR": work,  # the questions it records go to a throwaway database
        }
        if cache:
            env["KINABOT_ANSWER_CACHE"] = "4096"
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while not _ready(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    why = f"exited with {server.poll()}" if server.poll() is not None else f"not ready in {timeout} s"
                    raise RuntimeError(f"server ({' '.join(command[1:])}) {why}:\n{tail(log)}")
                time.sleep(0.5)
            # Further workers may still be loading the model: wait until the group is idle.
            while time.monotonic() < deadline:
                before = group_cpu_seconds(server.pid)
                time.sleep(1)
                if group_cpu_seconds(server.pid) - before < 0.1:
                    break
            yield url, server.pid, log
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def tail(log: BinaryIO, lines: int = 25) -> str:
    log.seek(0)
    return "\n".join("  " + line for line in log.read().decode("utf-8", "replace").splitlines()[-lines:])


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


async def run_load(
    url: str, pool: list[tuple[str, str]], total: int, concurrency: int, keep_alive: bool = False
) -> list[Sample]:
    """Send `total` questions from `concurrency` closed-loop clients.

    Each question goes on a new connection unless ``keep_alive``: a visitor reads an
    answer for longer than the server keeps an idle connection (uvicorn: 5 s), so the
    next question comes on a new one. The clients are aiohttp sessions: the load
    generator shares the two cores with the server, and aiohttp needs a fraction of the
    CPU per request that httpx does, so less of the machine goes to measuring it.
    """
    import aiohttp

    questions = itertools.islice(itertools.cycle(pool), total)
    samples: list[Sample] = []

    async def client_loop() -> None:
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(
            url, connector=aiohttp.TCPConnector(limit=1, force_close=not keep_alive), timeout=timeout
        ) as client:
            for lang, question in questions:
                started = time.perf_counter()
                sample = Sample(lang, 0.0)
                try:
                    async with client.post("/api/ask", json={"question": question}) as response:
                        body = await response.read()
                        if response.status == 200:
                            sample.took_ms = json.loads(body)["took_ms"]
                        else:
                            sample.error = f"HTTP {response.status}"
                except Exception as exc:
                    sample.error = type(exc).__name__
                sample.ms = (time.perf_counter() - started) * 1000
                samples.append(sample)

    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return samples


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": float("nan")}
    a = np.array(values)
    return {
        k: round(float(np.percentile(a, q)), 1) for k, q in (("median", 50), ("p90", 90), ("p99", 99), ("max", 100))
    }


def repeated_share(pool: list[tuple[str, str]], warmup: int, total: int) -> float:
    """The share of the measured questions that were already asked (in the warm-up or the run)."""
    seen = set(pool[::-1][:warmup])
    repeats = 0
    for question in itertools.islice(itertools.cycle(pool), total):
        repeats += question in seen
        seen.add(question)
    return repeats / total if total else 0.0


def measure(url: str, pgid: int | None, pool: list[tuple[str, str]], args: argparse.Namespace) -> dict:
    """Warm up (not counted), then run the load and summarise it."""
    asyncio.run(run_load(url, pool[::-1], args.warmup, min(args.concurrency, args.warmup)))
    cpu, server_cpu = time.process_time(), group_cpu_seconds(pgid) if pgid else 0.0
    started = time.perf_counter()
    samples = asyncio.run(run_load(url, pool, args.questions, args.concurrency, args.keep_alive))
    wall = time.perf_counter() - started
    ok = [s for s in samples if s.error is None]
    errors = Counter(s.error for s in samples if s.error)
    result = {
        "requests": len(samples),
        "repeated_questions": round(repeated_share(pool, args.warmup, args.questions), 3),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": round(wall, 2),
        "throughput_rps": round(len(samples) / wall, 2),
        "latency_ms": stats([s.ms for s in ok]),
        "server_took_ms": stats([s.took_ms for s in ok if s.took_ms is not None]),
        "by_language": {
            lang: {"requests": sum(s.lang == lang for s in samples), **stats([s.ms for s in ok if s.lang == lang])}
            for lang in LANGS
        },
        "client_cpu_percent": round(100 * (time.process_time() - cpu) / wall, 1),
    }
    if pgid:
        result["server_cpu_percent"] = round(100 * (group_cpu_seconds(pgid) - server_cpu) / wall, 1)
    return result


def print_setup(name: str, r: dict) -> None:
    print(f"\n{name}: {r['requests']} requests in {r['seconds']} s, {r['throughput_rps']} req/s, {r['errors']} errors")
    print(f"  asked before in this run: {100 * r['repeated_questions']:.0f}% of the questions")
    for kind, count in r["error_kinds"].items():
        print(f"  error {kind}: {count}")
    print(f"  CPU (100% = one core): client {r['client_cpu_percent']}%, server {r.get('server_cpu_percent', '?')}%")
    print(f"  {'':16s}{'n':>6s}{'median':>9s}{'p90':>9s}{'p99':>9s}{'max':>9s}  ms")
    rows = [("all", r["requests"], r["latency_ms"])] + [(k, v["requests"], v) for k, v in r["by_language"].items()]
    rows.append(("server took_ms", r["requests"] - r["errors"], r["server_took_ms"]))
    for label, n, s in rows:
        print(f"  {label:16s}{n:6d}{s['median']:9.1f}{s['p90']:9.1f}{s['p99']:9.1f}{s['max']:9.1f}")


def headline(r: dict) -> dict[str, str]:
    """The figures compared side by side, as text (empty for a setup that failed to start)."""
    if "failed" in r:
        return {}
    pair = "{median:.0f} / {p99:.0f}".format
    figures = {
        "requests": r["requests"],
        "asked before": f"{100 * r['repeated_questions']:.0f}%",
        "errors": r["errors"],
        "throughput req/s": r["throughput_rps"],
        **{f"{k} ms": r["latency_ms"][k] for k in ("median", "p90", "p99", "max")},
        **{f"{lang} median / p99 ms": pair(**r["by_language"][lang]) for lang in LANGS},
        "took_ms median / p99": pair(**r["server_took_ms"]),
        "CPU % client / server": f"{r['client_cpu_percent']:.0f} / {r.get('server_cpu_percent', 0):.0f}",
    }
    return {k: str(v) for k, v in figures.items()}


def print_side_by_side(results: dict[str, dict]) -> None:
    rows = {name: headline(r) for name, r in results.items()}
    labels = max(rows.values(), key=len)
    print("\n" + " " * 24 + "".join(f"{name:>20s}" for name in rows))
    for label in labels:
        print(f"{label:24s}" + "".join(f"{row.get(label, 'failed'):>20s}" for row in rows.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=50, help="Requests sent first and not counted.")
    parser.add_argument("--setups", default="1,2", help="Worker counts to start, one run each, e.g. 1,2.")
    parser.add_argument(
        "--cache",
        default="off",
        help="Answer cache in the servers started: off (the default setting), on (KINABOT_ANSWER_CACHE=4096), or both.",
    )
    parser.add_argument(
        "--keep-alive", action="store_true", help="Each client keeps one connection for all its questions."
    )
    parser.add_argument("--url", help="Test this running server instead of starting one.")
    parser.add_argument("--evaldata", type=Path, default=ROOT.parent / "shared" / "evaldata")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "load-test.json")
    args = parser.parse_args()

    pool = question_pool(args.evaldata)
    mix = Counter(lang for lang, _ in pool)
    print(f"question pool: {len(pool)} distinct questions, " + ", ".join(f"{k} {mix[k]}" for k in LANGS))
    print(f"{args.questions} questions from {args.concurrency} concurrent clients after {args.warmup} for warm-up")
    print("connections: " + ("one per client" if args.keep_alive else "a new one for each question"))

    results: dict[str, dict] = {}
    if args.url:
        results["url"] = measure(args.url.rstrip("/"), None, pool, args)
        print_setup(args.url, results["url"])
    setups = [(int(w), c == "on") for c in args.cache.split(",") for w in args.setups.split(",")]
    for workers, cache in [] if args.url else setups:
        name = f"{workers} worker" + ("s" if workers > 1 else "") + (", answer cache" if cache else "")
        print(f"\nstarting {name} ...", flush=True)
        try:
            with serve(workers, cache) as (url, pgid, log):
                results[name] = measure(url, pgid, pool, args)
                if results[name]["errors"]:
                    print(f"server log, last lines:\n{tail(log)}")
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            results[name] = {"failed": str(exc)}
            continue
        print_setup(name, results[name])
    if len(results) > 1:
        print_side_by_side(results)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "questions": args.questions,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "cores": os.cpu_count(),
        "connections": "one per client" if args.keep_alive else "one per question",
    }
    report = {**meta, "pool": {"size": len(pool), **{k: mix[k] for k in LANGS}}, "results": results}
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    if any(r.get("errors", 1) for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")

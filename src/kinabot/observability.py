"""Logs and metrics: JSON log lines carrying the request id, and Prometheus counters.

Each app gets its own metrics registry, so several apps in one process (the tests)
never collide, and nothing is global but the logging configuration.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TextIO

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from kinabot.guard import request_id

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, process, and any ``extra`` fields.

    The traceback of an exception is kept out: it may hold paths and settings, and the
    message with the exception's type is enough to find the place.
    """

    RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            "pid": record.process,  # which server worker
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        for key, value in record.__dict__.items():
            if key not in self.RESERVED and not key.startswith("_"):
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id.get()
        saved, record.exc_info, record.exc_text = record.exc_info, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info = saved


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record arrives, not when it was set up
    (test runners and embedding programs swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def configure_logging(level: str, fmt: str) -> None:
    """Route kinabot's and uvicorn's loggers through one handler in the chosen format."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Libraries that narrate every index build and model load at info or debug level.
    for noisy in ("bm25s", "sentence_transformers", "jieba"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # The access log is replaced by kinabot's own request line, which carries the request id.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """The service's Prometheus metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "kinabot_http_requests", "HTTP requests by route and status.", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "kinabot_http_request_seconds", "Time to answer, by route.", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.answers = Counter("kinabot_answers", "Questions answered, by language.", ["lang"], registry=r)
        self.no_answers = Counter(
            "kinabot_no_answers", "Questions without an answer, by language.", ["lang"], registry=r
        )
        self.cached_answers = Counter(
            "kinabot_cached_answers", "Questions answered from the cache of repeated questions.", registry=r
        )
        self.rate_limited = Counter("kinabot_rate_limited", "Requests refused by the rate limit.", registry=r)
        self.record_failures = Counter(
            "kinabot_record_failures", "Questions or feedback the database failed to store.", registry=r
        )
        self.index_info = Gauge(
            "kinabot_index_info", "The index version being served (value 1).", ["version"], registry=r
        )
        self.index_passages = Gauge("kinabot_index_passages", "Passages in the served index.", ["lang"], registry=r)
        self.index_documents = Gauge("kinabot_index_documents", "Documents in the served index.", ["lang"], registry=r)
        self.batch_size = Histogram(
            "kinabot_batch_questions", "Questions encoded together.", buckets=(1, 2, 4, 8, 16, 32), registry=r
        )
        self.reloads = Counter("kinabot_index_reloads", "Index switches, by outcome.", ["outcome"], registry=r)

    def set_index(self, manifest: dict) -> None:
        self.index_info.clear()
        self.index_info.labels(version=str(manifest.get("version"))).set(1)
        for lang, count in manifest.get("passages", {}).items():
            self.index_passages.labels(lang=lang).set(count)
        for lang, count in manifest.get("documents", {}).items():
            self.index_documents.labels(lang=lang).set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)

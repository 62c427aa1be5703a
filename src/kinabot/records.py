"""Recording questions and feedback in a database, and reading them back as a report.

One data-access layer for both backends: SQLite by default (one file, WAL mode, a busy
timeout) and PostgreSQL when the URL says ``postgresql+psycopg://``. The schema is made by
the Alembic migrations shipped in ``kinabot/migrations``, run on :meth:`Store.start`.

What is stored is masked first (:func:`kinabot.privacy.mask`); no client address is
stored at all. Recording runs off the request path and never raises: a failure is
logged in one line without the question, counted in :attr:`Store.failures`, and the
store tries to get back on its feet (recreating a deleted SQLite file, reconnecting to
PostgreSQL) on a later call.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.types import TypeDecorator

from kinabot.privacy import mask
from kinabot.report import DayFigures, DocumentFeedback, LanguageFigures, QuestionCount, Report, rate

if sys.platform != "win32":
    import fcntl

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VOTES = ("up", "down")
MAX_TEXT = 4000
MAX_DOC_IDS = 50
# Alembic's ``context`` and ``op`` are module-wide proxies, so two migrations at once in one
# process would share them; other processes are kept out by the database or a file lock.
_MIGRATING = threading.Lock()


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in UTC: timezone-aware in Python, naive UTC text in SQLite, timestamptz in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite keeps the text as given; one fixed form keeps comparisons between stored texts right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

# Keep in step with the migrations: tests compare the migrated schema with these tables.
questions = Table(
    "questions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("asked_at", UTCDateTime(), nullable=False),
    Column("question", Text, nullable=False),
    Column("question_key", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("doc_ids", JSON, nullable=False),
    Column("no_answer", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("index_version", String(64), nullable=False),
    Index("ix_questions_asked_at", "asked_at"),
)
feedback = Table(
    "feedback",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("given_at", UTCDateTime(), nullable=False),
    Column("vote", String(4), nullable=False),
    Column("question", Text, nullable=False),
    Column("lang", String(8), nullable=True),
    Column("doc_ids", JSON, nullable=False),
    Column("comment", Text, nullable=True),
    CheckConstraint("vote IN ('up', 'down')", name="ck_feedback_vote"),
    Index("ix_feedback_given_at", "given_at"),
)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def question_key(text: str) -> str:
    """The form questions are counted by: width, case and whitespace folded, end punctuation dropped."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return folded.rstrip("?!.。？！ ") or folded


def _clean(text: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate (valid in JSON) cannot be encoded.
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def _masked(text: str) -> str:
    # Cut after masking, so a cut never leaves part of a number (a birth date) unmasked.
    return mask(_clean(text, len(text)))[:MAX_TEXT]


def _doc_ids(doc_ids: Sequence[str]) -> list[str]:
    return [_clean(str(doc_id), 200) for doc_id in list(doc_ids)[:MAX_DOC_IDS]]


def _describe(exc: BaseException) -> str:
    """One short line about a failure: the driver's error without SQL, parameters or stack."""
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


class Store:
    """Questions and feedback in one database (``sqlite:///path`` or ``postgresql+psycopg://...``).

    Call :meth:`start` once (it creates the folder, migrates and purges old rows), then
    :meth:`record_question` / :meth:`record_feedback` from any thread.
    """

    def __init__(self, url: str, *, retention_days: int | None = None, retry_seconds: float = 30.0) -> None:
        self.url = make_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {self.backend!r}: use sqlite:/// or postgresql+psycopg://")
        self.retention_days = retention_days
        # After a failed start, writes fail at once for this long before start is tried again.
        self.retry_seconds = retry_seconds
        self.failures = 0
        self.last_error: str | None = None
        self.path: Path | None = None
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._ready = False
        self._last_write_ok = True
        self._retry_after = float("-inf")
        self._logged: tuple[str, float] = ("", float("-inf"))
        self.engine = self._sqlite_engine() if self.backend == "sqlite" else self._postgres_engine()

    def _sqlite_engine(self) -> Engine:
        if self.url.query:
            raise ValueError("options in a SQLite URL are not supported")
        if self.url.database in (None, "", ":memory:"):
            return create_engine(
                "sqlite://",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
                hide_parameters=True,
            )
        # Resolved now, so a later change of working directory cannot move the database.
        self.path = Path(self.url.database).absolute()
        uri = f"file:{quote(str(self.path))}?mode=rw"

        def connect() -> sqlite3.Connection:
            # mode=rw: a deleted file is an error here, not a silently created empty database;
            # start() is what creates and migrates it.
            return sqlite3.connect(uri, uri=True, timeout=5.0, check_same_thread=False)

        # A connection per use: writes come now and then, and a fresh open sees the file as it is
        # now (deleted, replaced, read-only) rather than an inode held open since start.
        engine = create_engine(self.url, creator=connect, poolclass=NullPool, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _postgres_engine(self) -> Engine:
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in self.url.query:
            connect_args["connect_timeout"] = 5
        return create_engine(
            self.url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            pool_timeout=10,
            pool_recycle=1800,
            hide_parameters=True,
            connect_args=connect_args,
        )

    def start(self) -> bool:
        """Create the data folder and database, migrate to the latest schema, purge old rows.

        Never raises: on failure it logs, keeps the reason in :attr:`last_error` and returns False.
        """
        with self._start_lock:
            try:
                if self.path is not None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                with _MIGRATING, self._migration_lock():
                    # Inside the lock: switching a new file to WAL needs it to itself.
                    if self.path is not None:
                        self._create_sqlite_file(self.path)
                    with self.engine.begin() as conn:
                        config = Config()
                        config.set_main_option("script_location", str(MIGRATIONS))
                        config.attributes["connection"] = conn
                        command.upgrade(config, "head")
            except Exception as exc:
                # Whatever went wrong (driver, file system, a schema newer than this code), the
                # service answers on without recording, and tries again after retry_seconds.
                self._ready = False
                self._retry_after = time.monotonic() + self.retry_seconds
                self.last_error = _describe(exc)
                logger.error("question records unavailable: %s", self.last_error)
                return False
            self._ready = True
            self._retry_after = float("-inf")
        if self.retention_days is not None:
            try:
                self.purge()
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("purging old records failed: %s", _describe(exc))
        return True

    @staticmethod
    def _create_sqlite_file(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            stale = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
            if stale:
                # Another process still has the deleted database open; a new file next to its
                # write-ahead log would be read with the old pages in it.
                raise OSError(f"{path.name} is gone but its {stale[0].name} is still there")
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rwc", uri=True, timeout=5.0)
        try:
            # WAL lets the report read while questions are written; the mode stays with the file.
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """Let one process at a time migrate a SQLite database (server workers start together).

        PostgreSQL needs none here: the migration takes an advisory lock in its transaction.
        """
        if self.path is None or sys.platform == "win32":
            yield
            return
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def record_question(
        self,
        question: str,
        lang: str,
        doc_ids: Sequence[str],
        no_answer: bool,
        latency_ms: float,
        index_version: str,
        at: datetime | None = None,
    ) -> bool:
        """Store one asked question, masked; True when it was written. Never raises."""
        item = {
            "question": question,
            "lang": lang,
            "doc_ids": doc_ids,
            "no_answer": no_answer,
            "latency_ms": latency_ms,
            "index_version": index_version,
            "at": at,
        }
        return self.record_questions([item]) == 0

    def record_questions(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Store many asked questions in one transaction; returns how many were not stored.

        Under load the service hands over what gathered while the last batch was written, so
        the cost of opening, committing and checkpointing the file is shared. Never raises.
        """
        rows, unfit = [], 0
        for item in items:
            try:
                masked = _masked(item["question"])
                at = item.get("at")
                rows.append(
                    {
                        "asked_at": as_utc(at) if at else datetime.now(UTC),
                        "question": masked,
                        "question_key": question_key(masked),
                        "lang": _clean(item.get("lang") or "", 8),
                        "doc_ids": _doc_ids(item.get("doc_ids") or ()),
                        "no_answer": bool(item.get("no_answer")),
                        "latency_ms": float(item.get("latency_ms") or 0.0),
                        "index_version": _clean(item.get("index_version") or "", 64),
                    }
                )
            except Exception as exc:
                unfit += 1
                self._failed("question", _describe(exc))
        if rows and not self._write("question", questions, rows):
            return unfit + len(rows)
        return unfit

    def record_feedback(
        self,
        question: str,
        vote: str,
        doc_ids: Sequence[str],
        lang: str | None = None,
        comment: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Store one vote (``up`` or ``down``) with its question and comment, masked. Never raises."""
        if vote not in VOTES:
            return self._failed("feedback", f"vote must be 'up' or 'down', not {str(vote)[:10]!r}")
        try:
            row = {
                "given_at": as_utc(at) if at else datetime.now(UTC),
                "vote": vote,
                "question": _masked(question),
                "lang": _clean(lang, 8) if lang else None,
                "doc_ids": _doc_ids(doc_ids),
                "comment": _masked(comment) if comment else None,
            }
        except Exception as exc:
            return self._failed("feedback", _describe(exc))
        return self._write("feedback", feedback, [row])

    def _write(self, kind: str, table: Table, rows: list[dict[str, Any]]) -> bool:
        try:
            if not self._ensure_ready():
                self._last_write_ok = False
                return self._failed(kind, self.last_error or "database not started", len(rows))
            with self.engine.begin() as conn:
                conn.execute(table.insert(), rows)
        except Exception as exc:
            # The next write checks the database again (start() migrates or recreates it).
            self._ready = False
            self._last_write_ok = False
            return self._failed(kind, _describe(exc), len(rows))
        self._last_write_ok = True
        return True

    def _ensure_ready(self) -> bool:
        if self.path is not None and not self.path.is_file():
            # Deleted or replaced while serving: start() makes it again (unless it failed just now).
            self._ready = False
        if self._ready:
            return True
        if time.monotonic() < self._retry_after:
            return False
        return self.start()

    def _failed(self, kind: str, reason: str, count: int = 1) -> bool:
        with self._lock:
            self.failures += count
            self.last_error = reason
            total = self.failures
            now = time.monotonic()
            # One line per new reason, then at most one a minute while it lasts.
            loud = reason != self._logged[0] or now - self._logged[1] >= 60
            if loud:
                self._logged = (reason, now)
        if loud:
            logger.warning("could not record a %s (%d failures so far): %s", kind, total, reason)
        return False

    def healthy(self) -> bool:
        """True when the store is started, the last write worked and the database answers now."""
        if not self._ready or not self._last_write_ok:
            return False
        if self.path is not None and not self.path.is_file():
            return False
        try:
            with self.engine.connect() as conn:
                conn.execute(select(questions.c.id).limit(1)).all()
        except Exception:
            return False
        return True

    def purge(self, days: int | None = None, now: datetime | None = None) -> int:
        """Delete questions and feedback older than ``days`` (default: the retention period).

        Returns how many rows went. Raises SQLAlchemyError on database errors, so a scheduled
        call can see it failed; :meth:`start` catches and logs them.
        """
        days = self.retention_days if days is None else days
        if days is None:
            raise ValueError("no retention period: pass days or construct the Store with retention_days")
        cutoff = as_utc(now or datetime.now(UTC)) - timedelta(days=days)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(questions).where(questions.c.asked_at < cutoff)).rowcount
            gone += conn.execute(delete(feedback).where(feedback.c.given_at < cutoff)).rowcount
        if gone:
            logger.info("purged %d records older than %d days", gone, days)
        return int(gone)

    def report(self, since: date, until: date, top: int = 20) -> Report:
        """Figures for the days ``since`` to ``until`` (both included, UTC). Raises on database errors."""
        start = datetime.combine(since, dtime.min, tzinfo=UTC)
        end = datetime.combine(until + timedelta(days=1), dtime.min, tzinfo=UTC)
        q = questions.c
        in_period = (q.asked_at >= start) & (q.asked_at < end)
        unanswered = func.sum(case((q.no_answer, 1), else_=0))
        with self.engine.connect() as conn:
            total, no_answer, mean_latency = conn.execute(
                select(func.count(), unanswered, func.avg(q.latency_ms)).where(in_period)
            ).one()
            total, no_answer = int(total or 0), int(no_answer or 0)
            by_lang = conn.execute(
                select(q.lang, func.count(), unanswered).where(in_period).group_by(q.lang).order_by(q.lang)
            ).all()
            day = self._day(q.asked_at)
            by_day = conn.execute(
                select(day, func.count(), unanswered).where(in_period).group_by(day).order_by(day)
            ).all()
            top_asked = self._most_asked(conn, in_period, top)
            top_unanswered = self._most_asked(conn, in_period & q.no_answer, top)
            votes = conn.execute(
                select(feedback.c.vote, feedback.c.doc_ids).where(
                    (feedback.c.given_at >= start) & (feedback.c.given_at < end)
                )
            ).all()
        up: Counter[str] = Counter()
        down: Counter[str] = Counter()
        for vote, doc_ids in votes:
            for doc_id in dict.fromkeys(doc_ids or []):
                (up if vote == "up" else down)[doc_id] += 1
        feedback_up = sum(1 for vote, _ in votes if vote == "up")
        documents = [
            DocumentFeedback(doc_id=doc_id, up=up[doc_id], down=down[doc_id], up_ratio=rate(up[doc_id], n))
            for doc_id, n in sorted((up + down).items(), key=lambda item: (-item[1], item[0]))
        ]
        return Report(
            since=since.isoformat(),
            until=until.isoformat(),
            questions=total,
            no_answer=no_answer,
            no_answer_rate=rate(no_answer, total),
            mean_latency_ms=round(float(mean_latency), 1) if mean_latency is not None else None,
            feedback=len(votes),
            feedback_up=feedback_up,
            feedback_down=len(votes) - feedback_up,
            languages=[
                LanguageFigures(lang=lang, questions=int(n), no_answer=int(na), no_answer_rate=rate(int(na), int(n)))
                for lang, n, na in by_lang
            ],
            days=[
                DayFigures(day=str(d)[:10], questions=int(n), no_answer=int(na), no_answer_rate=rate(int(na), int(n)))
                for d, n, na in by_day
            ],
            top_questions=top_asked,
            unanswered=top_unanswered,
            documents=documents,
        )

    @staticmethod
    def _most_asked(conn: Connection, where: ColumnElement[bool], top: int) -> list[QuestionCount]:
        key = questions.c.question_key
        count = func.count().label("n")
        rows = conn.execute(select(key, count).where(where).group_by(key).order_by(count.desc(), key).limit(top))
        return [QuestionCount(question=text, count=int(n)) for text, n in rows]

    def _day(self, column: Any) -> ColumnElement[Any]:
        """The UTC calendar day of a stored moment, as each backend computes it."""
        if self.backend == "postgresql":
            return func.date(func.timezone("UTC", column))
        return func.date(column)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # NORMAL is durable enough in WAL mode (a power cut may lose the last commits, never
        # corrupt the file) and saves an fsync on every recorded question.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()

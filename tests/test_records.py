"""The question and feedback records, on SQLite and (with KINABOT_TEST_POSTGRES_URL) PostgreSQL.

export KINABOT_TEST_POSTGRES_URL=$(scripts/postgres-for-tests | tail -1)
"""

from __future__ import annotations

import csv
import io
import logging
import multiprocessing
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from kinabot.privacy import EMAIL, PERSONAL_ID, PHONE
from kinabot.records import MIGRATIONS, Store, feedback, metadata, questions
from kinabot.report import DayFigures, DocumentFeedback, LanguageFigures, QuestionCount, Report, report_csv

POSTGRES_URL = os.environ.get("KINABOT_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no other test touches: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'records' / 'kinabot.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("KINABOT_TEST_POSTGRES_URL is not set; scripts/postgres-for-tests prints one")
    schema = f"kinabot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    found = Store(database_url, retry_seconds=0)
    assert found.start(), found.last_error
    yield found
    found.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    found = Store(f"sqlite:///{tmp_path / 'data' / 'kinabot.sqlite3'}", retry_seconds=0)
    assert found.start(), found.last_error
    yield found
    found.close()


def _rows(store: Store, table: Any) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()]


def _ask(store: Store, question: str = "Vad är moms?", **fields: Any) -> bool:
    values: dict[str, Any] = {
        "lang": "sv",
        "doc_ids": ["moms"],
        "no_answer": False,
        "latency_ms": 12.5,
        "index_version": "20250301-1",
    }
    values.update(fields)
    return store.record_question(question, **values)


# -- schema --------------------------------------------------------------------------


def test_start_creates_the_folder_and_migrates(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    try:
        assert store.start(), store.last_error
        if store.path is not None:
            assert store.path == tmp_path / "data" / "records" / "kinabot.sqlite3"
            assert store.path.is_file()
        with store.engine.connect() as conn:
            assert {"questions", "feedback", "alembic_version"} <= set(inspect(conn).get_table_names())
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            # The migrated schema is the one the code reads and writes.
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert version == ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert store.start(), "starting again is a no-op"
        assert store.healthy()
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def _start_worker(url: str, barrier: Any, results: Any) -> None:
    store = Store(url)
    barrier.wait()
    results.put((store.start(), store.last_error))
    store.close()


def test_server_workers_can_start_together(database_url: str) -> None:
    # Separate processes, as server workers are: each migrates the same new database at once.
    context = multiprocessing.get_context("spawn")
    count = 3
    barrier, results = context.Barrier(count), context.Queue()
    workers = [context.Process(target=_start_worker, args=(database_url, barrier, results)) for _ in range(count)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    assert outcomes == [(True, None)] * count


def test_threads_can_start_stores_together(database_url: str) -> None:
    stores = [Store(database_url) for _ in range(4)]
    results: list[bool] = []
    barrier = threading.Barrier(len(stores))

    def start(store: Store) -> None:
        barrier.wait()
        results.append(store.start())

    threads = [threading.Thread(target=start, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert results == [True] * len(stores), [store.last_error for store in stores]
    finally:
        for store in stores:
            store.close()


def test_no_client_address_is_stored_anywhere(store: Store) -> None:
    with store.engine.connect() as conn:
        columns = {
            table: {column["name"] for column in inspect(conn).get_columns(table)}
            for table in ("questions", "feedback")
        }
    assert columns == {
        "questions": {
            "id",
            "asked_at",
            "question",
            "question_key",
            "lang",
            "doc_ids",
            "no_answer",
            "latency_ms",
            "index_version",
        },
        "feedback": {"id", "given_at", "vote", "question", "lang", "doc_ids", "comment"},
    }
    for names in columns.values():
        assert not [name for name in names if "ip" in name.split("_") or "addr" in name or "host" in name]


# -- recording -------------------------------------------------------------------------


def test_a_question_is_stored_masked(store: Store) -> None:
    asked = datetime(2025, 3, 1, 14, 30, tzinfo=timezone(timedelta(hours=1)))
    question = "Jag heter Anna, pnr 850312-1234, mejla anna@example.se eller ring 070-123 45 67. Gäller 25 % 2025?"
    assert store.record_question(question, "sv", ["moms", "skatt"], True, 81.25, "20250301-1", at=asked), (
        store.last_error
    )
    [row] = _rows(store, questions)
    assert row["question"] == f"Jag heter Anna, pnr {PERSONAL_ID}, mejla {EMAIL} eller ring {PHONE}. Gäller 25 % 2025?"
    assert row["question_key"] == row["question"].casefold().rstrip("?")
    assert row["asked_at"] == datetime(2025, 3, 1, 13, 30, tzinfo=UTC)
    assert row["asked_at"].tzinfo == UTC
    assert (row["lang"], row["doc_ids"], row["no_answer"]) == ("sv", ["moms", "skatt"], True)
    assert (row["latency_ms"], row["index_version"]) == (81.25, "20250301-1")


def test_many_questions_are_stored_together_and_a_bad_one_alone_is_lost(store: Store) -> None:
    item = {"lang": "sv", "doc_ids": ["moms"], "no_answer": False, "latency_ms": 3.0, "index_version": "v1"}
    lost = store.record_questions(
        [
            {**item, "question": "Vad är moms?"},
            {**item, "question": "Ring 070-123 45 67"},
            {**item, "question": "no time", "latency_ms": "slow"},  # not a number: this row alone fails
            {**item, "question": "苏州在哪里", "lang": "zh"},
        ]
    )
    assert lost == 1 and store.failures == 1
    stored = [row["question"] for row in _rows(store, questions)]
    assert stored == ["Vad är moms?", "Ring [phone]", "苏州在哪里"]
    assert store.record_questions([]) == 0


def test_feedback_is_stored_masked(store: Store) -> None:
    assert store.record_feedback(
        "我的手机是13812345678，增值税是多少？",
        "down",
        ["vat"],
        "zh",
        "请打电话 +86 138 1234 5678 或写信 wang@example.cn",
    )
    assert store.record_feedback("Vad är moms?", "up", [], None, None)
    first, second = _rows(store, feedback)
    assert first["question"] == f"我的手机是{PHONE}，增值税是多少？"
    assert first["comment"] == f"请打电话 {PHONE} 或写信 {EMAIL}"
    assert (first["vote"], first["lang"], first["doc_ids"]) == ("down", "zh", ["vat"])
    assert (second["vote"], second["lang"], second["doc_ids"], second["comment"]) == ("up", None, [], None)
    assert abs(second["given_at"] - datetime.now(UTC)) < timedelta(minutes=1)


def test_awkward_text_is_stored_and_a_bad_vote_refused(store: Store) -> None:
    # NUL cannot go into PostgreSQL text and a lone surrogate cannot be encoded at all.
    assert _ask(store, "moms\x00 och \ud800 skatt"), store.last_error
    assert _rows(store, questions)[0]["question"] == "moms och ? skatt"
    # A very long question is cut after masking, never through the middle of a number.
    assert _ask(store, "a" * 3995 + " 19850312-1234")
    long_one = _rows(store, questions)[1]["question"]
    assert len(long_one) == 4000 and "1985" not in long_one and long_one.endswith(" [per")
    assert store.record_feedback("Vad är moms?", "sideways", ["moms"]) is False
    assert store.failures == 1
    assert _rows(store, feedback) == []


def test_fifty_visitors_give_feedback_at_once(store: Store) -> None:
    count = 50
    barrier = threading.Barrier(count)
    results: list[bool] = []

    def vote(i: int) -> None:
        barrier.wait()
        results.append(store.record_feedback(f"fråga {i}", "up" if i % 2 else "down", [f"doc-{i}"], "sv"))

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * count, store.last_error
    rows = _rows(store, feedback)
    assert sorted(row["question"] for row in rows) == sorted(f"fråga {i}" for i in range(count))
    assert store.failures == 0


# -- retention -------------------------------------------------------------------------


def test_purge_deletes_only_rows_older_than_the_retention(store: Store) -> None:
    now = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
    ages = {"very old": 400, "just too old": 180.01, "just young enough": 179.99, "new": 1}
    for name, days in ages.items():
        assert _ask(store, name, at=now - timedelta(days=days))
        assert store.record_feedback(name, "up", ["moms"], at=now - timedelta(days=days))
    assert store.purge(180, now=now) == 4
    assert [row["question"] for row in _rows(store, questions)] == ["just young enough", "new"]
    assert [row["question"] for row in _rows(store, feedback)] == ["just young enough", "new"]
    assert store.purge(180, now=now) == 0


def test_start_purges_with_the_retention_period(database_url: str) -> None:
    with Store(database_url) as first:
        _ask(first, "old", at=datetime.now(UTC) - timedelta(days=40))
        _ask(first, "recent", at=datetime.now(UTC) - timedelta(days=5))
    with Store(database_url, retention_days=30) as second:
        assert [row["question"] for row in _rows(second, questions)] == ["recent"]


# -- report ----------------------------------------------------------------------------


def _fill(store: Store) -> None:
    day1, day2 = datetime(2025, 3, 1, 9, tzinfo=UTC), datetime(2025, 3, 2, 9, tzinfo=UTC)
    asked = [
        ("Vad är moms?", "sv", False, 10, day1),
        ("vad   är MOMS", "sv", False, 20, day1),
        ("Vad kostar en hund?", "sv", True, 30, day1),
        # 00:30 in Sweden on 2 March is still 1 March in UTC.
        ("苏州天气怎么样？", "zh", True, 40, datetime(2025, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))),
        ("What is VAT?", "en", False, 50, day2),
        ("VAD ÄR MOMS", "sv", False, 60, day2),
        ("苏州天气怎么样", "zh", True, 70, day2),
        # outside the period
        ("Vad är moms?", "sv", False, 1000, datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC)),
        ("Too late", "en", True, 1000, datetime(2025, 3, 3, tzinfo=UTC)),
    ]
    for question, lang, no_answer, latency, at in asked:
        assert _ask(store, question, lang=lang, no_answer=no_answer, latency_ms=latency, at=at)
    votes = [
        ("up", ["moms", "skatt"], day1),
        ("up", ["moms"], day1),
        ("down", ["moms"], day1),
        ("down", ["vader"], day1),
        ("up", [], day2),
        ("down", ["moms", "moms"], day2),  # one answer citing a document twice is one vote for it
        ("up", ["moms"], datetime(2025, 3, 5, tzinfo=UTC)),  # outside the period
    ]
    for vote, doc_ids, at in votes:
        assert store.record_feedback("Vad är moms?", vote, doc_ids, "sv", at=at)


EXPECTED = Report(
    since="2025-03-01",
    until="2025-03-02",
    questions=7,
    no_answer=3,
    no_answer_rate=0.4286,
    mean_latency_ms=40.0,
    feedback=6,
    feedback_up=3,
    feedback_down=3,
    languages=[
        LanguageFigures("en", 1, 0, 0.0),
        LanguageFigures("sv", 4, 1, 0.25),
        LanguageFigures("zh", 2, 2, 1.0),
    ],
    days=[DayFigures("2025-03-01", 4, 2, 0.5), DayFigures("2025-03-02", 3, 1, 0.3333)],
    top_questions=[
        QuestionCount("vad är moms", 3),
        QuestionCount("苏州天气怎么样", 2),
        QuestionCount("vad kostar en hund", 1),
        QuestionCount("what is vat", 1),
    ],
    unanswered=[QuestionCount("苏州天气怎么样", 2), QuestionCount("vad kostar en hund", 1)],
    documents=[
        DocumentFeedback("moms", up=2, down=2, up_ratio=0.5),
        DocumentFeedback("skatt", up=1, down=0, up_ratio=1.0),
        DocumentFeedback("vader", up=0, down=1, up_ratio=0.0),
    ],
)


def test_report_figures_for_a_known_period(store: Store) -> None:
    _fill(store)
    assert store.report(date(2025, 3, 1), date(2025, 3, 2)) == EXPECTED
    top_two = store.report(date(2025, 3, 1), date(2025, 3, 2), top=2)
    assert top_two.top_questions == EXPECTED.top_questions[:2]


def test_report_of_an_empty_period(store: Store) -> None:
    _fill(store)
    empty = store.report(date(2024, 1, 1), date(2024, 1, 31))
    assert empty == Report("2024-01-01", "2024-01-31", 0, 0, 0.0, None, 0, 0, 0)


def test_report_survives_a_round_trip_through_csv(store: Store) -> None:
    _fill(store)
    report = store.report(date(2025, 3, 1), date(2025, 3, 2))
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert _from_csv(rows) == report


def _from_csv(rows: list[dict[str, str]]) -> Report:
    def part(section: str) -> list[dict[str, str]]:
        return [row for row in rows if row["section"] == section]

    [period] = part("period")
    since, until = period["key"].split("/")
    up, down = int(period["up"]), int(period["down"])
    return Report(
        since=since,
        until=until,
        questions=int(period["count"]),
        no_answer=int(period["no_answer"]),
        no_answer_rate=float(period["no_answer_rate"]),
        mean_latency_ms=float(period["mean_latency_ms"]) if period["mean_latency_ms"] else None,
        feedback=up + down,
        feedback_up=up,
        feedback_down=down,
        languages=[
            LanguageFigures(r["key"], int(r["count"]), int(r["no_answer"]), float(r["no_answer_rate"]))
            for r in part("language")
        ],
        days=[
            DayFigures(r["key"], int(r["count"]), int(r["no_answer"]), float(r["no_answer_rate"])) for r in part("day")
        ],
        top_questions=[QuestionCount(r["key"], int(r["count"])) for r in part("top_question")],
        unanswered=[QuestionCount(r["key"], int(r["count"])) for r in part("unanswered")],
        documents=[
            DocumentFeedback(r["key"], int(r["up"]), int(r["down"]), float(r["up_ratio"])) for r in part("document")
        ],
    )


# -- failures never reach the caller -----------------------------------------------------


def test_a_deleted_sqlite_file_is_recreated(sqlite_store: Store) -> None:
    assert _ask(sqlite_store, "before")
    path = sqlite_store.path
    assert path is not None
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    # Nothing was lost by this call: the file is made again, migrated, and the row written.
    assert _ask(sqlite_store, "after"), sqlite_store.last_error
    assert path.is_file()
    assert [row["question"] for row in _rows(sqlite_store, questions)] == ["after"]
    assert sqlite_store.failures == 0
    assert sqlite_store.healthy()


def test_a_sqlite_file_that_cannot_be_recreated_fails_quietly(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    path = sqlite_store.path
    assert path is not None
    assert _ask(sqlite_store, "before")
    path.unlink()
    path.mkdir()  # in the file's place: neither root nor anyone else can open it as a database
    caplog.set_level(logging.WARNING, logger="kinabot.records")
    assert _ask(sqlite_store, "hemlig fråga om 850312-1234") is False
    assert sqlite_store.record_feedback("hemlig fråga", "up", ["moms"], "sv", "hemlig kommentar") is False
    assert sqlite_store.failures == 2
    assert not sqlite_store.healthy()
    assert "hemlig" not in caplog.text and "850312" not in caplog.text
    assert all(record.exc_info is None and "\n" not in record.getMessage() for record in caplog.records)
    assert len([r for r in caplog.records if r.name == "kinabot.records" and "could not record" in r.message]) == 1
    path.rmdir()
    assert _ask(sqlite_store, "later"), sqlite_store.last_error
    assert sqlite_store.healthy()


@contextmanager
def _read_only(*paths: Path) -> Iterator[None]:
    """Make paths unwritable; as root, where permission bits do not stop writes, with chattr +i."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        try:
            for path in paths:
                path.chmod(0o555 if path.is_dir() else 0o444)
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root, where chmod does not stop writes, and chattr is not installed")
    done: list[Path] = []
    try:
        for path in paths:
            result = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True, check=False)
            if result.returncode:
                pytest.skip(f"running as root and the immutable flag is refused here: {result.stderr.strip()}")
            done.append(path)
        yield
    finally:
        for path in done:
            subprocess.run([chattr, "-i", str(path)], check=False)


@pytest.mark.parametrize("folder_too", [False, True], ids=["file", "file-and-folder"])
def test_a_read_only_sqlite_database_fails_quietly(sqlite_store: Store, folder_too: bool) -> None:
    path = sqlite_store.path
    assert path is not None
    assert _ask(sqlite_store, "before")
    with _read_only(path, *([path.parent] if folder_too else [])):
        with pytest.raises(PermissionError):
            path.open("ab").close()  # the file really is unwritable for this process
        assert _ask(sqlite_store, "while read-only") is False
        assert sqlite_store.record_feedback("while read-only", "down", []) is False
        assert sqlite_store.failures == 2
        assert sqlite_store.record_questions([{"question": "a"}, {"question": "b"}]) == 2
        assert sqlite_store.failures == 4
        assert not sqlite_store.healthy()
        assert (sqlite_store.last_error or "").startswith("OperationalError: ")
    assert _ask(sqlite_store, "writable again"), sqlite_store.last_error
    assert [row["question"] for row in _rows(sqlite_store, questions)] == ["before", "writable again"]


def test_an_unreachable_postgres_fails_fast_and_quietly() -> None:
    store = Store("postgresql+psycopg://kinabot:secret@127.0.0.1:1/kinabot", retry_seconds=3600)
    began = time.monotonic()
    assert store.start() is False
    assert _ask(store) is False
    assert store.record_feedback("Vad är moms?", "up", ["moms"]) is False
    assert time.monotonic() - began < 10
    assert store.failures == 2
    assert "OperationalError" in (store.last_error or "")
    assert not store.healthy()
    store.close()


def test_retries_wait_after_a_failed_start(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store("postgresql+psycopg://kinabot:secret@127.0.0.1:1/kinabot", retry_seconds=3600)
    calls: list[int] = []
    real_start = store.start

    def counted_start() -> bool:
        calls.append(1)
        return real_start()

    monkeypatch.setattr(store, "start", counted_start)
    for _ in range(3):
        assert _ask(store) is False
    assert calls == [1], "one attempt, then no more until retry_seconds have passed"
    store.close()


def test_database_urls_it_cannot_use_are_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        Store("mysql://kinabot@localhost/kinabot")
    with pytest.raises(ValueError, match="options"):
        Store(f"sqlite:///{tmp_path / 'k.sqlite3'}?mode=ro")


def test_in_memory_sqlite_works_for_quick_use() -> None:
    with Store("sqlite://") as store:
        assert _ask(store)
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(questions)).scalar_one() == 1

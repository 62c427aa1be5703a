"""Switching index versions while serving, and the admin API that drives it."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kinabot.api import create_app
from kinabot.builder import build
from kinabot.settings import Settings
from tests.builders import document, write_corpus
from tests.servers import running_service

pytestmark = pytest.mark.slow

TOKEN = "t" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parent.parent
HARBOUR = document(
    "karlshamn-harbour",
    "en",
    "The harbour crane in Karlshamn",
    "## The crane\nThe new blue harbour crane in Karlshamn lifts 120 tonnes and was painted in 2031.",
)


@pytest.fixture
def work(tmp_path: Path, embedder) -> Settings:
    settings = Settings(
        corpus_dir=write_corpus(tmp_path / "corpus"),
        index_dir=tmp_path / "indexes",
        data_dir=tmp_path / "data",
        admin_token=TOKEN,
        reload_interval=0,
        rate_limit_per_minute=0,
    )
    build(settings, embedder=embedder)
    return settings


def test_reload_switches_to_a_new_version(work: Settings, embedder) -> None:
    with TestClient(create_app(work)) as c:
        old = c.get("/readyz").json()["index_version"]
        (work.corpus_dir / "karlshamn-harbour.en.md").write_text(HARBOUR, encoding="utf-8")
        new = build(work, embedder=embedder).version
        assert c.get("/readyz").json()["index_version"] == old, "no switch before it is asked for"
        question = {"question": "How much does the harbour crane in Karlshamn lift?"}
        before = c.post("/api/ask", json=question).json()
        assert before["index_version"] == old and "karlshamn-harbour" not in str(before)
        switched = c.post("/admin/api/reload", headers=AUTH).json()
        assert switched == {"index_version": new, "switched": True, "detail": None}
        body = c.post("/api/ask", json=question).json()  # not the old version's answer from the cache
        assert body["index_version"] == new
        assert body["passages"][0]["doc_id"] == "karlshamn-harbour"
        assert f'kinabot_index_info{{version="{new}"}} 1.0' in c.get("/metrics").text


@pytest.mark.parametrize("size", [0, 64])
def test_a_question_asked_again_is_answered_from_the_cache(work: Settings, size: int) -> None:
    with TestClient(create_app(work.model_copy(update={"answer_cache": size}))) as c:
        asked = [
            c.post("/api/ask", json={"question": "Vad kostar det att starta ett aktiebolag?"}).json() for _ in range(3)
        ]
        other_lang = c.post("/api/ask", json={"question": "Vad kostar det att starta ett aktiebolag?", "lang": "en"})
        for body in asked[1:]:
            assert {**body, "took_ms": 0} == {**asked[0], "took_ms": 0}
        assert other_lang.json()["language"] == "en", "a forced language is a different question"
        assert f"kinabot_cached_answers_total {2.0 if size else 0.0}" in c.get("/metrics").text


def test_the_served_index_is_kept_out_of_garbage_collection(work: Settings) -> None:
    import gc

    app = create_app(work)
    with TestClient(app):
        passages = app.state.service.retriever.index.passages
        # Frozen objects are in the permanent generation, which get_objects() does not list:
        # a full collection never walks the index.
        assert gc.get_freeze_count() > 0
        assert all(obj is not passages for obj in gc.get_objects())


def test_the_answer_cache_forgets_the_least_recently_used() -> None:
    from kinabot.service import AnswerCache

    cache = AnswerCache(2)
    cache.put(("v1", "a", None, None), "A")  # type: ignore[arg-type]
    cache.put(("v1", "b", None, None), "B")  # type: ignore[arg-type]
    assert cache.get(("v1", "a", None, None)) == "A"  # a is now the most recent
    cache.put(("v1", "c", None, None), "C")  # type: ignore[arg-type]
    assert cache.get(("v1", "b", None, None)) is None
    assert len(cache) == 2 and cache.get(("v2", "a", None, None)) is None
    cache.clear()
    assert len(cache) == 0


def test_a_version_that_fails_verification_is_not_served(work: Settings, embedder) -> None:
    with TestClient(create_app(work)) as c:
        old = c.get("/readyz").json()["index_version"]
        (work.corpus_dir / "karlshamn-harbour.en.md").write_text(HARBOUR, encoding="utf-8")
        new = build(work, embedder=embedder).version
        (work.index_dir / new / "passages.jsonl").write_text("tampered\n", encoding="utf-8")
        result = c.post("/admin/api/reload", headers=AUTH).json()
        assert result["switched"] is False and result["index_version"] == old
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["index_version"] == old
        assert new in ready.json()["detail"] and "passages.jsonl" in ready.json()["detail"]
        assert c.post("/api/ask", json={"question": "moms"}).json()["index_version"] == old
        assert 'kinabot_index_reloads_total{outcome="failed"} 1.0' in c.get("/metrics").text


def test_the_watcher_notices_a_new_version_by_itself(work: Settings, embedder) -> None:
    watching = work.model_copy(update={"reload_interval": 0.1})
    with TestClient(create_app(watching)) as c:
        (work.corpus_dir / "karlshamn-harbour.en.md").write_text(HARBOUR, encoding="utf-8")
        new = build(work, embedder=embedder).version
        deadline = time.monotonic() + 10
        while c.get("/readyz").json()["index_version"] != new:
            assert time.monotonic() < deadline, "the service did not switch to the new version"
            time.sleep(0.1)


def test_admin_is_off_without_a_token_and_needs_it_when_on(work: Settings, retriever) -> None:
    off = work.model_copy(update={"admin_token": None})
    with TestClient(create_app(off)) as c:
        assert c.get("/admin/api/documents", headers=AUTH).status_code == 404
        assert c.get("/admin").status_code == 404
    with TestClient(create_app(work)) as c:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 40}, {"Authorization": TOKEN}):
            response = c.get("/admin/api/documents", headers=headers)
            assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
        listed = c.get("/admin/api/documents", headers=AUTH).json()
        assert listed["index_version"]
        vat = next(d for d in listed["documents"] if d["id"] == "swedish-vat" and d["lang"] == "sv")
        assert vat["passages"] >= 1 and vat["path"] == "swedish-vat.sv.md" and vat["updated"]
        assert c.get("/admin", headers={}).status_code == 200, "the page itself asks for the token"
        for query in ("until=0001-01-01", "since=9999-12-31", "since=2026-11-02&until=2026-11-01"):
            refused = c.get(f"/admin/api/report?{query}", headers=AUTH)
            assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_request", query


def test_a_short_admin_token_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Settings(admin_token="short")


def _upload_and_wait(admin: httpx.Client, old: str) -> str:
    time.sleep(1)
    upload = admin.post(
        "/admin/api/documents",
        headers=AUTH,
        files={"file": ("Karlshamn harbour.en.md", HARBOUR.encode(), "text/markdown")},
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["path"] == "uploads/Karlshamn-harbour.en.md"
    deadline = time.monotonic() + 240
    while admin.get("/readyz").json()["index_version"] == old:
        assert time.monotonic() < deadline, admin.get("/admin/api/rebuild", headers=AUTH).json()
        time.sleep(0.5)
    return admin.get("/readyz").json()["index_version"]


def test_no_request_fails_while_documents_change_and_the_index_switches(work: Settings) -> None:
    """Clients keep asking while an admin uploads a document, the service rebuilds and
    switches, and the admin deletes it again; every answer is a 200 from a complete version."""
    env = {
        "KINABOT_CORPUS_DIR": str(work.corpus_dir),
        "KINABOT_INDEX_DIR": str(work.index_dir),
        "KINABOT_DATA_DIR": str(work.data_dir),
        "KINABOT_ADMIN_TOKEN": TOKEN,
        "KINABOT_RATE_LIMIT_PER_MINUTE": "0",
        "KINABOT_RELOAD_INTERVAL": "0.5",
    }
    with (
        running_service(env, work.data_dir.parent / "serve.log") as base,
        httpx.Client(base_url=base, timeout=30) as admin,
    ):
        old = admin.get("/readyz").json()["index_version"]

        outcomes: Counter[str] = Counter()
        versions: Counter[str] = Counter()
        stop = threading.Event()
        questions = ["Hur hög är momsen i Sverige?", "苏州工业园区是哪一年设立的？", "harbour crane Karlshamn"]

        def hammer(n: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as c:
                i = n
                while not stop.is_set():
                    try:
                        r = c.post("/api/ask", json={"question": questions[i % 3]})
                        outcomes[str(r.status_code)] += 1
                        if r.status_code == 200:
                            versions[r.json()["index_version"]] += 1
                    except httpx.HTTPError as exc:
                        outcomes[type(exc).__name__] += 1
                    i += 1

        clients = [threading.Thread(target=hammer, args=(n,), daemon=True) for n in range(4)]
        for t in clients:
            t.start()
        try:
            new = _upload_and_wait(admin, old)
            time.sleep(1.5)
        finally:
            stop.set()
            for t in clients:
                t.join()

        assert set(outcomes) == {"200"}, outcomes
        assert set(versions) == {old, new} and versions[new] > 0, versions
        progress = admin.get("/admin/api/rebuild", headers=AUTH).json()
        assert progress["state"] == "done"
        assert progress["summary"]["added"] == ["uploads/Karlshamn-harbour.en.md"]
        found = admin.post("/api/ask", json={"question": "How much does the harbour crane in Karlshamn lift?"})
        assert found.json()["passages"][0]["doc_id"] == "karlshamn-harbour"

        removed = admin.delete("/admin/api/documents/karlshamn-harbour", headers=AUTH)
        assert removed.status_code == 200 and removed.json()["removed"] == ["uploads/Karlshamn-harbour.en.md"]
        deadline = time.monotonic() + 240
        while admin.get("/readyz").json()["index_version"] == new:
            assert time.monotonic() < deadline
            time.sleep(0.5)
        listed = admin.get("/admin/api/documents", headers=AUTH).json()["documents"]
        assert "karlshamn-harbour" not in {d["id"] for d in listed}


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ("missing", "dense-sv.faiss"),
        ("truncated", "sentences.npy"),
        ("tampered", "passages.jsonl"),
        ("manifest", "manifest.json"),
    ],
)
def test_a_damaged_index_keeps_the_service_unready_and_names_the_file(work: Settings, fault: str, named: str) -> None:
    version = work.index_dir / (work.index_dir / "CURRENT").read_text().strip()
    target = version / named
    if fault == "missing":
        target.unlink()
    elif fault == "truncated":
        target.write_bytes(target.read_bytes()[:100])
    elif fault == "tampered":
        lines = target.read_text(encoding="utf-8").splitlines()
        target.write_text("\n".join([lines[0].replace("moms", "MOMS").replace("a", "b"), *lines[1:]]) + "\n")
    else:
        target.write_text("{not json", encoding="utf-8")
    with TestClient(create_app(work)) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert named in ready.json()["detail"]
        assert str(work.index_dir) not in ready.json()["detail"], "no absolute paths leave the service"
        answer = c.post("/api/ask", json={"question": "Hur hög är momsen?"})
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "index_not_ready"


def _wait_for(predicate, seconds: float = 10.0) -> None:
    """Until ``predicate`` holds; recording happens on a background thread."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if predicate():
                return
        except Exception:  # the store may be between recreating the file and migrating it
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_answers_keep_flowing_when_the_database_goes_away(work: Settings) -> None:
    from kinabot.records import Store

    store = Store(work.database, retention_days=work.retention_days, retry_seconds=0.2)
    with TestClient(create_app(work, store=store)) as c:
        assert c.post("/api/ask", json={"question": "Hur hög är momsen?"}).status_code == 200
        _wait_for(lambda: store.report(_today(), _today()).questions == 1)

        # Deleted while serving: the store makes a new file and goes on.
        assert store.path is not None
        for path in store.path.parent.glob("kinabot.sqlite3*"):
            path.unlink()
        assert c.post("/api/ask", json={"question": "苏州工业园区在哪里？"}).status_code == 200
        _wait_for(lambda: store.path.is_file() and store.report(_today(), _today()).questions == 1)

        # Unwritable (a folder where the file was, which even root cannot write rows into):
        # every answer still goes out, and the failures are counted.
        for path in store.path.parent.glob("kinabot.sqlite3*"):
            path.unlink()
        store.path.mkdir()
        for question in ("moms", "VAT in Sweden", "增值税"):
            assert c.post("/api/ask", json={"question": question}).status_code == 200
        assert c.post("/api/feedback", json={"question": "moms", "vote": "up"}).status_code == 202
        _wait_for(lambda: "kinabot_record_failures_total 4.0" in c.get("/metrics").text)
        assert c.get("/readyz").status_code == 200


def test_fifty_visitors_give_feedback_at_once_and_every_vote_is_stored(work: Settings) -> None:
    import concurrent.futures

    from kinabot.records import Store

    store = Store(work.database, retention_days=work.retention_days)
    with TestClient(create_app(work, store=store)) as c:

        def vote(i: int) -> int:
            body = {"question": f"fråga {i} om moms", "vote": "up" if i % 3 else "down", "doc_ids": ["swedish-vat"]}
            return c.post("/api/feedback", json=body).status_code

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            assert set(pool.map(vote, range(50))) == {202}
        _wait_for(lambda: store.report(_today(), _today()).feedback == 50)
        report = store.report(_today(), _today())
        assert (report.feedback_up, report.feedback_down) == (33, 17)
        assert [(d.doc_id, d.up, d.down) for d in report.documents] == [("swedish-vat", 33, 17)]


def _today():
    import datetime as dt

    return dt.datetime.now(dt.UTC).date()


def test_uploads_are_checked_before_they_are_kept(work: Settings) -> None:
    small = work.model_copy(update={"max_file_bytes": 2048})
    with TestClient(create_app(small)) as c:

        def upload(name: str, data: bytes):
            return c.post("/admin/api/documents", headers=AUTH, files={"file": (name, data)}, data={"rebuild": "false"})

        assert upload("tool.exe", b"MZ...").status_code == 415
        assert upload("big.txt", b"a" * 100_000).status_code == 413
        assert upload("big.txt", b"a" * 3000).status_code == 413
        assert upload("empty.txt", b"").status_code == 422
        saved = upload("../../../etc/Moms 2026.txt", "Momsen är 25 procent.".encode())
        assert saved.status_code == 201 and saved.json()["path"] == "uploads/Moms-2026.txt"
        assert (work.corpus_dir / "uploads" / "Moms-2026.txt").read_text(encoding="utf-8").startswith("Momsen")
        assert sorted(p.name for p in (work.corpus_dir / "uploads").iterdir()) == ["Moms-2026.txt"]
        assert c.delete("/admin/api/documents/no-such-document", headers=AUTH).status_code == 404

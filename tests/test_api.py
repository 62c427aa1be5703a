from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kinabot.api import create_app
from kinabot.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(settings, retriever):
    with TestClient(create_app(settings, retriever=retriever)) as c:
        yield c


@pytest.mark.parametrize(
    ("question", "lang", "doc_id"),
    [
        ("Hur hög är momsen i Sverige?", "sv", "swedish-vat"),
        ("苏州工业园区是哪一年设立的？", "zh", "suzhou-industrial-park"),
        ("When was Linnaeus University formed?", "en", "linnaeus-university"),
    ],
)
def test_ask_in_each_language(client: TestClient, question: str, lang: str, doc_id: str) -> None:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == lang
    assert body["no_answer"] is False
    assert body["answer"]
    assert body["passages"][0]["doc_id"] == doc_id
    top = body["passages"][0]
    assert top["url"].startswith("https://")
    assert 0 <= top["match_start"] < top["match_end"] <= len(top["text"])
    assert body["sources"][0]["doc_id"] == doc_id


def test_top_k_and_forced_language(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Suzhou Expo 2010", "lang": "zh", "top_k": 7}).json()
    assert body["language"] == "zh" and body["language_forced"] is True
    assert len(body["passages"]) == 7


def test_no_answer_keeps_ranked_passages_marked(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Vem vann fotbolls-VM 1998?", "top_k": 3}).json()
    assert body["no_answer"] is True
    assert body["answer"] is None
    assert body["message"] and "Region Kronoberg" in body["contact"]
    assert len(body["passages"]) == 3 and all(p["below_threshold"] for p in body["passages"])


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"question": "   "}, 422, "question_empty"),
        ({"question": "x" * 5000}, 422, "question_too_long"),
        ({"question": "hej", "lang": "de"}, 422, "invalid_request"),
        ({"question": "hej", "top_k": 0}, 422, "invalid_request"),
        ({"question": "hej", "top_k": 21}, 422, "invalid_request"),
        ({"question": 42}, 422, "invalid_request"),
        ({"question": "hej", "extra": 1}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
    ],
)
def test_bad_requests_share_one_error_shape(client: TestClient, payload: dict, status: int, code: str) -> None:
    response = client.post("/api/ask", json=payload)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_errors_speak_the_askers_language(client: TestClient) -> None:
    zh = client.post("/api/ask", json={"question": "苏" * 600}).json()
    assert "问题太长" in zh["error"]["message"]
    sv = client.post("/api/ask", json={"question": "Hur " * 200}).json()
    assert "Frågan är för lång" in sv["error"]["message"]


def test_malformed_json_and_unknown_route(client: TestClient) -> None:
    response = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    response = client.get("/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None, "index_version": None}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["index_version"]


def test_openapi_documents_the_ask_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"]
    assert "Answer a question" in spec["paths"]["/api/ask"]["post"]["description"]


def test_service_without_index_is_alive_but_not_ready(tmp_path: Path, corpus_dir: Path) -> None:
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path)
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert "kinabot build" in ready.json()["detail"]
        response = c.post("/api/ask", json={"question": "Hur hög är momsen?"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "index_not_ready"


def test_service_loads_model_and_index_at_start(settings, built_index) -> None:
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").json()["status"] == "ready"
        assert c.post("/api/ask", json={"question": "moms sverige"}).json()["passages"][0]["doc_id"] == "swedish-vat"


def test_suggestions_per_language(client: TestClient) -> None:
    for lang in ("sv", "zh", "en"):
        body = client.get("/api/suggestions", params={"lang": lang}).json()
        assert body["lang"] == lang
        assert 1 <= len(body["questions"]) <= 4
    assert client.get("/api/suggestions", params={"lang": "de"}).json()["error"]["code"] == "invalid_request"


def test_feedback_is_accepted_and_validated(client: TestClient) -> None:
    response = client.post(
        "/api/feedback", json={"question": "moms?", "vote": "up", "doc_ids": ["swedish-vat"], "lang": "sv"}
    )
    assert response.status_code == 202 and response.json() == {"status": "received"}
    bad = client.post("/api/feedback", json={"question": "moms?", "vote": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"

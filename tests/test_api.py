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
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path, data_dir=tmp_path / "data")
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


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b'{"question": "hej \xff\xfe"}', "invalid_request"),  # not UTF-8
        (b'{"question": "hej\\u0000d\\u0007"}', "invalid_request"),  # control characters
        (b'{"question": ["a", "b"]}', "invalid_request"),
        (b'{"question": null}', "invalid_request"),
        (b"[]", "invalid_request"),
        (b'"just a string"', "invalid_request"),
        (b"", "invalid_request"),
    ],
)
def test_hostile_bodies_get_a_clear_error_never_a_500(client: TestClient, content: bytes, code: str) -> None:
    response = client.post("/api/ask", content=content, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == code


def test_body_over_the_size_limit_is_refused_before_parsing(client: TestClient, settings: Settings) -> None:
    big = b'{"question": "' + b"a" * settings.max_body_bytes + b'"}'
    response = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_every_response_carries_security_headers_and_a_request_id(client: TestClient) -> None:
    for response in (
        client.post("/api/ask", json={"question": "moms"}),
        client.post("/api/ask", json={"question": ""}),
        client.get("/"),
        client.get("/widget.js"),
        client.get("/nope"),
        client.get("/readyz"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"]
        assert len(response.headers["x-request-id"]) >= 8
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]
    assert client.get("/widget.js").headers["cross-origin-resource-policy"] == "cross-origin"
    sent = client.post("/api/ask", json={"question": "moms"}, headers={"X-Request-ID": "visitor-42"})
    assert sent.headers["x-request-id"] == "visitor-42"


def test_demo_page_has_no_inline_script(client: TestClient) -> None:
    page = client.get("/").text
    assert "<script>" not in page and '<script src="/demo.js">' in page
    assert client.get("/demo.js").status_code == 200


def test_errors_leak_no_paths_or_traces(client: TestClient, settings: Settings) -> None:
    bodies = [
        client.post("/api/ask", content=b"{bad", headers={"content-type": "application/json"}).text,
        client.post("/api/ask", json={"question": 1}).text,
        client.get("/../../etc/passwd").text,
        client.get("/admin").text,
    ]
    for text in bodies:
        assert "Traceback" not in text and str(settings.index_dir) not in text and "/src/kinabot" not in text


def test_cors_only_for_listed_origins(settings: Settings, retriever) -> None:
    allowed = settings.model_copy(
        update={"cors_origins": ["https://www.regionkronoberg.se"], "record_questions": False}
    )
    with TestClient(create_app(allowed, retriever=retriever)) as c:
        ok = c.post("/api/ask", json={"question": "moms"}, headers={"Origin": "https://www.regionkronoberg.se"})
        assert ok.headers["access-control-allow-origin"] == "https://www.regionkronoberg.se"
        other = c.post("/api/ask", json={"question": "moms"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = c.options(
            "/api/ask",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_rate_limit_per_client_with_retry_after(settings: Settings, retriever) -> None:
    limited = settings.model_copy(
        update={
            "rate_limit_per_minute": 6,
            "rate_limit_burst": 2,
            "trusted_proxies": ["testclient"],
            "record_questions": False,
        }
    )
    with TestClient(create_app(limited, retriever=retriever)) as c:
        first = [c.post("/api/ask", json={"question": "Hur hög är momsen?"}).status_code for _ in range(2)]
        assert first == [200, 200]
        refused = c.post("/api/ask", json={"question": "Hur hög är momsen?"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert refused.json()["error"]["code"] == "rate_limited"
        assert "Vänta" in refused.json()["error"]["message"], "the widget shows this text as it is"
        zh = c.post("/api/feedback", json={"question": "增值税是多少？", "vote": "up"})
        assert zh.status_code == 429 and "秒" in zh.json()["error"]["message"]
        # Behind the trusted proxy, each forwarded visitor has a bucket of their own.
        other = c.post("/api/ask", json={"question": "moms"}, headers={"X-Forwarded-For": "198.51.100.7"})
        assert other.status_code == 200
        # Reading pages and health is never limited.
        assert c.get("/readyz").status_code == 200 and c.get("/widget.js").status_code == 200
        assert "kinabot_rate_limited_total 2.0" in c.get("/metrics").text


def test_metrics_in_prometheus_format(client: TestClient) -> None:
    client.post("/api/ask", json={"question": "Vad kostar det att starta aktiebolag?"})
    client.post("/api/ask", json={"question": "Vem vann fotbolls-VM 1998?"})
    text = client.get("/metrics").text
    assert 'kinabot_http_requests_total{route="/api/ask",status="200"}' in text
    assert 'kinabot_http_request_seconds_bucket{le="0.25",route="/api/ask"}' in text
    assert 'kinabot_answers_total{lang="sv"}' in text
    assert 'kinabot_no_answers_total{lang="sv"}' in text
    assert "kinabot_index_info{version=" in text
    assert 'kinabot_index_passages{lang="zh"}' in text
    assert "kinabot_rate_limited_total" in text


def test_questions_asked_together_are_answered_together(client: TestClient) -> None:
    import concurrent.futures

    questions = ["Hur hög är momsen i Sverige?", "苏州工业园区是哪一年设立的？", "When was Linnaeus University formed?"]
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        bodies = list(pool.map(lambda q: client.post("/api/ask", json={"question": q}).json(), questions * 4))
    for question, body in zip(questions * 4, bodies, strict=True):
        assert body["question"] == question
    assert {b["passages"][0]["doc_id"] for b in bodies[::3]} == {"swedish-vat"}
    assert {b["passages"][0]["doc_id"] for b in bodies[1::3]} == {"suzhou-industrial-park"}

"""Property-based fuzzing of the real service against its own OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from kinabot.builder import build
from kinabot.settings import Settings
from tests.builders import write_corpus
from tests.servers import running_service

pytestmark = pytest.mark.slow

TOKEN = "f" * 48


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:
    work = tmp_path_factory.mktemp("schema")
    corpus, index_dir = write_corpus(work / "corpus"), work / "indexes"
    build(Settings(corpus_dir=corpus, index_dir=index_dir), embedder=embedder)
    env = {
        "KINABOT_CORPUS_DIR": str(corpus),
        "KINABOT_INDEX_DIR": str(index_dir),
        "KINABOT_DATA_DIR": str(work / "data"),
        "KINABOT_ADMIN_TOKEN": TOKEN,
        "KINABOT_RATE_LIMIT_PER_MINUTE": "0",
        "KINABOT_RELOAD_INTERVAL": "0",
    }
    with running_service(env, work / "serve.log") as base:
        yield base


def test_no_input_makes_the_service_fail(served: str) -> None:
    """Whatever the schema allows, and much that it does not: never a 5xx, on every operation.

    Uploads and rebuilds are left out: each would start a real index build (both are
    tested in test_service).
    """
    schema = schemathesis.openapi.from_url(served + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    tested = []
    invalid: dict[str, int] = {}
    for operation in operations:
        if operation.method.upper() == "POST" and operation.path in ("/admin/api/rebuild", "/admin/api/documents"):
            continue
        assert _fuzz(operation, served, GenerationMode.POSITIVE) >= 1, f"{operation.label}: no valid cases"
        try:
            invalid[operation.label] = _fuzz(operation, served, GenerationMode.NEGATIVE)
        except Unsatisfiable:  # nothing in it can be invalid (no parameters, no body)
            invalid[operation.label] = 0
        tested.append(f"{operation.method.upper()} {operation.path}")
    assert {"POST /api/ask", "POST /api/feedback", "GET /api/suggestions", "GET /admin/api/report"} <= set(tested)
    assert invalid["POST /api/ask"] > 10 and invalid["POST /api/feedback"] > 10, invalid


def _fuzz(operation, served: str, mode: GenerationMode) -> int:
    """Send generated cases (valid ones, or ones the schema forbids) for one operation; the number sent."""
    headers = {"Authorization": f"Bearer {TOKEN}"} if operation.path.startswith("/admin") else None
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def no_server_error(case) -> None:
        case.call_and_validate(base_url=served, headers=headers, checks=[not_a_server_error])
        sent.append(case)

    no_server_error()
    return len(sent)

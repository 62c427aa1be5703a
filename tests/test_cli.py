from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinabot.cli import app
from tests.builders import write_corpus

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KINABOT_CORPUS_DIR", str(write_corpus(tmp_path / "corpus")))
    monkeypatch.setenv("KINABOT_INDEX_DIR", str(tmp_path / "indexes"))
    return tmp_path


def test_build_then_ask(env: Path) -> None:
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 0, result.output
    assert "built index" in result.output
    again = runner.invoke(app, ["build"])
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output

    result = runner.invoke(app, ["ask", "Hur hög är momsen i Sverige?"])
    assert result.exit_code == 0, result.output
    assert "25 procent" in result.output
    assert "source: Moms i Sverige" in result.output

    result = runner.invoke(app, ["ask", "苏州工业园区是哪一年设立的？", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["language"] == "zh" and body["passages"][0]["doc_id"] == "suzhou-industrial-park"


def test_bad_file_is_reported_and_sets_exit_code(env: Path) -> None:
    (env / "corpus" / "broken.md").write_text("---\nid: [x\n---\n", encoding="utf-8")
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 3, result.output
    assert "broken.md" in result.output
    assert "built index" in result.output


def test_ask_without_index_explains(env: Path) -> None:
    result = runner.invoke(app, ["ask", "hej"])
    assert result.exit_code == 1
    assert "kinabot build" in result.output


def test_ask_rejects_unknown_language(env: Path) -> None:
    result = runner.invoke(app, ["ask", "hej", "--lang", "de"])
    assert result.exit_code == 2
    assert "sv, zh, en" in result.output

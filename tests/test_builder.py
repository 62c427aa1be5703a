from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kinabot import builder
from kinabot.builder import BuildBusy, build, build_lock, read_status
from kinabot.index import current_version, load_index, read_manifest
from kinabot.settings import Settings
from tests.builders import document, write_corpus

pytestmark = pytest.mark.slow


@pytest.fixture
def work(tmp_path: Path) -> Settings:
    return Settings(corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=tmp_path / "indexes")


def _no_model(*args, **kwargs):
    raise AssertionError("the model was loaded although every vector was in the cache")


def test_first_build_embeds_everything_and_reports_it(work: Settings, embedder) -> None:
    summary = build(work, embedder=embedder)
    assert not summary.up_to_date
    assert summary.added == sorted(p.name for p in work.corpus_dir.glob("*.md"))
    assert summary.changed == summary.removed == summary.skipped == []
    assert summary.embedded > summary.passages and summary.reused == 0
    status = read_status(work.index_dir)
    assert status["state"] == "done" and status["summary"]["version"] == summary.version
    assert status["stage"] == "embedding" and status["unit"] == "text"
    assert status["done"] == status["total"] == summary.embedded
    assert current_version(work.index_dir).name == summary.version


def test_rebuild_embeds_only_what_changed(work: Settings, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    first = build(work, embedder=embedder)
    # Nothing changed: the model is not even loaded.
    monkeypatch.setattr(builder, "load_embedder", _no_model)
    again = build(work)
    assert again.up_to_date and again.version == first.version

    changed = work.corpus_dir / "swedish-vat.sv.md"
    changed.write_text(
        document("swedish-vat", "sv", "Moms i Sverige", "## Skattesatser\nNormalskattesatsen för moms är 25 procent."),
        encoding="utf-8",
    )
    (work.corpus_dir / "linnaeus-university.en.md").unlink()
    monkeypatch.undo()
    summary = build(work, embedder=embedder)
    assert summary.changed == ["swedish-vat.sv.md"]
    assert summary.removed == ["linnaeus-university.en.md"]
    assert summary.added == []
    # Only the changed article's passages, sentences and outline reach the model.
    assert 0 < summary.embedded <= 5, summary
    assert summary.reused > 50
    index = load_index(work.index_dir)
    assert ("linnaeus-university", "en") not in index.documents
    assert any("25 procent" in p.text for p in index.passages if p.doc_id == "swedish-vat")


def test_forced_rebuild_gives_the_same_vectors_from_the_cache(work: Settings, embedder) -> None:
    import numpy as np

    first = build(work, embedder=embedder)
    before = np.load(work.index_dir / first.version / "sentences.npy")
    second = build(work, embedder=embedder, force=True)
    assert second.embedded == 0 and second.version != first.version
    after = np.load(work.index_dir / second.version / "sentences.npy")
    assert np.allclose(before, after, atol=1e-6)


def test_bad_files_are_skipped_counted_and_the_build_goes_on(work: Settings, embedder) -> None:
    (work.corpus_dir / "empty.txt").write_bytes(b"")
    (work.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    summary = build(work, embedder=embedder)
    assert summary.version is not None
    reasons = dict(s.split(": ", 1) for s in summary.skipped)
    assert set(reasons) == {"empty.txt", "broken.pdf"}
    assert any("skipped 2 files" in line for line in summary.lines())


def test_one_build_at_a_time(work: Settings, embedder) -> None:
    with build_lock(work.index_dir), pytest.raises(BuildBusy):
        build(work, embedder=embedder)
    assert read_status(work.index_dir)["state"] == "none"


def test_old_versions_are_pruned_to_the_number_kept(work: Settings, embedder) -> None:
    work = work.model_copy(update={"keep_versions": 2})
    versions = [build(work, embedder=embedder, force=True).version for _ in range(3)]
    kept = sorted(p.name for p in work.index_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert kept == sorted(versions[1:])


def test_manifest_lists_source_files_with_hashes(work: Settings, embedder) -> None:
    summary = build(work, embedder=embedder)
    files = read_manifest(work.index_dir / summary.version)["source_files"]
    assert set(files) == {p.name for p in work.corpus_dir.glob("*.md")}
    assert all(len(digest) == 64 for digest in files.values())


def test_a_stopped_build_is_reported_as_failed(work: Settings) -> None:
    work.index_dir.mkdir(parents=True)
    (work.index_dir / builder.STATUS_FILE).write_text(json.dumps({"state": "running", "stage": "embedding"}))
    status = read_status(work.index_dir)
    assert status["state"] == "failed" and "stopped" in status["error"]


def test_the_cli_exit_code_says_whether_files_were_skipped(work: Settings, embedder, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kinabot.cli import app

    build(work, embedder=embedder)  # fills the cache, so the command line needs no model
    env = {"KINABOT_CORPUS_DIR": str(work.corpus_dir), "KINABOT_INDEX_DIR": str(work.index_dir)}
    clean = CliRunner().invoke(app, ["build", "--force"], env=env)
    assert clean.exit_code == 0, clean.output
    assert "embedded 0 texts" in clean.output
    shutil.copy(Path(__file__), work.corpus_dir / "notes.doc")
    skipped = CliRunner().invoke(app, ["build"], env=env)
    assert skipped.exit_code == 3, skipped.output
    assert "notes.doc" in skipped.output


def test_progress_counts_files_then_texts_with_an_eta(tmp_path: Path) -> None:
    progress = builder.Progress(tmp_path / "status.json", bar=False)
    progress.stage("reading", 0, unit="file")
    for _ in range(4):
        progress.advance(1, more=4 - progress.state["total"])
    assert (progress.state["done"], progress.state["total"]) == (4, 4)
    progress.stage("embedding", 0, unit="text")
    progress.advance(0, more=100)  # the first call learns how many texts are coming
    progress.advance(25)
    assert json.loads((tmp_path / "status.json").read_text())["stage"] == "embedding"
    assert (progress.state["done"], progress.state["total"]) == (25, 100)
    assert progress.state["eta_seconds"] is not None and progress.state["eta_seconds"] >= 0
    progress.advance(0, more=20)
    progress.advance(95)
    progress.finish(None)
    done = json.loads((tmp_path / "status.json").read_text())
    assert done["state"] == "done" and done["done"] == done["total"] == 120

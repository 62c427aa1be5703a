from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kinabot.corpus import load_corpus, parse_document
from tests.builders import document, write_corpus


def test_valid_document_is_parsed() -> None:
    doc = parse_document(document("a-doc", "sv", "Titel", "Text."), "a.md")
    assert (doc.id, doc.lang, doc.title) == ("a-doc", "sv", "Titel")
    assert str(doc.sources[0].url) == "https://example.org/a-doc"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("No front matter at all.", "no YAML front matter"),
        ("---\nid: [unclosed\n---\nText", "not valid YAML"),
        ("---\nid: x\nlang: de\ntitle: T\nsources: []\nupdated: 2026-01-01\n---\nText", "lang"),
        (
            "---\nid: Bad Id\nlang: sv\ntitle: T\nsources:\n  - url: https://a.se\n    publisher: P\n    consulted: 2026-01-01\nupdated: 2026-01-01\n---\nText",
            "id",
        ),
        ("---\nid: x\nlang: sv\ntitle: T\nsources: []\nupdated: 2026-01-01\n---\nText", "sources"),
        (
            "---\nid: x\nlang: sv\ntitle: T\nsources:\n  - url: not-a-url\n    publisher: P\n    consulted: 2026-01-01\nupdated: 2026-01-01\n---\nText",
            "url",
        ),
    ],
)
def test_bad_front_matter_gets_a_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_document(text, "bad.md")


def test_bad_files_are_reported_by_name_and_the_rest_still_load(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    (tmp_path / "broken.md").write_text("---\nid: [x\n---\nText", encoding="utf-8")
    (tmp_path / "german.md").write_text(
        "---\nid: x\nlang: de\ntitle: T\nsources: []\nupdated: 2026-01-01\n---\nText", encoding="utf-8"
    )
    (tmp_path / "latin1.md").write_bytes("---\nid: å\n---\n".encode("latin-1"))
    (tmp_path / "zz-dup.md").write_text(document("swedish-vat", "sv", "Kopia", "Text."), encoding="utf-8")
    corpus = load_corpus(tmp_path)
    errors = {e.path: e.message for e in corpus.errors}
    assert set(errors) == {"broken.md", "german.md", "latin1.md", "zz-dup.md"}
    assert errors["broken.md"].startswith("front matter is not valid YAML")
    assert errors["german.md"].startswith("bad front matter") and "lang" in errors["german.md"]
    assert errors["latin1.md"].startswith("bad front matter")
    assert errors["zz-dup.md"] == "id 'swedish-vat' in 'sv' is already used by swedish-vat.sv.md"
    assert len(corpus.documents) == 15


def test_markdown_without_front_matter_is_read_with_metadata_from_the_file(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "Kontor i Suzhou.md").write_text(
        "# Kontoret i Suzhou\n\nRegionen hade ett kontor i Suzhou mellan 2012 och 2020, och det stängdes när satsningen "
        "tog slut.\n",
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path)
    assert corpus.errors == []
    [doc] = [d for d in corpus.documents if d.path == "notes/Kontor i Suzhou.md"]
    assert (doc.id, doc.lang, doc.title, doc.sources) == ("notes-kontor-i-suzhou", "sv", "Kontoret i Suzhou", ())


def test_corpus_records_a_hash_of_every_file_read(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    (tmp_path / "broken.md").write_text("---\nid: [x\n---\nText", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert set(corpus.files) == {d.path for d in corpus.documents}
    assert "broken.md" not in corpus.files
    for rel, digest in corpus.files.items():
        assert digest == hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest()


def test_missing_corpus_folder_says_which_setting_to_change(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="KINABOT_CORPUS_DIR"):
        load_corpus(tmp_path / "nope")

"""Checks of the bundled knowledge base in corpus/ and its labelled questions in qa/."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from kinabot.chunking import text_units
from kinabot.corpus import load_corpus
from kinabot.evaluate import load_qa

ROOT = Path(__file__).resolve().parent.parent
CORPUS = load_corpus(ROOT / "corpus")
QA = load_qa(ROOT / "qa")
BY_ID: dict[str, dict] = defaultdict(dict)
for _doc in CORPUS.documents:
    BY_ID[_doc.id][_doc.lang] = _doc
_H2 = re.compile(r"^## ", re.MULTILINE)


def test_every_file_parses() -> None:
    assert CORPUS.errors == []


def test_size_and_languages_of_the_knowledge_base() -> None:
    both = [i for i, langs in BY_ID.items() if {"sv", "zh"} <= set(langs)]
    english = [i for i, langs in BY_ID.items() if "en" in langs]
    assert len(both) >= 40
    assert len(english) >= 20
    assert all({"sv", "zh"} <= set(langs) for langs in BY_ID.values()), "every article needs Swedish and Chinese"


@pytest.mark.parametrize("doc_id", sorted(BY_ID))
def test_translations_share_structure_and_sources(doc_id: str) -> None:
    versions = BY_ID[doc_id]
    headings = {lang: len(_H2.findall(doc.body)) for lang, doc in versions.items()}
    assert len(set(headings.values())) == 1, f"different numbers of ## headings: {headings}"
    assert next(iter(headings.values())) >= 2
    sources = {lang: sorted(str(s.url) for s in doc.sources) for lang, doc in versions.items()}
    assert len({tuple(s) for s in sources.values()}) == 1, "translations must cite the same sources"
    for lang, doc in versions.items():
        assert doc.body.startswith("# "), f"{lang}: start with the title as a # heading"
        assert all(str(s.url).startswith(("https://", "http://")) for s in doc.sources)
        assert all(s.publisher.strip() for s in doc.sources)
        size = text_units(doc.body)
        assert 150 <= size <= 1000, f"{lang}: {size:.0f} word-equivalents, expected an article of 200-900 words"


def test_chinese_versions_are_in_chinese_and_swedish_in_swedish() -> None:
    for doc in CORPUS.documents:
        han = len(re.findall(r"[\u4e00-\u9fff]", doc.body))
        if doc.lang == "zh":
            assert han > 200, doc.path
        else:
            assert han < 60, doc.path
        if doc.lang == "sv":
            assert re.search(r"[åäö]", doc.body), doc.path


def test_no_two_articles_are_duplicates() -> None:
    titles = Counter((d.lang, d.title.strip().lower()) for d in CORPUS.documents)
    assert [t for t, n in titles.items() if n > 1] == []
    openings = Counter((d.lang, d.body[:400]) for d in CORPUS.documents)
    assert [t for t, n in openings.items() if n > 1] == []


def test_no_invented_contact_details() -> None:
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    phone = re.compile(r"(?:\+46|\+86|\b0\d{1,3})[\s-]?\d{2,4}[\s-]?\d{2,4}[\s-]?\d{2,4}\b")
    for doc in CORPUS.documents:
        assert not email.search(doc.body), doc.path
        assert not phone.search(doc.body), doc.path


def test_labelled_questions_cover_the_required_mix() -> None:
    per_lang = Counter(q.lang for q in QA)
    assert per_lang["sv"] >= 60 and per_lang["zh"] >= 60 and per_lang["en"] >= 40
    assert sum(q.cross for q in QA) >= 30
    assert sum(not q.answers for q in QA) >= 20
    assert {q.split for q in QA} == {"dev", "test"}
    for lang in ("sv", "zh", "en"):
        splits = Counter(q.split for q in QA if q.lang == lang)
        assert min(splits.values()) >= 0.4 * sum(splits.values())
    assert len({q.qid for q in QA}) == len(QA)


def test_labelled_answers_name_real_articles() -> None:
    unknown = {(q.qid, a) for q in QA for a in q.answers if a not in BY_ID}
    assert unknown == set()

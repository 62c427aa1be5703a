from __future__ import annotations

from kinabot.chunking import MAX_UNITS, chunk_document, split_sentences, text_units
from kinabot.corpus import parse_document
from tests.builders import document


def _doc(lang: str, body: str, title: str = "Titel"):
    return parse_document(document("test-doc", lang, title, body), "test-doc.md")


def test_chinese_sentences_split_on_full_width_punctuation() -> None:
    text = "苏州工业园区成立于1994年。它是中新合作项目！面积有多大？约278平方公里。"
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "苏州工业园区成立于1994年。",
        "它是中新合作项目！",
        "面积有多大？",
        "约278平方公里。",
    ]


def test_latin_sentences_keep_abbreviations_and_numbers_together() -> None:
    text = "Momsen är 25 procent. Det gäller t.ex. möbler och 2,5 kg kaffe! Stämmer det? Ja."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Momsen är 25 procent.",
        "Det gäller t.ex. möbler och 2,5 kg kaffe!",
        "Stämmer det?",
        "Ja.",
    ]


def test_list_items_are_sentences_without_their_markers() -> None:
    text = "- Första punkten\n- Andra punkten\n1. Tredje"
    assert [text[a:b] for a, b in split_sentences(text)] == ["Första punkten", "Andra punkten", "Tredje"]


def test_passages_follow_headings_and_carry_the_heading_path() -> None:
    doc = _doc(
        "sv", "Inledning om ämnet.\n\n## Del ett\n\nText i del ett.\n\n### Under\n\nText under.\n\n## Del två\n\nSista."
    )
    passages = chunk_document(doc)
    assert [p.headings for p in passages] == [
        ("Titel",),
        ("Titel", "Del ett"),
        ("Titel", "Del ett", "Under"),
        ("Titel", "Del två"),
    ]
    assert passages[2].embedding_text().startswith("Titel › Del ett › Under\n")
    assert all(doc.body[p.start : p.end] == p.text for p in passages)


def test_long_sections_split_on_sentence_ends_within_the_size_limit() -> None:
    sentence = "Det här är en mening om företag i Kronoberg med ungefär femton ord i sig själv. "
    doc = _doc("sv", "## Lång\n\n" + sentence * 40)
    passages = chunk_document(doc)
    assert len(passages) >= 3
    for p in passages:
        assert text_units(p.text) <= MAX_UNITS * 1.3
        assert p.text.endswith(".")


def test_chinese_passages_are_sized_by_characters() -> None:
    sentence = "苏州工业园区是中国和新加坡两国政府间的重要合作项目，吸引了大量外资企业。"
    doc = _doc("zh", "## 概况\n\n" + sentence * 30, title="苏州")
    passages = chunk_document(doc)
    assert len(passages) >= 2
    for p in passages:
        assert 100 <= len(p.text) <= 350 * 1.3
        assert p.text.endswith("。")


def test_sentence_spans_point_into_the_passage_text() -> None:
    doc = _doc("en", "## A\n\nFirst one. Second one! Third?")
    (passage,) = chunk_document(doc)
    assert passage.sentence_texts() == ["First one.", "Second one!", "Third?"]


def test_a_short_tail_joins_the_passage_before_it() -> None:
    sentence = "This sentence has exactly ten words in it, more or less. "
    doc = _doc("en", "## A\n\n" + sentence * 17 + "Tail.")
    passages = chunk_document(doc)
    assert passages[-1].text.endswith("Tail.")
    assert text_units(passages[-1].text) > 10

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from kinabot.errors import QuestionEmpty, QuestionTooLong
from kinabot.index import load_index
from kinabot.search import FULL_POOL, Retriever, calibrate_languages, min_max, rrf
from kinabot.settings import Settings
from tests.builders import clustered_vectors, vector_index


def test_rrf_adds_weighted_reciprocal_ranks() -> None:
    scores = rrf([([1, 2, 3], 1.0), ([3, 1], 0.5)], k=60)
    assert scores[1] == pytest.approx(1 / 61 + 0.5 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 0.5 / 61)
    assert scores[2] == pytest.approx(1 / 62)
    assert max(scores, key=scores.get) == 1


def test_rrf_ignores_lists_with_zero_weight() -> None:
    assert rrf([([1], 1.0), ([2], 0.0)], k=60) == {1: pytest.approx(1 / 61)}


def _pools(sv: list[float], zh: list[float], en: list[float] = ()) -> tuple[np.ndarray, np.ndarray]:
    scores = [*sv, *zh, *en]
    return np.array(scores), np.array(["sv"] * len(sv) + ["zh"] * len(zh) + ["en"] * len(en))


def test_calibration_puts_other_languages_on_the_askers_scale() -> None:
    sv, zh = np.linspace(0.7, 0.5, FULL_POOL), np.linspace(0.45, 0.35, FULL_POOL)
    zh[0] = 0.6  # the translation: low next to Swedish scores, far above the other Chinese ones
    scores, langs = _pools(list(sv), list(zh), [0.3])
    out = calibrate_languages(scores, langs, "sv")
    assert out[:FULL_POOL].tolist() == sv.tolist()  # the asker's own language stays as it is
    moved = out[FULL_POOL : 2 * FULL_POOL]
    assert moved.mean() == pytest.approx(sv.mean()) and moved.std() == pytest.approx(sv.std())
    assert moved[0] > sv.max() and zh[0] < sv.max()  # the translation now comes first
    assert out[-1] == scores[-1]  # a lone candidate has no spread to standardise by
    halfway = calibrate_languages(scores, langs, "sv", share=0.5)
    assert halfway[FULL_POOL : 2 * FULL_POOL] == pytest.approx((zh + moved) / 2)
    assert calibrate_languages(scores, langs, "sv", share=0.0) is scores


def test_a_small_pool_moves_only_part_of_the_way() -> None:
    scores, langs = _pools([0.7, 0.6, 0.5, 0.4] * 5, [0.45, 0.2])
    out = calibrate_languages(scores, langs, "sv")
    full = (scores[-2:] - scores[-2:].mean()) / scores[-2:].std() * scores[:-2].std() + scores[:-2].mean()
    assert out[-2:] == pytest.approx(scores[-2:] + 2 / FULL_POOL * (full - scores[-2:]))


def test_calibration_without_candidates_in_the_askers_language_uses_all() -> None:
    scores, langs = _pools([], [0.6, 0.4] * 10, [0.3, 0.1] * 10)
    out = calibrate_languages(scores, langs, "sv")
    assert out.mean() == pytest.approx(scores.mean())
    assert out[0] == pytest.approx(out[20])  # each language's best stands out equally


def test_lexical_scores_span_zero_to_one_from_the_last_of_the_list() -> None:
    # Close scores below the best stay apart instead of all getting nearly full weight.
    assert min_max(np.array([9.0, 8.5, 8.0, 5.0])) == pytest.approx([1.0, 0.875, 0.75, 0.0])
    assert min_max(np.array([3.0])).tolist() == [1.0]  # the only match counts in full
    assert min_max(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]  # a tie tells nothing apart


def test_rrf_item_in_both_lists_beats_item_in_one() -> None:
    scores = rrf([([1, 2], 1.0), ([2, 1], 1.0), ([3], 1.0)], k=60)
    assert scores[1] == scores[2] > scores[3]


def _top_doc(answer) -> str:
    return answer.passages[0].doc_id


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "doc_id", "lang"),
    [
        ("Hur hög är momsen i Sverige?", "swedish-vat", "sv"),
        ("苏州工业园区是哪一年设立的？", "suzhou-industrial-park", "zh"),
        ("When was Linnaeus University formed?", "linnaeus-university", "en"),
        ("När skrevs samarbetsavtalet med Suzhou?", "suzhou-cooperation", "sv"),
        ("在中国怎么保护商标？", "trademarks-china", "zh"),
    ],
)
def test_each_language_finds_its_article(retriever, question: str, doc_id: str, lang: str) -> None:
    answer = retriever.ask(question)
    assert answer.language == lang
    assert not answer.no_answer, answer
    assert _top_doc(answer) == doc_id
    assert answer.sources[0].doc_id == doc_id


@pytest.mark.slow
def test_swedish_question_finds_article_that_exists_only_in_chinese(retriever) -> None:
    answer = retriever.ask("När grundades Suzhou Industrial Park och hur stort är området?")
    assert answer.language == "sv"
    assert not answer.no_answer
    assert _top_doc(answer) == "suzhou-industrial-park"
    assert answer.answer_language == "zh"  # no Swedish version exists
    assert "1994" in (answer.answer or "")


@pytest.mark.slow
def test_chinese_question_finds_article_that_exists_only_in_swedish(retriever) -> None:
    answer = retriever.ask("瑞典的增值税税率是多少？")
    assert answer.language == "zh"
    assert not answer.no_answer
    assert _top_doc(answer) == "swedish-vat"
    assert "25" in (answer.answer or "")


@pytest.mark.slow
def test_answer_uses_the_askers_language_when_a_translation_exists(retriever) -> None:
    answer = retriever.ask("世博会期间与哪个城市签署了合作协议？")
    assert answer.sources[0].doc_id == "suzhou-cooperation"
    assert answer.answer_language == "zh"
    assert "苏州" in (answer.answer or "")


@pytest.mark.slow
def test_unrelated_question_gets_no_answer_but_ranked_passages(retriever) -> None:
    answer = retriever.ask("Who won the football world cup in 1998?", top_k=3)
    assert answer.no_answer
    assert answer.answer is None
    assert answer.message and answer.contact
    assert len(answer.passages) == 3
    assert all(p.below_threshold for p in answer.passages)


@pytest.mark.slow
def test_a_question_about_another_countrys_rules_gets_no_answer(retriever) -> None:
    home = retriever.ask("Måste ett företag registrera sig för moms?")
    assert not home.no_answer and home.sources[0].doc_id == "swedish-vat"
    abroad = retriever.ask("Måste ett företag registrera sig för moms i Norge?")
    assert abroad.no_answer and abroad.passages[0].doc_id == "swedish-vat"


@pytest.mark.slow
def test_the_same_question_about_sweden_is_answered(retriever) -> None:
    # Out-of-scope examples naming other countries once made this look out of scope too.
    answer = retriever.ask("What is the VAT in Sweden?")
    assert not answer.no_answer and answer.sources[0].doc_id == "swedish-vat"
    assert retriever.ask("What is the VAT in Norway?").no_answer


@pytest.mark.slow
def test_a_question_for_live_figures_gets_no_answer(retriever) -> None:
    # The park's passage matches well; the documents still say nothing of where to eat there.
    answer = retriever.ask("苏州工业园区有哪些好餐厅")
    assert answer.no_answer and answer.passages[0].doc_id == "suzhou-industrial-park"
    assert not retriever.ask("苏州工业园区是哪一年设立的？").no_answer


@pytest.mark.slow
def test_matched_sentence_span_points_into_the_passage(retriever) -> None:
    answer = retriever.ask("Hur långt är det från Växjö till flygplatsen?")
    top = answer.passages[0]
    assert top.doc_id == "kronoberg-transport"
    matched = top.text[top.match_start : top.match_end]
    assert "Airport" in matched


@pytest.mark.slow
def test_forced_language_is_respected(retriever) -> None:
    answer = retriever.ask("Suzhou", lang="zh")
    assert answer.language == "zh" and answer.language_forced


@pytest.mark.slow
def test_bad_questions_raise_domain_errors(retriever) -> None:
    with pytest.raises(QuestionEmpty):
        retriever.ask("   ")
    with pytest.raises(QuestionTooLong):
        retriever.ask("x" * (retriever.settings.max_question_chars + 1))


def test_swedish_without_a_ring_and_dots_finds_the_same_article(retriever) -> None:
    plain = retriever.ask("hur hog ar momsen i sverige")
    proper = retriever.ask("hur hög är momsen i sverige")
    assert plain.language == "sv"
    assert plain.question == "hur hog ar momsen i sverige", "the visitor's own words are echoed"
    assert plain.passages[0].doc_id == proper.passages[0].doc_id == "swedish-vat"


def test_several_questions_in_one_batch_match_one_at_a_time(retriever) -> None:
    from kinabot.errors import QuestionEmpty

    questions = [("Hur hög är momsen i Sverige?", None, 3), ("   ", None, None), ("苏州工业园区在哪里？", "zh", 2)]
    batch = retriever.ask_many(questions)
    assert isinstance(batch[1], QuestionEmpty)
    for (question, lang, top_k), together in zip(questions[::2], batch[::2], strict=True):
        alone = retriever.ask(question, lang=lang, top_k=top_k)
        assert [p.doc_id for p in together.passages] == [p.doc_id for p in alone.passages]
        assert together.passages[0].relevance == pytest.approx(alone.passages[0].relevance, abs=1e-4)


@pytest.mark.slow
def test_no_answer_is_judged_on_the_strongest_passage_shown(retriever) -> None:
    from kinabot.answer import _relevance, compose

    text, asker = retriever.understand("Hur hög är momsen i Sverige?")
    query = retriever.index.center_query(retriever.embedder.encode_queries([text])[0], asker)
    hits = retriever.search(text, query, asker, limit=50)
    weak = min(hits, key=_relevance)
    assert _relevance(weak) < retriever.settings.no_answer_threshold <= _relevance(hits[0])
    # A weak passage ranked first (as a lexical match or another language may be) does not
    # make a question the documents answer unanswerable; alone, it does.
    answer = compose(retriever, text, asker, False, query, [weak, *hits[:2]], 3, time.perf_counter())
    assert not answer.no_answer
    assert compose(retriever, text, asker, False, query, [weak], 1, time.perf_counter()).no_answer


@pytest.mark.slow
def test_a_sentence_is_scored_under_its_heading(retriever) -> None:
    text, asker = retriever.understand("Hur hög är momsen i Sverige?")
    query = retriever.index.center_query(retriever.embedder.encode_queries([text])[0], asker)
    hit = retriever.search(text, query, asker, limit=1)[0]
    sentence, plain = retriever.best_sentence(hit.row, query)
    heading = retriever.index.heading_vectors[retriever.index.passage_heading[hit.row]] @ query
    weight = retriever.weights.heading
    assert hit.sentence == sentence  # the sentence shown is the best by its own cosine
    assert hit.sentence_score == pytest.approx((1 - weight) * plain + weight * heading, abs=1e-5)
    unmixed = retriever.in_context(np.array([hit.row]), np.array([plain], dtype=np.float32), query, 0.0)
    assert unmixed[0] == pytest.approx(plain)


def test_a_document_scores_by_its_best_outline(retriever) -> None:
    index = retriever.index
    text, asker = retriever.understand("Vad är Sino-Swedish Business Council?")
    query = index.center_query(retriever.embedder.encode_queries([text])[0], asker)
    outline = index.outline_vectors @ query
    translated = [d for d in range(len(index.doc_ids)) if (index.outline_doc == d).sum() > 1]
    assert translated  # the test corpus has documents in more than one language
    docs = np.array([*translated, *range(len(index.doc_ids))][::-1])
    expected = [outline[index.outline_doc == d].max() for d in docs]
    np.testing.assert_array_equal(retriever.outline_scores(docs, outline), expected)
    assert len(retriever.outline_scores(docs[:0], outline)) == 0


def test_an_index_without_outlines_adds_no_documents_for_them(tmp_path: Path) -> None:
    # The external evaluation sets are written without outlines: all zero, so any "best five"
    # would be five arbitrary documents joining the candidates and moving the calibration.
    index_dir = vector_index(tmp_path, per_language=400, ann_min_vectors=10_000).parent
    stub = SimpleNamespace(name="clustered", fingerprint="clustered", dimension=32)
    retriever = Retriever(load_index(index_dir), stub, Settings())  # type: ignore[arg-type]
    assert not retriever.index.outline_vectors.any()
    without = replace(retriever.weights, outline_candidates=0)
    for i, query in enumerate(clustered_vectors(12, seed=4)):
        lang = ("sv", "zh", "en")[i % 3]
        # With a limit above the number of candidates, every candidate comes back.
        everything = retriever.search("", query, lang, limit=10_000)
        assert everything == retriever.search("", query, lang, limit=10_000, weights=without)

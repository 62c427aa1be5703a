from __future__ import annotations

import numpy as np

from kinabot.lexical import LexicalIndex, tokenize


def test_chinese_uses_jieba_search_mode_with_overlapping_words() -> None:
    tokens = tokenize("苏州工业园区离上海多远", "zh")
    assert "苏州工业园区" in tokens
    assert "园区" in tokens and "上海" in tokens


def test_latin_words_inside_chinese_are_kept_lowercased() -> None:
    tokens = tokenize("SIP成立于1994年", "zh")
    assert "sip" in tokens and "1994" in tokens


def test_swedish_is_stemmed_and_stopwords_dropped() -> None:
    assert tokenize("Företagens registreringar i Sverige", "sv") == tokenize("företag registrering sverige", "sv")
    assert "i" not in tokenize("bo i Växjö", "sv")


def test_english_is_stemmed() -> None:
    assert tokenize("registrations of companies", "en") == tokenize("registration company", "en")


def test_bm25_ranks_the_passage_that_covers_the_question() -> None:
    index = LexicalIndex.build(
        "sv",
        [
            "Aktiebolag kräver ett aktiekapital på 25 000 kronor.",
            "Momsen i Sverige är 25 procent.",
            "Växjö ligger i Kronoberg.",
        ],
    )
    rows, scores, _ = index.search("hur stort aktiekapital behöver ett aktiebolag", 3)
    assert rows[0] == 0
    assert list(scores) == sorted(scores, reverse=True)


def test_coverage_filters_out_passages_sharing_one_common_word() -> None:
    index = LexicalIndex.build("sv", ["Momsen i Sverige är 25 procent.", "Sverige har många skogar."])
    rows, _, coverage = index.search("momsen sverige", 5, min_coverage=0.6)
    assert list(rows) == [0]
    assert coverage[0] == 1.0


def test_unknown_words_give_no_results() -> None:
    index = LexicalIndex.build("en", ["Växjö is a city."])
    rows, scores, _ = index.search("zzzz qqqq", 5)
    assert len(rows) == 0 and len(scores) == 0


def test_scores_and_order_agree_with_bm25s_own_scoring() -> None:
    # Read straight from the term matrix, the scores must be bm25s's, ranked best first with
    # ties in passage order, and coverage the IDF-weighted share of the question's terms.
    texts = [
        "Moms i Sverige är 25 procent för de flesta varor.",
        "Arbetsgivaravgifter betalas på lön i Sverige.",
        "Moms och arbetsgivaravgifter redovisas till Skatteverket.",
        "Ett aktiebolag registreras hos Bolagsverket.",
        "Växjö ligger i Småland.",
    ] * 3  # each text three times: ties
    index = LexicalIndex.build("sv", texts)
    question = "Hur mycket moms betalar man i Sverige, och vad är arbetsgivaravgifter?"
    terms = list(dict.fromkeys(tokenize(question, "sv")))
    vocab = index._bm25.vocab_dict
    reference = sum(index._bm25.get_scores_from_ids([vocab[t]]) for t in terms if t in vocab)
    rows, scores, coverage = index.search(question, k=4)
    expected = sorted(np.flatnonzero(reference > 0), key=lambda row: (-reference[row], row))[:4]
    assert rows.tolist() == expected
    np.testing.assert_allclose(scores, reference[rows], rtol=1e-5)
    assert rows.tolist()[:3] == [1, 6, 11]  # one text's copies tie: in passage order
    present = [[t in tokenize(texts[row], "sv") for t in terms] for row in rows]
    assert all(0 < c <= 1 for c in coverage)
    assert [c == 1 for c in coverage] == [all(p) for p in present]

from __future__ import annotations

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
